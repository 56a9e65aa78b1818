"""PostgreSQL: reading ``sales(transaction_id, product_id)`` in bulk, without one Python object per line.

PostgreSQL sends one COPY message per row, and iterating 10M messages in Python takes longer than
the whole mining. So the server packs the pairs of about a million lines into one ``bytea`` of
fixed-width big-endian records (``int8send(transaction_id) || int4send(product_id)``, 12 bytes a
line), parsed with one numpy structured dtype: ``COPY (SELECT string_agg(...) FROM sales WHERE
ctid >= '(a,0)' AND ctid < '(b,0)') TO STDOUT (FORMAT BINARY)``, one range of heap pages at a time
(a TID range scan: no sort, no hash table that spills to disk, and the chunks come in the table's
physical order, which is the load order). ``string_agg`` of such records costs the server less than
``array_agg`` (no per-element array header) and sends a third of the bytes.

The ranges are read by ``READ_CONNECTIONS`` connections at once (the server's scans and packing
are most of the time), all in one REPEATABLE READ snapshot: the first connection holds the table's
ACCESS SHARE lock and exports its snapshot, the others import it, so the chunks are one consistent
view and a concurrent load's switch waits for the read. The chunks are handed over in page order.
Servers before 14 (no TID range scans) get one COPY grouped by ranges of transaction ids instead.
"""

from __future__ import annotations

import math
import struct
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from psycopg import sql

from clustr_etl.errors import DatabaseError
from clustr_etl.store.backends import base
from clustr_etl.store.backends.base import concat_arrays
from clustr_etl.store.backends.types import Int64Array

DEFAULT_ROWS_PER_PAGE = 100  # when PostgreSQL has no statistics yet (table never analysed)
TID_RANGE_SCAN_VERSION = 140000
MAX_GROUPS = 4096
READ_CONNECTIONS = 2  # page ranges read at once (the server's work is most of the read)
_SELECT_PAIRS = (
    "SELECT string_agg(int8send(CAST(transaction_id AS BIGINT)) || int4send(product_id), ''::bytea)"
    " FROM sales WHERE transaction_id IS NOT NULL AND product_id IS NOT NULL"
)
Pairs = tuple[Int64Array, Int64Array]


def begin_snapshot(connection: Any) -> tuple[str, int, float, int]:
    """Start the read on the first connection: (snapshot id, heap pages, rows per page, server
    version). The caller ends the transaction."""
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    connection.execute("SET LOCAL jit = off")  # compiling costs more than these scans gain
    connection.execute("LOCK TABLE sales IN ACCESS SHARE MODE")
    snapshot, pages, rows_per_page, version = connection.execute(
        "SELECT pg_export_snapshot(), pg_relation_size(oid) / current_setting('block_size')::bigint,"
        " CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages END,"
        " current_setting('server_version_num')::int"
        " FROM pg_class WHERE oid = to_regclass('sales')"
    ).fetchone()
    per_page = float(rows_per_page) if rows_per_page else DEFAULT_ROWS_PER_PAGE
    return str(snapshot), int(pages), per_page, int(version)


def join_snapshot(connection: Any, snapshot: str) -> None:
    """Read on ``connection`` in the snapshot the first connection exported."""
    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    connection.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    connection.execute("SET LOCAL jit = off")


def sales_pair_chunks(connections: Sequence[Any]) -> Iterator[Pairs]:
    """The pairs as (transaction ids, product ids) chunks, in the table's physical order, read on
    ``connections`` at once (the caller ends their transactions)."""
    first, *others = connections
    snapshot, pages, per_page, version = begin_snapshot(first)
    if version < TID_RANGE_SCAN_VERSION:
        yield from _copied_pairs(first, _grouped_statement(first, pages * per_page))
        return
    for connection in others:
        join_snapshot(connection, snapshot)
    yield from _in_order(connections, _page_range_statements(pages, per_page))


def _in_order(connections: Sequence[Any], statements: list[str]) -> Iterator[Pairs]:
    """Each statement's pairs, in statement order; statement ``k`` runs on connection ``k mod n``
    while the caller takes earlier ones (at most one statement ahead per connection)."""
    pools = [ThreadPoolExecutor(1, thread_name_prefix="sales-read") for _ in connections]
    pending: deque[Future[list[Pairs]]] = deque()
    try:
        for index, statement in enumerate(statements):
            lane = index % len(connections)
            pending.append(pools[lane].submit(_fetch, connections[lane], statement))
            if len(pending) > len(connections):
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        for pool in pools:
            pool.shutdown(wait=True)  # a running COPY ends before its connection is closed


def _fetch(connection: Any, statement: str) -> list[Pairs]:
    return list(_copied_pairs(connection, statement))


def _page_range_statements(pages: int, rows_per_page: float) -> list[str]:
    """One COPY per range of about ``base.ROWS_PER_CHUNK`` rows of heap pages; the last is open."""
    step = max(1, math.ceil(base.ROWS_PER_CHUNK / max(rows_per_page, 1.0)))
    starts = list(range(0, max(pages, 1), step))
    statements = []
    for index, first in enumerate(starts):
        condition = f" AND ctid >= '({int(first)},0)'::tid"
        if index + 1 < len(starts):
            condition += f" AND ctid < '({int(starts[index + 1])},0)'::tid"
        query = f"{_SELECT_PAIRS}{condition} HAVING count(*) > 0"  # no NULL value of no rows
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
        f"COPY ({_SELECT_PAIRS} GROUP BY (transaction_id - {low}) / {width})"
        " TO STDOUT (FORMAT BINARY)"
    )


def _copied_pairs(connection: Any, statement: str) -> Iterator[Pairs]:
    parser = PgCopyPairs()
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy:
            parser.feed(block)
            yield from parser.take()
    parser.finish()


_PGCOPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PGCOPY_HEADER_SIZE = 19  # signature, int32 flags, int32 header extension length (0)
PAIR_RECORD = np.dtype([("tid", ">i8"), ("pid", ">i4")])  # int8send || int4send, no padding


class PgCopyPairs:
    """Incremental parser of a binary COPY stream whose rows are one ``bytea`` of pair records.

    Blocks are appended to one buffer; parsed rows are cut from its front (the values are copied
    out), so a row split across many blocks costs no quadratic copying.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._header_seen = False
        self._done = False
        self._rows: list[Pairs] = []

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._pending += data
        view = memoryview(self._pending)
        try:
            offset = self._parse(view)
        finally:
            view.release()
        del self._pending[:offset]

    def _parse(self, view: memoryview) -> int:
        """Parse the complete rows in ``view``; return where the unparsed tail starts."""
        offset = 0
        if not self._header_seen:
            if len(view) < _PGCOPY_HEADER_SIZE:
                return 0
            if bytes(view[: len(_PGCOPY_SIGNATURE)]) != _PGCOPY_SIGNATURE:
                raise DatabaseError("unexpected COPY BINARY header from PostgreSQL")
            offset = _PGCOPY_HEADER_SIZE
            self._header_seen = True
        while not self._done:
            end = self._parse_row(view, offset)
            if end is None:
                break
            offset = end
        return offset

    def _parse_row(self, view: memoryview, offset: int) -> int | None:
        """Parse the row at ``offset``; return where it ends, or None when it is incomplete."""
        if len(view) < offset + 2:
            return None
        (n_fields,) = struct.unpack_from(">h", view, offset)
        if n_fields == -1:  # trailer
            self._done = True
            return offset + 2
        if n_fields != 1:
            raise DatabaseError("unexpected COPY BINARY row layout from PostgreSQL")
        if len(view) < offset + 6:
            return None
        length: int = struct.unpack_from(">i", view, offset + 2)[0]
        start = offset + 6
        if length < 0 or length % PAIR_RECORD.itemsize:
            raise DatabaseError("unexpected value in COPY BINARY stream of sale lines")
        if len(view) < start + length:
            return None
        records = np.frombuffer(
            view, dtype=PAIR_RECORD, count=length // PAIR_RECORD.itemsize, offset=start
        )
        self._rows.append((records["tid"].astype(np.int64), records["pid"].astype(np.int64)))
        return start + length

    def take(self) -> list[Pairs]:
        """The rows parsed since the last call (the parser lets go of them)."""
        rows, self._rows = self._rows, []
        return rows

    def finish(self) -> None:
        """Refuses a stream that ended before its trailer."""
        if self._header_seen and (self._pending or not self._done):
            raise DatabaseError("truncated COPY BINARY stream from PostgreSQL")

    def result(self) -> Pairs:
        """Every row not taken yet, concatenated (after ``finish``'s check)."""
        self.finish()
        rows = self.take()
        return concat_arrays([t for t, _ in rows]), concat_arrays([p for _, p in rows])
