"""The slow, exact pass: walks a CSV with the csv module to name the line and column of a problem.

Only used when the fast pyarrow pass found a problem (it knows the record, not the physical line, since quoted
fields may span lines) or could not parse the file at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from clustr_etl.errors import DataValidationError
from clustr_etl.loading.csv_files import BOM, CsvFile
from clustr_etl.loading.schema import ColumnSpec, Kind, column_specs

TRUE_VALUES = ("true", "True", "TRUE", "t", "1")
FALSE_VALUES = ("false", "False", "FALSE", "f", "0")
INT_RANGES = {Kind.INT16: 2**15, Kind.INT32: 2**31, Kind.INT64: 2**63}
_INT = re.compile(r"\s*-?\d{1,30}\s*")  # longer never fits int64 (and int() refuses > 4300 digits)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _decoded_lines(raw: BinaryIO, name: str) -> Iterator[str]:
    for number, line in enumerate(raw, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataValidationError(
                f"{name}, line {number}: invalid UTF-8 byte {line[err.start : err.start + 1]!r}",
                "save the file as UTF-8",
            ) from None


def records(csv_file: CsvFile) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of every record after the header; lines count from 1."""
    with csv_file.path.open("rb") as raw:
        reader = csv.reader(_decoded_lines(raw, csv_file.name), strict=True)
        try:
            next(reader, None)
            line = reader.line_num + 1
            for fields in reader:
                yield line, fields
                line = reader.line_num + 1
        except csv.Error as err:
            raise DataValidationError(
                f"{csv_file.name}, line {reader.line_num}: malformed CSV ({err})",
                "check the quoting of that line",
            ) from None


def fail(csv_file: CsvFile, line: int, column: str | None, message: str) -> DataValidationError:
    where = f"{csv_file.name}, line {line}" + (f", column {column}" if column else "")
    return DataValidationError(
        f"{where}: {message}", "fix the file and load again; nothing was changed"
    )


def line_of_record(csv_file: CsvFile, index: int) -> tuple[int, list[str]]:
    """Physical line and fields of record ``index`` (0 = first record after the header)."""
    for position, (line, fields) in enumerate(records(csv_file)):
        if position == index:
            return line, fields
    raise ValueError(f"{csv_file.name} has no record {index}")


def record_problem(csv_file: CsvFile, index: int, column: str, message: str) -> DataValidationError:
    """The error for a problem the fast pass found in record ``index``."""
    line, fields = line_of_record(csv_file, index)
    if not fields:
        return fail(csv_file, line, None, "blank line")
    return fail(csv_file, line, column, message)


def duplicate_problem(csv_file: CsvFile, column: str, key: object) -> DataValidationError:
    """The error for a value of a key column seen twice: names both lines."""
    spec = column_specs(csv_file.table)[column]
    position = csv_file.columns.index(column)
    first_line: int | None = None
    for line, fields in records(csv_file):
        if position < len(fields) and _same_key(spec, fields[position], key):
            if first_line is not None:
                return fail(
                    csv_file,
                    line,
                    column,
                    f"duplicate value {fields[position]!r} (also on line {first_line})",
                )
            first_line = line
    return DataValidationError(f"{csv_file.name}, column {column}: duplicate value {key!r}")


def _same_key(spec: ColumnSpec, field: str, key: object) -> bool:
    if spec.kind == Kind.STRING:
        return field == key
    try:
        if spec.kind == Kind.DATE:
            return (dt.date.fromisoformat(field.strip()) - dt.date(1970, 1, 1)).days == key
        return int(field) == key
    except ValueError:
        return False


def parse_problem(csv_file: CsvFile) -> DataValidationError | None:
    """The first record with a wrong field count or a value that does not parse as its column type."""
    specs = [column_specs(csv_file.table)[name] for name in csv_file.columns]
    width = len(specs)
    for line, fields in records(csv_file):
        if not fields:
            return fail(csv_file, line, None, "blank line")
        if len(fields) != width:
            return fail(csv_file, line, None, f"{len(fields)} fields where the header has {width}")
        for spec, field in zip(specs, fields, strict=True):
            problem = field_problem(spec, field)
            if problem:
                return fail(csv_file, line, spec.name, problem)
    return None


def field_problem(spec: ColumnSpec, field: str) -> str | None:
    """Why ``field`` is not a valid value of the column, or None."""
    if field == "":
        return "empty value (the column is required)" if not spec.nullable else None
    if spec.kind in INT_RANGES:
        bound = INT_RANGES[spec.kind]
        if not _INT.fullmatch(field) or not -bound <= int(field) < bound:
            return f"{field!r} is not a whole number of type {spec.kind.value}"
    elif spec.kind == Kind.DECIMAL:
        return _decimal_problem(spec, field)
    elif spec.kind == Kind.DATE:
        try:
            if not _DATE.fullmatch(field):
                raise ValueError
            dt.date.fromisoformat(field)
        except ValueError:
            return f"{field!r} is not a date written YYYY-MM-DD"
    elif spec.kind == Kind.BOOL and field not in TRUE_VALUES + FALSE_VALUES:
        return f"{field!r} is not a boolean (true/false)"
    elif spec.kind == Kind.STRING:
        if spec.length is not None and len(field) > spec.length:
            return f"text of {len(field)} characters, longer than the limit {spec.length}"
        if "\x00" in field:
            return "contains a NUL character"
    return None


def _decimal_problem(spec: ColumnSpec, field: str) -> str | None:
    try:
        value = Decimal(field.strip())
    except InvalidOperation:
        return f"{field!r} is not a number"
    if not value.is_finite():
        return f"{field!r} is not a finite number"
    if abs(value) >= Decimal(10) ** (spec.precision - spec.scale):
        return f"{field!r} is too large (at most {spec.precision - spec.scale} digits before the point)"
    if value != value.quantize(Decimal(1).scaleb(-spec.scale)):
        return f"{field!r} has more than {spec.scale} decimal places"
    return None
