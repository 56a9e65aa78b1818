"""CSV bytes from Arrow tables: ISO dates, ``true``/``false``, money with fixed decimals.

Strings are written unquoted (``quoting_style="none"``): generated names never contain commas,
quotes or line breaks, and Arrow refuses to write a value that would need quoting, so a bad name
fails loudly instead of producing a broken file.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pyarrow import csv as pa_csv

_WRITE_OPTIONS = {"include_header": False, "quoting_style": "none"}


def scaled_decimal(unscaled: npt.NDArray[np.int64], precision: int, scale: int) -> pa.Array:
    """An Arrow decimal128 array whose values are ``unscaled / 10**scale`` (e.g. cents -> 3.50)."""
    values = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((values.size, 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # two's complement sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), values.size, [None, pa.py_buffer(words)]
    )


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
    sink = pa.BufferOutputStream()
    try:
        pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(**_WRITE_OPTIONS))
    except pa.ArrowInvalid:
        if not quote_when_needed:
            raise
        sink = pa.BufferOutputStream()
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        pa_csv.write_csv(table, sink, write_options=options)
    return bytes(sink.getvalue())
