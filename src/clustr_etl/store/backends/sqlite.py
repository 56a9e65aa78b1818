"""SQLite (the embedded default): engines, the file writer lock, batched-insert loading, bulk reads.

Writer lock: an exclusive lock on ``<database file>.lock`` through ``filelock`` (``flock`` on POSIX,
``LockFileEx`` on Windows); the operating system releases it when the process dies. A database-level lock
such as ``BEGIN IMMEDIATE`` would block our own writer connection. Readers never take it.

Replacing tables is one IMMEDIATE transaction, rows streamed in batches through ``executemany``. Its
foreign keys are switched off for the transaction (so ``DELETE`` takes SQLite's truncate path and no insert
looks up its parent) and checked once before COMMIT with ``PRAGMA foreign_key_check`` on every table the
replaced ones touch; the secondary indexes of replaced tables are dropped and rebuilt after the inserts.
Other writes defer their foreign keys to COMMIT (``PRAGMA defer_foreign_keys``).

Readers: ``init-db`` and ``migrate`` put the file in WAL journal mode (stored in the file, so it stays). Readers
then keep reading the last committed snapshot while a write transaction runs, and see the new contents at COMMIT,
never a partial table. A killed write leaves uncommitted frames in ``<db>-wal`` that every later connection
ignores. After a large write the WAL is checkpointed into the database file and truncated when no reader still
uses it (else passively), so ``<db>-wal`` does not grow without bound.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import filelock
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from clustr_etl.errors import DatabaseError, DataValidationError, LockTimeoutError, SchemaError
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.store.backends import base, ddl
from clustr_etl.store.backends.base import Backend, poll_lock
from clustr_etl.store.backends.scrub import driver_error_line
from clustr_etl.store.backends.types import Int64Array, LockWait, OnWait, Step, TableSource

BUSY_TIMEOUT_SECONDS = 30
CHECKPOINT_BUSY_MS = 1000  # a checkpoint waits at most this long for readers, then stays passive
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes of -wal kept after a checkpoint resets it
READ_TIMEOUT_SECONDS = 3  # status gives up after this while a writer commits
_RANGE = "SELECT min(rowid), max(rowid) FROM sales"
_CHUNK = (
    "SELECT CAST(group_concat(transaction_id || ',' || product_id, char(10)) AS BLOB) FROM sales "
    "WHERE rowid >= ? AND rowid < ? AND transaction_id IS NOT NULL AND product_id IS NOT NULL"
)


class SqliteBackend(Backend):
    name = "sqlite"
    distinct_operator = "IS NOT"

    @property
    def path(self) -> Path | None:
        """The database file (None for an in-memory database)."""
        database = self.url.database
        if not database or database == ":memory:":
            return None
        return Path(database).expanduser()

    @property
    def lock_path(self) -> Path | None:
        """The lock file next to the database (None for in-memory databases)."""
        path = self.path
        return None if path is None else path.with_name(path.name + ".lock")

    def make_engine(self) -> Engine:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(self.url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _on_connect)
        return engine

    def reader_engine(self) -> Engine:
        return create_engine(self.url, connect_args={"timeout": READ_TIMEOUT_SECONDS})

    def prepare_database(self, engine: Engine) -> None:
        """WAL journal mode, stored in the file: readers never wait for a writer (see the module doc)."""
        if self.path is None:
            return
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")

    def missing_database_file(self) -> str | None:
        path = self.path
        return None if path is None or path.is_file() else self.url.database

    @contextmanager
    def migration_connection(self, engine: Engine) -> Iterator[Connection]:
        """SQLite rebuilds tables to alter them, so its foreign keys are off meanwhile (checked before
        COMMIT) and the driver's own transaction handling is off, so that the DDL belongs to the transaction.
        """
        migration = create_engine(
            engine.url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, poolclass=NullPool
        )
        event.listen(migration, "connect", _driver_without_transactions)
        event.listen(migration, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        try:
            with migration.begin() as conn:
                yield conn
                orphans = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if orphans:
                    raise SchemaError(
                        f"the migration would leave {len(orphans)} row(s) with a broken foreign key "
                        f"(first in table {orphans[0][0]})",
                        "nothing was changed; fix those rows and run `clustr-etl migrate` again",
                    )
        finally:
            migration.dispose()

    # The writer lock
    @contextmanager
    def writer_lock(self, timeout: float, on_wait: OnWait) -> Iterator[None]:
        path = self.lock_path
        if path is None:
            yield
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(path, mode=0o644)

        def try_lock() -> bool:
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                return False
            return True

        poll_lock(try_lock, self.url, timeout, on_wait)
        try:
            yield
        finally:
            lock.release(force=True)

    def lock_is_held(self) -> bool:
        path = self.lock_path
        if path is None or not path.exists():
            return False
        probe = filelock.FileLock(path)
        try:
            probe.acquire(timeout=0)
        except filelock.Timeout:
            return True
        probe.release(force=True)
        return False

    # Writing
    @contextmanager
    def transaction(
        self, engine: Engine, step: Step, *, foreign_keys: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; ``foreign_keys=False`` leaves the checks to the caller."""
        pooled = engine.raw_connection()
        conn: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
        previous = conn.isolation_level
        conn.isolation_level = None
        try:
            if not foreign_keys:  # only possible outside a transaction
                conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("PRAGMA defer_foreign_keys = ON")
            yield conn
            step.what = "committing"
            conn.execute("COMMIT")
        except BaseException as err:
            if conn.in_transaction:
                # A failed ROLLBACK is completed from the journal when the database is next opened.
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            translated = self.translate_error(err, step.what)
            if translated is not None:
                raise translated from None
            raise
        finally:
            if not foreign_keys:
                with suppress(sqlite3.Error):
                    conn.execute("PRAGMA foreign_keys = ON")
            conn.isolation_level = previous
            pooled.close()

    def replace_tables(
        self,
        engine: Engine,
        sources: Sequence[TableSource],
        progress: Progress,
        wait: LockWait = LockWait(),
        before_switch: Callable[[], object] = lambda: None,
    ) -> None:
        names = list(dict.fromkeys(source.table for source in sources))  # base, then batches
        step = Step(f"preparing {', '.join(names)}")
        before_switch()  # the tables are changed in place: whatever checks come first
        with self.transaction(engine, step, foreign_keys=False) as conn:
            for name in names:
                for statement in ddl.drop_indexes(engine, name):
                    conn.execute(statement)
            for name in reversed(names):
                conn.execute(f"DELETE FROM {ddl.quoted_table(engine, name)}")
            for source in sources:
                step.what = source.label
                _insert(engine, conn, ddl.quoted_table(engine, source.table), source, progress)
            step.what = "rebuilding indexes"
            with progress.task("indexes and constraints", total=len(names)) as advance:
                for name in names:
                    for statement in ddl.create_indexes(engine, name):
                        conn.execute(statement)
                    advance(1)
            step.what = "checking foreign keys"
            _check_foreign_keys(engine, conn, names)
        checkpoint(engine)

    def after_large_write(self, engine: Engine) -> None:
        checkpoint(engine)

    def empty_table(self, conn: Connection, table: Table, *, referenced: bool) -> None:
        conn.execute(table.delete())

    def create_stage_sql(self, stage: str, columns: str, table: str) -> str:
        return f"CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {table} WHERE 0"

    def stage_rows(self, engine: Engine, conn: Any, stage: str, source: TableSource) -> None:
        _insert(engine, conn, stage, source, NO_PROGRESS)

    # Reading
    def sales_line_estimate(self, engine: Engine) -> int:
        with engine.connect() as conn:
            low, high = conn.exec_driver_sql(_RANGE).one()
        return 0 if low is None else int(high) - int(low) + 1

    def sales_pair_chunks(self, engine: Engine) -> Iterator[tuple[Int64Array, Int64Array]]:
        """``group_concat`` over rowid ranges, parsed by pyarrow's CSV reader (no Python per line)."""
        raw = engine.raw_connection()
        try:
            cursor: Any = raw.cursor()
            try:
                cursor.execute(_RANGE)
                low, high = cursor.fetchone()
                if low is not None:
                    step = base.ROWS_PER_CHUNK
                    for start in range(int(low), int(high) + 1, step):
                        cursor.execute(_CHUNK, (start, start + step))
                        (text,) = cursor.fetchone()  # bytes: no str decode/encode round trip
                        if text:
                            yield _parse_pairs(text)
            finally:
                cursor.close()
        finally:
            raw.close()
            _release_arrow_memory()

    # Status facts and errors
    def is_busy_error(self, err: DBAPIError) -> bool:
        return "locked" in str(err.orig)

    def translate_error(self, err: BaseException, what: str) -> Exception | None:
        if not isinstance(err, sqlite3.Error):
            return None
        message = driver_error_line(err, self.url)
        if isinstance(err, sqlite3.OperationalError) and "locked" in message:
            return LockTimeoutError(
                f"{what}: the SQLite database is locked by another process ({message})",
                "wait for it to finish and retry; nothing was changed",
            )
        if isinstance(err, sqlite3.IntegrityError):
            return DataValidationError(
                f"{what}: SQLite rejected the data: {message}", "nothing was changed"
            )
        return DatabaseError(f"{what}: SQLite error: {message}", "nothing was changed")


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file; truncate it if no reader needs it within a second."""
    raw = engine.raw_connection()
    try:
        conn: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        mode = conn.execute("PRAGMA journal_mode").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            return
        conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}")
        try:
            (busy, *_) = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError:  # a reader holds the WAL: the next checkpoint catches up
            pass
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    finally:
        raw.close()


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        cursor.close()


def _driver_without_transactions(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()


def _check_foreign_keys(engine: Engine, conn: sqlite3.Connection, names: Sequence[str]) -> None:
    """Every foreign key of the tables that reference or are ``names`` (PRAGMA foreign_key_check)."""
    children = dict.fromkeys(link.table.name for link in ddl.links_touching(names))
    for child in children:
        quoted = ddl.quoted_table(engine, child)
        broken = conn.execute(f"PRAGMA foreign_key_check({quoted})").fetchall()
        if broken:
            parents = ", ".join(sorted({str(row[2]) for row in broken}))
            raise DataValidationError(
                f"{len(broken)} row(s) of {child} would reference a missing row of {parents}",
                "nothing was changed; load the missing rows too, or fix the references",
            )


def _insert(
    engine: Engine, conn: sqlite3.Connection, target: str, source: TableSource, progress: Progress
) -> None:
    columns = ddl.quoted_columns(engine, source.table, source.columns)
    marks = ", ".join("?" for _ in source.columns)
    statement = f"INSERT INTO {target} ({columns}) VALUES ({marks})"
    with progress.task(f"load {source.table}", total=source.size) as advance:
        for rows, covered in source.row_batches():
            conn.executemany(statement, rows)
            advance(covered)


def _release_arrow_memory() -> None:
    """Hand the memory pyarrow's pool kept from the parsed chunks back to the system (mining
    follows, and its peak would otherwise sit on top of it)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _parse_pairs(text: bytes) -> tuple[Int64Array, Int64Array]:
    """``"tid,pid\\n..."`` lines as two int64 arrays."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    table = pa_csv.read_csv(
        io.BytesIO(text),
        read_options=pa_csv.ReadOptions(column_names=["tid", "pid"]),
        convert_options=pa_csv.ConvertOptions(column_types={"tid": pa.int64(), "pid": pa.int64()}),
    )
    return table.column("tid").to_numpy(), table.column("pid").to_numpy()
