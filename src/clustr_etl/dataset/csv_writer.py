"""CSV bytes from Arrow tables: ISO dates, ``true``/``false``, money with fixed decimals.

Strings are written unquoted (``quoting_style="none"``): generated names never contain commas,
quotes or line breaks, and Arrow refuses to write a value that would need quoting, so a bad name
fails loudly instead of producing a broken file.

Arrays are built from their buffers (``from_buffers``), not with ``pa.array``: besides skipping a
conversion, that keeps pyarrow from importing pandas (it checks every ``pa.array`` argument for a
pandas type), which costs the generator 0.3-0.6 s when nothing else has loaded pandas.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pyarrow import csv as pa_csv

# Batches of 8,192 rows format about a fifth faster than Arrow's default of 1,024 (same bytes).
_BATCH_ROWS = 8_192
_WRITE_OPTIONS = {"include_header": False, "quoting_style": "none", "batch_size": _BATCH_ROWS}


def scaled_decimal(unscaled: npt.NDArray[np.int64], precision: int, scale: int) -> pa.Array:
    """An Arrow decimal128 array whose values are ``unscaled / 10**scale`` (e.g. cents -> 3.50)."""
    values = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((values.size, 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # two's complement sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), values.size, [None, pa.py_buffer(words)]
    )


def csv_money(unscaled: npt.NDArray[np.int64], precision: int, scale: int) -> pa.Array:
    """Like :func:`scaled_decimal`, for a CSV only: decimal64 where this pyarrow writes it.

    The digits are the same; a decimal64 array is the int64 values themselves (no 128-bit copy)
    and Arrow formats it faster. Parquet files keep decimal128 (their schema stays as it was).
    """
    money = _decimal64 if _writes_decimal64() else scaled_decimal
    return money(unscaled, precision, scale)


@functools.cache
def _writes_decimal64() -> bool:
    """Whether this pyarrow (18 and later) has decimal64 and formats it as decimal128 does."""
    if not hasattr(pa, "decimal64"):
        return False
    values = np.array([-1205, 0, 7, 99_999_999], dtype=np.int64)
    tables = [pa.table({"x": money(values, 10, 2)}) for money in (scaled_decimal, _decimal64)]
    try:
        return csv_rows(tables[0]) == csv_rows(tables[1])
    except (pa.ArrowException, NotImplementedError):
        return False


def _decimal64(unscaled: npt.NDArray[np.int64], precision: int, scale: int) -> pa.Array:
    values = np.ascontiguousarray(unscaled, dtype=np.int64)
    decimal64 = pa.decimal64(precision, scale)
    return pa.Array.from_buffers(decimal64, values.size, [None, pa.py_buffer(values)])


def numbers(values: npt.ArrayLike, dtype: type[np.generic], arrow_type: pa.DataType) -> pa.Array:
    """A numeric Arrow array of ``arrow_type`` (matching numpy ``dtype``), without nulls."""
    array = np.ascontiguousarray(values, dtype=dtype)
    return pa.Array.from_buffers(arrow_type, array.size, [None, pa.py_buffer(array)])


def flags(values: npt.ArrayLike) -> pa.Array:
    """A boolean Arrow array (bit-packed), without nulls."""
    array = np.asarray(values, dtype=np.bool_)
    bits = np.packbits(array, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), array.size, [None, pa.py_buffer(bits)])


def strings(values: Sequence[str]) -> pa.Array:
    """A string Arrow array (32-bit offsets), without nulls."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:
        return pa.array(values, pa.string())  # over 2 GiB of text: let Arrow chunk it
    data = pa.py_buffer(b"".join(encoded))
    bounds = pa.py_buffer(offsets.astype(np.int32))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, bounds, data])


def money_texts(unscaled: npt.NDArray[np.int64], precision: int, scale: int) -> pa.Array:
    """Each amount as the CSV writer formats it (350 -> ``"3.50"``), as a string array."""
    table = pa.table({"amount": scaled_decimal(unscaled, precision, scale)})
    return strings(csv_rows(table).decode("ascii").splitlines())


def labels(index: npt.NDArray[np.int64], texts: pa.Array) -> pa.Array:
    """``texts[index]`` as a dictionary array: the CSV writer copies each text, formats nothing."""
    values = np.ascontiguousarray(index, dtype=np.int64)
    kind = pa.dictionary(pa.int64(), texts.type)
    return pa.DictionaryArray.from_buffers(kind, values.size, [None, pa.py_buffer(values)], texts)


def epoch_dates(epoch_day: npt.NDArray[np.int64]) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date32 array (written as ISO YYYY-MM-DD)."""
    days = np.ascontiguousarray(epoch_day, dtype=np.int32)
    return pa.Array.from_buffers(pa.date32(), days.size, [None, pa.py_buffer(days)])


def header_line(columns: tuple[str, ...]) -> bytes:
    return (",".join(columns) + "\n").encode("utf-8")


def csv_rows(table: pa.Table, *, quote_when_needed: bool = False) -> bytes:
    """The table's rows as CSV bytes, without a header.

    ``quote_when_needed`` (a reused real catalog, whose names may hold commas or quotes): if a
    value needs quoting, every string value is quoted.
    """
    return bytes(csv_buffer(table, quote_when_needed=quote_when_needed))


def csv_buffer(table: pa.Table, *, quote_when_needed: bool = False) -> pa.Buffer:
    """:func:`csv_rows` as an Arrow buffer (written to a file as it is, without a copy)."""
    sink = pa.BufferOutputStream()
    try:
        pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(**_WRITE_OPTIONS))
    except pa.ArrowInvalid:
        if not quote_when_needed:
            raise
        sink = pa.BufferOutputStream()
        options = pa_csv.WriteOptions(
            include_header=False, quoting_style="needed", batch_size=_BATCH_ROWS
        )
        pa_csv.write_csv(table, sink, write_options=options)
    return sink.getvalue()
