"""The interface every database backend implements, and what the backends share.

A :class:`Backend` is bound to one database URL. It owns everything that differs between database
systems: engines and URL handling, the writer lock, replacing whole tables atomically, appending and
upserting rows by primary key, reading baskets in bulk, the facts ``status`` shows, and turning driver
errors into the project's exceptions. Nothing outside ``clustr_etl.store.backends`` branches on the backend.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ClassVar

import numpy as np
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import LockTimeoutError
from clustr_etl.progress import Progress
from clustr_etl.store.backends.merge import merge_rows, merge_sources
from clustr_etl.store.backends.scrub import mask_url
from clustr_etl.store.backends.types import (
    Int64Array,
    LockWait,
    OnWait,
    RowCounts,
    Step,
    TableSource,
)

POLL_SECONDS = 0.2


class Backend(ABC):
    """One database backend, bound to a parsed URL (see :func:`clustr_etl.store.backends.backend_for`)."""

    name: ClassVar[str]

    def __init__(self, url: URL) -> None:
        self.url = url

    @classmethod
    def normalise_url(cls, url: URL) -> URL:
        """The URL with this backend's driver (e.g. ``postgresql://`` means psycopg 3)."""
        return url

    # Engines and URL handling
    @abstractmethod
    def make_engine(self) -> Engine:
        """An engine for the commands (connect timeouts, pragmas, folders as needed)."""

    def reader_engine(self) -> Engine:
        """An engine for read-only inspection (``status``); it gives up early when a writer blocks it."""
        return self.make_engine()

    def prepare_database(self, engine: Engine) -> None:
        """Persistent settings that let readers read while a command writes (init-db, migrate)."""
        return None

    def missing_database_file(self) -> str | None:
        """The database file that does not exist yet (connecting would create it); None: fine."""
        return None

    @contextmanager
    def migration_connection(self, engine: Engine) -> Iterator[Connection]:
        """One connection in one transaction for a schema migration: committed at the end, else rolled back."""
        with engine.begin() as conn:
            yield conn

    def lock_for_migration(
        self, connection: Connection, tables: Sequence[str], wait: LockWait = LockWait()
    ) -> None:
        """Before a migration's DDL: take the locks it needs without making readers queue (nothing where
        the migration's transaction already keeps readers reading, as in SQLite's WAL mode)."""
        return None

    # The writer lock
    @abstractmethod
    def writer_lock(self, timeout: float, on_wait: OnWait) -> AbstractContextManager[None]:
        """Hold the one-writer-at-a-time lock for the block; LockTimeoutError after ``timeout`` s."""

    @abstractmethod
    def lock_is_held(self) -> bool:
        """Whether some process holds the writer lock now (read-only probe, never waits)."""

    # Writing
    @abstractmethod
    def transaction(self, engine: Engine, step: Step) -> AbstractContextManager[Any]:
        """A driver connection in one transaction; rollback and one clear ClustrError on failure."""

    # Whether replace_tables builds the new contents beside the live tables, in a transaction nobody
    # else sees, so the CSV checks may run meanwhile (``before_switch`` waits for them).
    checks_while_building: ClassVar[bool] = False

    @abstractmethod
    def replace_tables(
        self,
        engine: Engine,
        sources: Sequence[TableSource],
        progress: Progress,
        wait: LockWait = LockWait(),
        before_switch: Callable[[], object] = lambda: None,
    ) -> None:
        """Replace the whole contents of the sources' tables, atomically, with keys rebuilt; readers
        keep reading the previous contents meanwhile (``wait``: how long to wait for their locks).
        ``before_switch()`` runs before the new contents become visible; what it raises rolls all back."""

    def leftover_tables(self, engine: Engine) -> list[str]:
        """Tables a killed load left behind (none on a backend that builds nothing beside the live ones)."""
        return []

    @abstractmethod
    def empty_table(self, conn: Connection, table: Table, *, referenced: bool) -> None:
        """Delete every row of ``table`` inside ``conn``'s transaction."""

    def append_rows(self, engine: Engine, source: TableSource) -> RowCounts:
        """Insert the rows whose primary key is new; rows with a known key are left as they are."""
        return merge_rows(self, engine, source, update=False)

    def upsert_rows(self, engine: Engine, source: TableSource) -> RowCounts:
        """Insert new rows and update the rows whose primary key exists and whose values differ."""
        return merge_rows(self, engine, source, update=True)

    def merge_batch(
        self,
        engine: Engine,
        sources: Sequence[tuple[TableSource, bool]],
        *,
        insert_only: Collection[str] = (),
        before_commit: Callable[[], object] = lambda: None,
    ) -> dict[str, RowCounts]:
        """Upsert (flag set) or append every source in one transaction; see ``merge_sources``."""
        counts = merge_sources(
            self, engine, sources, insert_only=insert_only, before_commit=before_commit
        )
        self.after_large_write(engine)
        return counts

    def after_large_write(self, engine: Engine) -> None:
        """Housekeeping after a big committed write (SQLite: checkpoint the WAL)."""
        return None

    # Used by merge_rows
    distinct_operator: ClassVar[str]  # NULL-safe "differs" between two values

    def keys_checked(
        self,
        engine: Engine,
        conn: Any,
        target: str,
        stage: str,
        source: TableSource,
        *,
        updates: bool,
    ) -> AbstractContextManager[None]:
        """Around ``INSERT INTO target ... SELECT ... FROM stage`` (``updates``: ``ON CONFLICT DO UPDATE``):
        the foreign keys of the new rows are checked (default: by the database, row by row, during the
        INSERT)."""
        return nullcontext()

    @abstractmethod
    def stage_rows(self, engine: Engine, conn: Any, stage: str, source: TableSource) -> None:
        """Bulk-insert the source's rows into the temporary table ``stage`` (created by the caller)."""

    @abstractmethod
    def create_stage_sql(self, stage: str, columns: str, table: str) -> str:
        """SQL creating an empty temporary table ``stage`` with ``columns`` of ``table``."""

    # Reading
    def sales_line_estimate(self, engine: Engine) -> int:
        """About how many sale lines there are (sizes the reader's arrays; 0 when unknown)."""
        return 0

    @abstractmethod
    def sales_pair_chunks(self, engine: Engine) -> Iterator[tuple[Int64Array, Int64Array]]:
        """``(transaction_id, product_id)`` of every sale line, as pairs of int64 arrays in chunks of
        about ``ROWS_PER_CHUNK`` lines, in no particular order (fastest when a transaction's lines
        lie in one chunk or in consecutive ones, and the chunks come in transaction-id order)."""

    # Status facts and errors
    def is_busy_error(self, err: DBAPIError) -> bool:
        """Whether a read failed only because a writer holds the database (try again later)."""
        return False

    @abstractmethod
    def translate_error(self, err: BaseException, what: str) -> Exception | None:
        """A driver error as one clear ClustrError line, or None to re-raise ``err`` as is."""


def poll_lock(try_lock: Callable[[], bool], url: URL, timeout: float, on_wait: OnWait) -> None:
    """Call ``try_lock`` until it succeeds; ``on_wait`` once if it does not at once."""
    deadline = time.monotonic() + timeout
    if try_lock():
        return
    on_wait(
        f"another clustr-etl command is writing to {mask_url(url)}; "
        f"waiting up to {timeout:g} s for it to finish (--lock-timeout / CLUSTR_LOCK_TIMEOUT)"
    )
    while time.monotonic() < deadline:
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))
        if try_lock():
            return
    raise LockTimeoutError(
        f"another clustr-etl command still holds the writer lock on {mask_url(url)} "
        f"after {timeout:g} s",
        "let it finish (see `clustr-etl status`) or raise --lock-timeout / CLUSTR_LOCK_TIMEOUT",
    )


ROWS_PER_CHUNK = 1_000_000  # sale lines per bulk read (COPY row / rowid range)


def concat_arrays(parts: list[Int64Array]) -> Int64Array:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
