"""Reading baskets from the ``sales`` table in bulk, without one Python object per sale line.

PostgreSQL sends one COPY message per row, and iterating 10M messages in Python takes longer than
the whole mining. So the server packs the rows into int8 arrays, about a million per row:
``COPY (SELECT array_agg(transaction_id), array_agg(product_id) ... GROUP BY chunk) TO STDOUT
(FORMAT BINARY)``, and each array is parsed with one numpy structured dtype.

SQLite: the same idea with ``group_concat`` over rowid ranges, parsed by pyarrow's CSV reader.
"""

from __future__ import annotations

import io
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


def _pg_copy_statement(rows_per_chunk: int) -> str:
    return (
        "COPY (SELECT array_agg(transaction_id), array_agg(product_id) FROM ("
        "SELECT CAST(transaction_id AS BIGINT) AS transaction_id,"
        " CAST(product_id AS BIGINT) AS product_id,"
        f" (row_number() OVER ()) / {int(rows_per_chunk)} AS chunk FROM sales"
        " WHERE transaction_id IS NOT NULL AND product_id IS NOT NULL) AS numbered"
        " GROUP BY chunk) TO STDOUT (FORMAT BINARY)"
    )

_PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PGCOPY_HEADER_SIZE = 19  # signature, int32 flags, int32 header extension length (0)
_ARRAY_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])
_SQLITE_RANGE = "SELECT min(rowid), max(rowid) FROM sales"
_SQLITE_CHUNK = (
    "SELECT group_concat(transaction_id || ',' || product_id, char(10)) FROM sales "
    "WHERE rowid >= ? AND rowid < ? AND transaction_id IS NOT NULL AND product_id IS NOT NULL"
)


def read_baskets_from_db(engine: Engine) -> Baskets:
    """Baskets from ``sales(transaction_id, product_id)``; labels are product ids as text."""
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
    return baskets_from_pairs(tids, pids)


def _read_postgresql(engine: Engine) -> tuple[Int64Array, Int64Array]:
    parser = _PgCopyArrays()
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with (
            connection.cursor() as cursor,
            cursor.copy(_pg_copy_statement(ROWS_PER_CHUNK)) as copy,
        ):
            for block in copy:
                parser.feed(bytes(block))
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
    """Incremental parser of a binary COPY stream whose rows are (int8[], int8[])."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header_seen = False
        self._done = False
        self._tids: list[Int64Array] = []
        self._pids: list[Int64Array] = []

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if not self._header_seen:
            if len(self._buffer) < _PGCOPY_HEADER_SIZE:
                return
            if not self._buffer.startswith(_PGCOPY_SIGNATURE):
                raise DatabaseError("unexpected COPY BINARY header from PostgreSQL")
            del self._buffer[:_PGCOPY_HEADER_SIZE]
            self._header_seen = True
        while not self._done and self._parse_row():
            pass

    def _parse_row(self) -> bool:
        """Parse one complete row from the buffer start; False when more data is needed."""
        buffer = self._buffer
        if len(buffer) < 2:
            return False
        (n_fields,) = struct.unpack_from(">h", buffer, 0)
        if n_fields == -1:  # trailer
            self._done = True
            del buffer[:2]
            return False
        if n_fields != 2:
            raise DatabaseError("unexpected COPY BINARY row layout from PostgreSQL")
        offset, fields = 2, []
        for _ in range(2):
            if len(buffer) < offset + 4:
                return False
            (length,) = struct.unpack_from(">i", buffer, offset)
            offset += 4
            if length < 0 or len(buffer) < offset + length:
                if length < 0:
                    raise DatabaseError("unexpected NULL array in COPY BINARY stream")
                return False
            fields.append(_int8_array(buffer, offset, length))
            offset += length
        self._tids.append(fields[0])
        self._pids.append(fields[1])
        del buffer[:offset]
        return True

    def result(self) -> tuple[Int64Array, Int64Array]:
        if self._header_seen and (self._buffer or not self._done):
            raise DatabaseError("truncated COPY BINARY stream from PostgreSQL")
        return _concat(self._tids), _concat(self._pids)


def _int8_array(buffer: bytearray, offset: int, length: int) -> Int64Array:
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
                    (text,) = cursor.fetchone()
                    if text:
                        chunk_tids, chunk_pids = _parse_pairs(text)
                        tids.append(chunk_tids)
                        pids.append(chunk_pids)
        finally:
            cursor.close()
    finally:
        raw.close()
    return _concat(tids), _concat(pids)


def _parse_pairs(text: str) -> tuple[Int64Array, Int64Array]:
    """``"tid,pid\\n..."`` lines as two int64 arrays (pyarrow's CSV reader, no Python per line)."""
    table = pa_csv.read_csv(
        io.BytesIO(text.encode()),
        read_options=pa_csv.ReadOptions(column_names=["tid", "pid"]),
        convert_options=pa_csv.ConvertOptions(column_types={"tid": pa.int64(), "pid": pa.int64()}),
    )
    return table.column("tid").to_numpy(), table.column("pid").to_numpy()


def _concat(parts: list[Int64Array]) -> Int64Array:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
