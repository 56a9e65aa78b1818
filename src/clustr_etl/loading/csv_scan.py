"""The fast validation pass: pyarrow's streaming CSV reader, typed columns, bounded memory.

Per batch it checks required fields, text limits, the row rules, foreign keys (against key sets of the parent
tables) and collects primary and unique keys to find duplicates. Any problem is handed to ``locate`` to name
the exact line and column.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from pyarrow._compute import CastOptions, MatchSubstringOptions, call_function

from clustr_etl.errors import DataValidationError
from clustr_etl.loading import locate
from clustr_etl.loading.checks import ROW_RULES
from clustr_etl.loading.csv_files import CsvFile
from clustr_etl.loading.keys import KeyCollector, Keys, KeySet
from clustr_etl.loading.schema import ColumnSpec, Kind, column_specs, primary_key, unique_columns
from clustr_etl.progress import Advance

BLOCK_SIZE = 1 << 20  # bytes per batch: larger blocks are no faster and cost ~50 MB of RSS per MB

_ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.INT16: pa.int16(),
    Kind.INT32: pa.int32(),
    Kind.INT64: pa.int64(),
    Kind.DATE: pa.date32(),
    Kind.BOOL: pa.bool_(),
    Kind.STRING: pa.string(),
}


def arrow_type(spec: ColumnSpec) -> pa.DataType:
    if spec.kind == Kind.DECIMAL:
        return pa.decimal128(spec.precision, spec.scale)
    return _ARROW_TYPES[spec.kind]


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it (for byte-based progress)."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def open_batches(csv_file: CsvFile, stream: io.RawIOBase) -> pacsv.CSVStreamingReader:
    """A streaming reader of typed record batches (header skipped, columns in file order)."""
    specs = column_specs(csv_file.table)
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=list(csv_file.columns), skip_rows=1, block_size=BLOCK_SIZE
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={name: arrow_type(specs[name]) for name in csv_file.columns},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            true_values=list(locate.TRUE_VALUES),
            false_values=list(locate.FALSE_VALUES),
        ),
    )


def cast_to(column: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """``column.cast(arrow_type)`` (safe), by the kernel's name: ``Array.cast`` imports
    pyarrow.compute and its ~300 function wrappers, ~40 ms of start-up for ``load --append``."""
    return call_function("cast", [column], CastOptions(arrow_type))


def fixed_width_values(column: pa.Array, arrow_type: pa.DataType, dtype: type[np.generic]) -> Any:
    """A column cast to a fixed-width type, as a numpy view of its data buffer.

    pyarrow's own ``to_numpy`` imports pandas on first use (about 0.6 s of start-up, most of a small
    ``load --append``); a column without nulls does not need it. With nulls, ``to_numpy`` as before."""
    cast = cast_to(column, arrow_type)
    if cast.null_count:
        return np.asarray(cast.to_numpy(zero_copy_only=False), dtype=dtype)
    data = cast.buffers()[1]
    width = np.dtype(dtype).itemsize
    return np.frombuffer(data, dtype=dtype, count=len(cast), offset=cast.offset * width)


def key_values(column: pa.Array) -> Keys:
    """A key column as int64 (dates as days since 1970-01-01)."""
    if pa.types.is_date32(column.type):
        column = cast_to(column, pa.int32())
    values: Keys = fixed_width_values(column, pa.int64(), np.int64)
    return values


@dataclass
class ParentKeys:
    """The keys a foreign-key column may take, and where they come from (for messages)."""

    keys: KeySet
    source: str


@dataclass
class _Problem(Exception):
    row: int
    column: str
    message: str


@dataclass
class _Duplicate(Exception):
    column: str
    key: object


@dataclass
class Scan:
    """What one file holds, as needed by the load: its row count and its primary key set."""

    rows: int = 0
    keys: KeySet | None = None


def scan_file(
    csv_file: CsvFile, parents: dict[str, ParentKeys], *, keep_keys: bool, advance: Advance
) -> Scan:
    """Validate the whole file; return its row count and (if keep_keys) its primary key set."""
    try:
        return _scan(csv_file, parents, keep_keys, advance)
    except _Problem as problem:
        raise locate.record_problem(
            csv_file, problem.row, problem.column, problem.message
        ) from None
    except _Duplicate as duplicate:
        raise locate.duplicate_problem(csv_file, duplicate.column, duplicate.key) from None
    except pa.ArrowInvalid as err:
        exact = locate.parse_problem(csv_file)
        if exact is not None:
            raise exact from None
        first_line = str(err).strip().splitlines()[0]
        raise DataValidationError(f"{csv_file.name}: cannot be read as CSV: {first_line}") from None


def _scan(
    csv_file: CsvFile, parents: dict[str, ParentKeys], keep_keys: bool, advance: Advance
) -> Scan:
    specs = column_specs(csv_file.table)
    rules = ROW_RULES[csv_file.table]
    key_column = primary_key(csv_file.table)
    keys = KeyCollector(keep=keep_keys)
    uniques: dict[str, list[pa.Array]] = {name: [] for name in unique_columns(csv_file.table)}
    scan = Scan()
    with CountingFile(csv_file.path) as stream:
        reported = 0
        for batch in open_batches(csv_file, stream):
            offset = scan.rows
            scan.rows += batch.num_rows
            for name in csv_file.columns:
                _check_column(batch.column(name), specs[name], offset)
            for rule in rules:
                values = fixed_width_values(batch.column(rule.column), pa.float64(), np.float64)
                bad = ~rule.ok(values)
                if bad.any():
                    row = int(np.argmax(bad))
                    raise _Problem(
                        offset + row, rule.column, f"{values[row]:g} must be {rule.requirement}"
                    )
            for name, parent in parents.items():
                values = key_values(batch.column(name))
                missing = ~parent.keys.contains(values)
                if missing.any():
                    row = int(np.argmax(missing))
                    shown = batch.column(name)[row].as_py()
                    raise _Problem(offset + row, name, f"{shown} is not in {parent.source}")
            duplicate = keys.add(key_values(batch.column(key_column)))
            if duplicate is not None:
                raise _Duplicate(key_column, duplicate)
            for name, chunks in uniques.items():
                chunks.append(batch.column(name))
            advance(stream.bytes_read - reported)
            reported = stream.bytes_read
    scan.keys, duplicate = keys.finish()
    if duplicate is not None:
        raise _Duplicate(key_column, duplicate)
    for name, chunks in uniques.items():
        _check_unique(name, chunks)
    return scan


def _check_column(column: pa.Array, spec: ColumnSpec, offset: int) -> None:
    if column.null_count and not spec.nullable:
        row = int(np.argmax(column.is_null().to_numpy(zero_copy_only=False)))
        raise _Problem(offset + row, spec.name, "empty value (the column is required)")
    if spec.kind != Kind.STRING:
        return
    if spec.length is not None:
        # The longest length first, compared in Python: a Python scalar handed to pyarrow.compute
        # would import pandas (~0.5 s of start-up for `load --append`). Kernels by name (``cast_to``).
        lengths = call_function("utf8_length", [column])
        longest = call_function("max", [lengths]).as_py()
        if longest is not None and longest > spec.length:
            too_long = lengths.to_numpy(zero_copy_only=False) > spec.length
            row = int(np.argmax(too_long))
            length = len(column[row].as_py())
            raise _Problem(
                offset + row,
                spec.name,
                f"text of {length} characters, longer than the limit {spec.length}",
            )
    has_nul = call_function("match_substring", [column], MatchSubstringOptions("\x00"))
    if call_function("any", [has_nul]).as_py():  # nulls skipped
        has_nul = has_nul.fill_null(False)
        row = int(np.argmax(has_nul.to_numpy(zero_copy_only=False)))
        raise _Problem(offset + row, spec.name, "contains a NUL character")


def _check_unique(name: str, chunks: list[pa.Array]) -> None:
    if not chunks:
        return
    # NULLs never collide (a nullable natural key is empty for generated rows).
    values = call_function("drop_null", [pa.chunked_array(chunks).combine_chunks()])
    encoded = call_function("dictionary_encode", [values])
    if len(encoded.dictionary) == len(encoded):
        return
    codes = encoded.indices.to_numpy().astype(np.int64)
    seen_before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    row = int(np.argmax(codes <= seen_before))
    raise _Duplicate(name, encoded.dictionary[codes[row]].as_py())
