"""Finding a table's CSV file and checking its header."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from clustr_etl.errors import DataValidationError, InputFileError
from clustr_etl.loading.schema import TABLE_FILES
from clustr_etl.models import CSV_COLUMNS

BOM = b"\xef\xbb\xbf"


@dataclass
class CsvFile:
    """One CSV to load: its table, path, header columns (file order) and size; rows once validated."""

    table: str
    path: Path
    columns: tuple[str, ...]
    size: int
    rows: int = 0

    @property
    def name(self) -> str:
        return self.path.name


def open_csv_file(table: str, raw_dir: Path) -> CsvFile:
    """The table's CSV under raw_dir with a checked header, or InputFileError/DataValidationError."""
    path = raw_dir / TABLE_FILES[table]
    if not path.is_file():
        raise InputFileError(
            f"{path} not found",
            "run `clustr-etl generate` first, or point --data-dir at the folder whose raw/ holds the CSVs",
        )
    return CsvFile(table, path, read_header(table, path), path.stat().st_size)


def read_header(table: str, path: Path) -> tuple[str, ...]:
    expected = CSV_COLUMNS[table]
    with path.open("rb") as raw:
        first = raw.readline()
    try:
        text = first.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise DataValidationError(f"{path.name}, line 1: the header is not UTF-8 text") from None
    names = next(csv.reader(io.StringIO(text)), [])
    if not names:
        raise DataValidationError(
            f"{path.name} is empty; expected the header {','.join(expected)}",
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
            f"{path.name}, line 1: {'; '.join(problems)}",
            f"the header must hold exactly {','.join(expected)}",
        )
    return tuple(names)
