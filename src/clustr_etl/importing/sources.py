"""Reading source files (CSV, gzip CSV, Parquet, xlsx) into one frame of the wanted source columns.

Every value is read as it is written (CSV text as strings, xlsx cells as typed by the workbook);
``parse`` turns them into typed canonical columns and names the exact cell when one is malformed.
"""

from __future__ import annotations

import codecs
import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clustr_etl.errors import InputFileError
from clustr_etl.importing.dialect import SAMPLE_LINES, Dialect, header_row, sniff

XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class Part:
    """A run of rows of the combined frame that came from one file (or one sheet of a workbook)."""

    label: str  # "orders.csv" or "retail.xlsx, sheet Year 2010-2011"
    first_row: int  # position in the combined frame
    first_line: int  # line (CSV) or spreadsheet row of its first data row


@dataclass
class SourceFrame:
    """The source rows of every file, one column per wanted source column, and where rows came from."""

    frame: pd.DataFrame
    parts: list[Part]
    encoding: str | None
    found: dict[str, str] = field(default_factory=dict)  # the CSV dialect detected, for the report

    def where(self, row: int) -> str:
        """``file, line N`` of a row of the combined frame."""
        part = next(p for p in reversed(self.parts) if p.first_row <= row)
        kind = "row" if ", sheet " in part.label else "line"
        return f"{part.label}, {kind} {part.first_line + row - part.first_row}"


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(XLSX_SUFFIXES):
        return "xlsx"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return "csv"


def _missing_columns(label: str, found: Sequence[str], wanted: Sequence[str], preset: str) -> None:
    missing = [name for name in wanted if name not in found]
    if missing:
        raise InputFileError(
            f"{label} has no column {', '.join(repr(m) for m in missing)} "
            f"(found: {', '.join(found) or 'none'})",
            f"the {preset} preset expects {', '.join(wanted)}; check --preset or --mapping",
        )


def read_sources(
    paths: Sequence[Path],
    columns: Sequence[str],
    *,
    preset: str,
    encoding: str | None = None,
    sheets: Sequence[str] = (),
    delimiter: str | None = None,
) -> SourceFrame:
    """Read ``columns`` of every file (all sheets named in ``sheets`` for workbooks) into one frame.

    A CSV's encoding, delimiter and header line are found by looking at it unless given."""
    frames: list[pd.DataFrame] = []
    parts: list[Part] = []
    used_encoding: str | None = None
    found: dict[str, str] = {}
    rows = 0
    for path in paths:
        if not path.is_file():
            raise InputFileError(f"{path} not found", "check the SOURCE argument")
        kind = kind_of(path)
        if kind == "xlsx":
            pieces = read_workbook(path, columns, preset=preset, sheets=sheets)
        elif kind == "parquet":
            pieces = [(path.name, 2, read_parquet(path, columns, preset))]
        else:
            dialect = sniff(path, encoding=encoding, delimiter=delimiter)
            used_encoding, frame = read_csv(path, columns, preset, dialect)
            if not found:
                found = dict(dialect.found)
                if "encoding" in found:
                    found["encoding"] = used_encoding
            pieces = [(path.name, dialect.header_line + 1, frame)]
        for label, first_line, frame in pieces:
            if frame.empty:
                raise InputFileError(
                    f"{label} has a header but no lines", "export the file again with its lines"
                )
            parts.append(Part(label, rows, first_line))
            frames.append(frame)
            rows += len(frame)
    combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return SourceFrame(combined, parts, used_encoding, found)


def _arrow_encoding(encoding: str) -> str:
    """Arrow decodes UTF-8 natively only when it is spelled "utf8" (else through Python codecs);
    it skips a UTF-8 byte-order mark itself."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputFileError(
            f"unknown encoding {encoding!r}", "e.g. --encoding utf-8, cp1252 or latin-1"
        ) from None
    return "utf8" if name in ("utf-8", "utf-8-sig") else encoding


def read_csv(
    path: Path, columns: Sequence[str], preset: str, dialect: Dialect
) -> tuple[str, pd.DataFrame]:
    """The wanted columns as text categoricals ("" for empty cells), trying each encoding in turn.

    Arrow's multithreaded reader checks every line's field count and the text's encoding, and
    dictionary-encodes each column as it parses: later steps convert each distinct value once.
    """
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    _missing_columns(path.name, dialect.header, columns, preset)
    failure = ""
    for encoding in dialect.encodings:
        try:
            table = pa_csv.read_csv(
                path,
                read_options=pa_csv.ReadOptions(
                    encoding=_arrow_encoding(encoding),
                    skip_rows=dialect.header_line,
                    column_names=dialect.header,
                ),
                parse_options=pa_csv.ParseOptions(delimiter=dialect.delimiter),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(
                        dialect.header, pa.dictionary(pa.int32(), pa.string())
                    ),
                    strings_can_be_null=False,
                    include_columns=list(columns),
                ),
            )
        except UnicodeDecodeError as err:
            failure = f" (byte 0x{err.object[err.start]:02x})"
            continue
        except pa.ArrowInvalid as err:
            first = str(err).strip().splitlines()[0]
            if "UTF8" in first or "UTF-8" in first:
                continue
            raise InputFileError(f"cannot read {path} as CSV: {first}") from None
        except (gzip.BadGzipFile, EOFError, OSError) as err:
            raise InputFileError(f"cannot read {path}: {err}", "is it a CSV or gzip CSV?") from None
        # One chunk per column: filtering many small chunks costs more than combining them once.
        frame = table.unify_dictionaries().combine_chunks().to_pandas()
        return encoding, frame
    tried = ", ".join(dialect.encodings)
    raise InputFileError(
        f"{path.name} is not valid {tried} text{failure}",
        "pass its encoding, e.g. --encoding latin-1 or --encoding cp1252",
    )


def read_parquet(path: Path, columns: Sequence[str], preset: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError) as err:
        raise InputFileError(f"cannot read {path} as Parquet: {err}") from None
    _missing_columns(path.name, schema.names, columns, preset)
    frame: pd.DataFrame = pq.read_table(path, columns=list(columns)).to_pandas()
    return frame


def sheet_header_row(path: Path, sheet: str | int, label: str) -> int:
    """The 0-based row of a sheet's header: the first, unless a title or blank rows are above it."""
    top = pd.read_excel(
        path, sheet_name=sheet, engine="calamine", header=None, nrows=SAMPLE_LINES, dtype=object
    )
    cells = top.fillna("").astype(str).map(str.strip).values.tolist()
    if not cells or all(cells[0]):
        return 0
    try:
        return header_row(label, cells)
    except InputFileError:
        return 0  # no better row: the first, whose missing columns are then named


def read_workbook(
    path: Path, columns: Sequence[str], *, preset: str, sheets: Sequence[str]
) -> list[tuple[str, int, pd.DataFrame]]:
    """The wanted sheets of a workbook (the first one when none are named), read with calamine."""
    from python_calamine import CalamineWorkbook

    try:
        found = list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as err:  # calamine raises its own error types for broken files
        raise InputFileError(f"cannot read {path} as a workbook: {err}") from None
    wanted = list(sheets) if sheets else found[:1]
    missing = [sheet for sheet in wanted if sheet not in found]
    if missing:
        raise InputFileError(
            f"{path.name} has no sheet {', '.join(repr(s) for s in missing)} "
            f"(found: {', '.join(repr(s) for s in found)})",
            f"the {preset} preset reads the sheets {', '.join(repr(s) for s in wanted)}",
        )
    pieces = []
    for sheet in wanted:
        label = f"{path.name}, sheet {sheet}"
        header = sheet_header_row(path, sheet, label)
        frame = pd.read_excel(
            path, sheet_name=sheet, engine="calamine", dtype=object, header=header
        )
        frame.columns = [str(name).strip() for name in frame.columns]
        _missing_columns(label, list(frame.columns), columns, preset)
        pieces.append((label, header + 2, frame[list(columns)]))
    return pieces
