"""Reading baskets from the ``sales`` table in bulk, without one Python object per sale line.

PostgreSQL sends one COPY message per row, and iterating 10M messages in Python takes longer than
the whole mining. So the server packs the rows into int8 arrays, about a million per row:
``COPY (SELECT array_agg(transaction_id), array_agg(product_id) FROM sales GROUP BY
transaction_id % n) TO STDOUT (FORMAT BINARY)`` (a modulo is much cheaper than row_number()), and
each array is parsed with one numpy structured dtype. Lines of one transaction share a group.

SQLite: the same idea with ``group_concat`` over rowid ranges, parsed by pyarrow's CSV reader.
"""

from __future__ import annotations

import io
import math
import struct
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pyarrow import csv as pa_csv
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DatabaseError, InputFileError
from clustr_etl.mining.baskets import Baskets, baskets_from_pairs

Int64Array = npt.NDArray[np.int64]

ROWS_PER_CHUNK = 1_000_000
DEFAULT_GROUPS = 16  # when PostgreSQL has no row estimate (table never analysed)
MAX_GROUPS = 4096


def _pg_copy_statement(n_groups: int) -> str:
    """Rows packed into arrays, grouped by transaction_id modulo ``n_groups`` (cheap hash groups)."""
    return (
        "COPY (SELECT array_agg(CAST(transaction_id AS BIGINT)), array_agg(CAST(product_id AS BIGINT))"
        " FROM sales WHERE transaction_id IS NOT NULL AND product_id IS NOT NULL"
        f" GROUP BY transaction_id % {int(n_groups)}) TO STDOUT (FORMAT BINARY)"
    )


def _pg_group_count(connection: Any) -> int:
    """About ROWS_PER_CHUNK rows per COPY row, from the planner's row estimate."""
    row = connection.execute(
        "SELECT reltuples FROM pg_class WHERE oid = to_regclass('sales')"
    ).fetchone()
    estimate = float(row[0]) if row and row[0] is not None and row[0] > 0 else 0.0
    if estimate == 0.0:
        return DEFAULT_GROUPS
    return max(1, min(MAX_GROUPS, math.ceil(estimate / ROWS_PER_CHUNK)))


_PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PGCOPY_HEADER_SIZE = 19  # signature, int32 flags, int32 header extension length (0)
_ARRAY_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])
_SQLITE_RANGE = "SELECT min(rowid), max(rowid) FROM sales"
_SQLITE_CHUNK = (
    "SELECT CAST(group_concat(transaction_id || ',' || product_id, char(10)) AS BLOB) FROM sales "
    "WHERE rowid >= ? AND rowid < ? AND transaction_id IS NOT NULL AND product_id IS NOT NULL"
)


def read_baskets_from_db(engine: Engine) -> Baskets:
    """Baskets from ``sales(transaction_id, product_id)``; labels are product ids as text."""
    return baskets_from_pairs(*read_sales_pairs(engine))


def read_sales_pairs(engine: Engine) -> tuple[Int64Array, Int64Array]:
    """(transaction_id, product_id) of every sale line, in no particular order."""
    try:
        if engine.dialect.name == "postgresql":
            tids, pids = _read_postgresql(engine)
        else:
            tids, pids = _read_sqlite(engine)
    except DBAPIError as err:
        first = str(getattr(err, "orig", err)).strip().splitlines()
        raise DatabaseError(
            f"cannot read sales from the database: {first[0] if first else type(err).__name__}",
            "run init-db and load the sales table first",
        ) from None
    if tids.size == 0:
        raise InputFileError("the sales table is empty: nothing to mine", "load sales first")
    return tids, pids


def _read_postgresql(engine: Engine) -> tuple[Int64Array, Int64Array]:
    parser = _PgCopyArrays()
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with (
            connection.cursor() as cursor,
            cursor.copy(_pg_copy_statement(_pg_group_count(connection))) as copy,
        ):
            for block in copy:
                parser.feed(block)
        connection.rollback()
    except Exception as err:
        if isinstance(err, DatabaseError | DBAPIError):
            raise
        if type(err).__module__.startswith("psycopg"):
            raise DatabaseError(f"cannot read sales from PostgreSQL: {err}") from None
        raise
    finally:
        raw.close()
    return parser.result()


class _PgCopyArrays:
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
        return _concat(self._tids), _concat(self._pids)


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


def _read_sqlite(engine: Engine) -> tuple[Int64Array, Int64Array]:
    raw = engine.raw_connection()
    tids: list[Int64Array] = []
    pids: list[Int64Array] = []
    try:
        cursor: Any = raw.cursor()
        try:
            cursor.execute(_SQLITE_RANGE)
            low, high = cursor.fetchone()
            if low is not None:
                for start in range(int(low), int(high) + 1, ROWS_PER_CHUNK):
                    cursor.execute(_SQLITE_CHUNK, (start, start + ROWS_PER_CHUNK))
                    (text,) = cursor.fetchone()  # bytes: no str decode/encode round trip
                    if text:
                        chunk_tids, chunk_pids = _parse_pairs(text)
                        tids.append(chunk_tids)
                        pids.append(chunk_pids)
        finally:
            cursor.close()
    finally:
        raw.close()
    return _concat(tids), _concat(pids)


def _parse_pairs(text: bytes) -> tuple[Int64Array, Int64Array]:
    """``"tid,pid\\n..."`` lines as two int64 arrays (pyarrow's CSV reader, no Python per line)."""
    table = pa_csv.read_csv(
        io.BytesIO(text),
        read_options=pa_csv.ReadOptions(column_names=["tid", "pid"]),
        convert_options=pa_csv.ConvertOptions(column_types={"tid": pa.int64(), "pid": pa.int64()}),
    )
    return table.column("tid").to_numpy(), table.column("pid").to_numpy()


def _concat(parts: list[Int64Array]) -> Int64Array:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
