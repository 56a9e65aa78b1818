"""Finding a table's CSV file and checking its header."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clustr_etl.dataset.batches import Batch
from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.errors import DataValidationError, InputFileError
from clustr_etl.store.models import CSV_COLUMNS

BOM = b"\xef\xbb\xbf"


@dataclass
class CsvFile:
    """One CSV to load: its table, path, header columns (file order) and size; rows once validated."""

    table: str
    path: Path
    columns: tuple[str, ...]
    size: int
    rows: int = 0
    label: str = ""  # how messages name the file (a batch's files: "<batch>/<file>")

    @property
    def name(self) -> str:
        return self.label or self.path.name


def open_csv_file(table: str, raw_dir: Path, label: str = "") -> CsvFile:
    """The table's CSV under raw_dir with a checked header, or InputFileError/DataValidationError."""
    path = raw_dir / TABLE_FILES[table]
    if not path.is_file():
        raise InputFileError(
            f"{path} not found",
            "run `clustr-etl generate` first, or point --data-dir at the folder whose raw/ holds the CSVs",
        )
    return CsvFile(table, path, read_header(table, path, label), path.stat().st_size, label=label)


def table_files(raw_dir: Path, tables: Sequence[str], batches: Sequence[Batch]) -> list[CsvFile]:
    """The base CSV of each table, then the same table's CSV of every batch holding one."""
    for batch in batches:
        if not any(batch.file(TABLE_FILES[name]) for name in TABLE_FILES):
            raise InputFileError(
                f"batch folder {batch.path} holds no table CSV",
                f"put some of {', '.join(TABLE_FILES.values())} in it, or remove it",
            )
    files = []
    for table in tables:
        files.append(open_csv_file(table, raw_dir))
        for batch in batches:
            if batch.file(TABLE_FILES[table]):
                label = f"{batch.name}/{TABLE_FILES[table]}"
                files.append(open_csv_file(table, batch.path, label))
    return files


def read_header(table: str, path: Path, label: str = "") -> tuple[str, ...]:
    shown = label or path.name
    expected = CSV_COLUMNS[table]
    with path.open("rb") as raw:
        first = raw.readline()
    try:
        text = first.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise DataValidationError(f"{shown}, line 1: the header is not UTF-8 text") from None
    names = next(csv.reader(io.StringIO(text)), [])
    if not names:
        raise DataValidationError(
            f"{shown} is empty; expected the header {','.join(expected)}",
            "regenerate it with `clustr-etl generate --force`",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in expected if name not in names]
    extra = [name for name in names if name not in expected]
    problems = []
    if repeated:
        problems.append(f"repeated column {', '.join(repeated)}")
    if missing:
        problems.append(f"missing column {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column {', '.join(repr(name) for name in extra)}")
    if problems:
        raise DataValidationError(
            f"{shown}, line 1: {'; '.join(problems)}",
            f"the header must hold exactly {','.join(expected)}",
        )
    return tuple(names)
