"""PostgreSQL: reading ``sales(transaction_id, product_id)`` in bulk, without one Python object per line.

PostgreSQL sends one COPY message per row, and iterating 10M messages in Python takes longer than
the whole mining. So the server packs the rows into int8 arrays, about a million per row:
``COPY (SELECT array_agg(transaction_id), array_agg(product_id) FROM sales GROUP BY
transaction_id % n) TO STDOUT (FORMAT BINARY)`` (a modulo is much cheaper than row_number()), and
each array is parsed with one numpy structured dtype. Lines of one transaction share a group.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from clustr_etl.errors import DatabaseError
from clustr_etl.store.backends import base
from clustr_etl.store.backends.base import concat_arrays
from clustr_etl.store.backends.types import Int64Array

DEFAULT_GROUPS = 16  # when PostgreSQL has no row estimate (table never analysed)
MAX_GROUPS = 4096


def read_sales_arrays(connection: Any) -> tuple[Int64Array, Int64Array]:
    """The pairs through one binary COPY on a psycopg connection (the caller ends the transaction)."""
    parser = PgCopyArrays()
    with (
        connection.cursor() as cursor,
        cursor.copy(_pg_copy_statement(_pg_group_count(connection))) as copy,
    ):
        for block in copy:
            parser.feed(block)
    return parser.result()


def _pg_copy_statement(n_groups: int) -> str:
    """Rows packed into arrays, grouped by transaction_id modulo ``n_groups`` (cheap hash groups)."""
    return (
        "COPY (SELECT array_agg(CAST(transaction_id AS BIGINT)), array_agg(CAST(product_id AS BIGINT))"
        " FROM sales WHERE transaction_id IS NOT NULL AND product_id IS NOT NULL"
        f" GROUP BY transaction_id % {int(n_groups)}) TO STDOUT (FORMAT BINARY)"
    )


def _pg_group_count(connection: Any) -> int:
    """About base.ROWS_PER_CHUNK rows per COPY row, from the planner's row estimate."""
    row = connection.execute(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass('sales')"
    ).fetchone()
    estimate = float(row[0]) if row and row[0] is not None and row[0] > 0 else 0.0
    if estimate == 0.0:
        return DEFAULT_GROUPS
    return max(1, min(MAX_GROUPS, math.ceil(estimate / base.ROWS_PER_CHUNK)))


_PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PGCOPY_HEADER_SIZE = 19  # signature, int32 flags, int32 header extension length (0)
_ARRAY_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])


class PgCopyArrays:
    """Incremental parser of a binary COPY stream whose rows are (int8[], int8[]).

    Complete rows are parsed straight from the received block; only an incomplete tail is kept.
    """

    def __init__(self) -> None:
        self._pending = b""
        self._header_seen = False
        self._done = False
        self._tids: list[Int64Array] = []
        self._pids: list[Int64Array] = []

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(self._pending + bytes(data)) if self._pending else memoryview(data)
        offset = 0
        if not self._header_seen:
            if len(view) < _PGCOPY_HEADER_SIZE:
                self._pending = bytes(view)
                return
            if bytes(view[: len(_PGCOPY_SIGNATURE)]) != _PGCOPY_SIGNATURE:
                raise DatabaseError("unexpected COPY BINARY header from PostgreSQL")
            offset = _PGCOPY_HEADER_SIZE
            self._header_seen = True
        while not self._done:
            end = self._parse_row(view, offset)
            if end is None:
                break
            offset = end
        self._pending = bytes(view[offset:])

    def _parse_row(self, view: memoryview, offset: int) -> int | None:
        """Parse the row at ``offset``; return where it ends, or None when it is incomplete."""
        if len(view) < offset + 2:
            return None
        (n_fields,) = struct.unpack_from(">h", view, offset)
        if n_fields == -1:  # trailer
            self._done = True
            return offset + 2
        if n_fields != 2:
            raise DatabaseError("unexpected COPY BINARY row layout from PostgreSQL")
        position, fields = offset + 2, []
        for _ in range(2):
            if len(view) < position + 4:
                return None
            (length,) = struct.unpack_from(">i", view, position)
            position += 4
            if length < 0:
                raise DatabaseError("unexpected NULL array in COPY BINARY stream")
            if len(view) < position + length:
                return None
            fields.append(_int8_array(view, position, length))
            position += length
        self._tids.append(fields[0])
        self._pids.append(fields[1])
        return position

    def result(self) -> tuple[Int64Array, Int64Array]:
        if self._header_seen and (self._pending or not self._done):
            raise DatabaseError("truncated COPY BINARY stream from PostgreSQL")
        return concat_arrays(self._tids), concat_arrays(self._pids)


def _int8_array(buffer: memoryview, offset: int, length: int) -> Int64Array:
    """Values of a binary-format one-dimensional int8[] without NULLs."""
    n_dims, _has_nulls, _element_type = struct.unpack_from(">iiI", buffer, offset)
    if n_dims == 0:
        return np.zeros(0, dtype=np.int64)
    n_values, _lower_bound = struct.unpack_from(">ii", buffer, offset + 12)
    start = offset + 20
    if n_dims != 1 or start + n_values * _ARRAY_ELEMENT.itemsize != offset + length:
        raise DatabaseError("unexpected array layout in COPY BINARY stream")
    elements = np.frombuffer(buffer, dtype=_ARRAY_ELEMENT, count=n_values, offset=start)
    if not (elements["length"] == 8).all():
        raise DatabaseError("unexpected NULL or non-int8 value in COPY BINARY stream")
    return elements["value"].astype(np.int64)
