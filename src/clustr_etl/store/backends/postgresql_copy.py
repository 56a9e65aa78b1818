"""PostgreSQL: reading ``sales(transaction_id, product_id)`` in bulk, without one Python object per line.

PostgreSQL sends one COPY message per row, and iterating 10M messages in Python takes longer than
the whole mining. So the server packs the rows into int8 arrays, about a million per row, each
parsed with one numpy structured dtype: ``COPY (SELECT array_agg(transaction_id),
array_agg(product_id) FROM sales WHERE ctid >= '(a,0)' AND ctid < '(b,0)') TO STDOUT (FORMAT
BINARY)``, one range of heap pages at a time (a TID range scan: no sort, no hash table that spills
to disk, and the chunks come in the table's physical order, which is the load order). All chunks
are read in one REPEATABLE READ transaction holding the table's ACCESS SHARE lock, so they are one
consistent snapshot and a concurrent load's switch waits for the read. Servers before 14 (no TID
range scans) get one COPY grouped by ranges of transaction ids instead.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np

from clustr_etl.errors import DatabaseError
from clustr_etl.store.backends import base
from clustr_etl.store.backends.base import concat_arrays
from clustr_etl.store.backends.types import Int64Array

DEFAULT_ROWS_PER_PAGE = 100  # when PostgreSQL has no statistics yet (table never analysed)
TID_RANGE_SCAN_VERSION = 140000
MAX_GROUPS = 4096
_SELECT_ARRAYS = (
    "SELECT array_agg(CAST(transaction_id AS BIGINT)), array_agg(CAST(product_id AS BIGINT))"
    " FROM sales WHERE transaction_id IS NOT NULL AND product_id IS NOT NULL"
)


def sales_array_chunks(connection: Any) -> Iterator[tuple[Int64Array, Int64Array]]:
    """The pairs as (transaction ids, product ids) chunks on a psycopg connection, in the table's
    physical order (the caller ends the transaction)."""
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    connection.execute("SET LOCAL jit = off")  # compiling costs more than these scans gain
    connection.execute("LOCK TABLE sales IN ACCESS SHARE MODE")
    pages, rows_per_page, version = connection.execute(
        "SELECT pg_relation_size(oid) / current_setting('block_size')::bigint,"
        " CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages END,"
        " current_setting('server_version_num')::int"
        " FROM pg_class WHERE oid = to_regclass('sales')"
    ).fetchone()
    per_page = float(rows_per_page) if rows_per_page else DEFAULT_ROWS_PER_PAGE
    if int(version) < TID_RANGE_SCAN_VERSION:
        statements = [_grouped_statement(connection, int(pages) * per_page)]
    else:
        statements = _page_range_statements(int(pages), per_page)
    for statement in statements:
        yield from _copied_arrays(connection, statement)


def _page_range_statements(pages: int, rows_per_page: float) -> list[str]:
    """One COPY per range of about ``base.ROWS_PER_CHUNK`` rows of heap pages; the last is open."""
    step = max(1, math.ceil(base.ROWS_PER_CHUNK / max(rows_per_page, 1.0)))
    starts = list(range(0, max(pages, 1), step))
    statements = []
    for index, first in enumerate(starts):
        condition = f" AND ctid >= '({int(first)},0)'::tid"
        if index + 1 < len(starts):
            condition += f" AND ctid < '({int(starts[index + 1])},0)'::tid"
        query = f"{_SELECT_ARRAYS}{condition} HAVING count(*) > 0"  # no NULL arrays of no rows
        statements.append(f"COPY ({query}) TO STDOUT (FORMAT BINARY)")
    return statements


def _grouped_statement(connection: Any, rows: float) -> str:
    """One COPY whose rows each hold one range of transaction ids (servers before 14)."""
    low, high = connection.execute(
        "SELECT min(transaction_id), max(transaction_id) FROM sales"
    ).fetchone()
    low, high = int(low or 0), int(high or 0)
    groups = max(1, min(MAX_GROUPS, math.ceil(rows / base.ROWS_PER_CHUNK)))
    width = max(1, math.ceil((high - low + 1) / groups))
    return (
        f"COPY ({_SELECT_ARRAYS} GROUP BY (transaction_id - {low}) / {width})"
        " TO STDOUT (FORMAT BINARY)"
    )


def _copied_arrays(connection: Any, statement: str) -> Iterator[tuple[Int64Array, Int64Array]]:
    parser = PgCopyArrays()
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy:
            parser.feed(block)
            yield from parser.take()
    parser.finish()


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

    def take(self) -> list[tuple[Int64Array, Int64Array]]:
        """The rows parsed since the last call (the parser lets go of them)."""
        rows = list(zip(self._tids, self._pids, strict=True))
        self._tids, self._pids = [], []
        return rows

    def finish(self) -> None:
        """Refuses a stream that ended before its trailer."""
        if self._header_seen and (self._pending or not self._done):
            raise DatabaseError("truncated COPY BINARY stream from PostgreSQL")

    def result(self) -> tuple[Int64Array, Int64Array]:
        """Every row not taken yet, concatenated (after ``finish``'s check)."""
        self.finish()
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
