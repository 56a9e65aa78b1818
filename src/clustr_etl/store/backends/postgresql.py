"""PostgreSQL (psycopg 3): engines, the advisory writer lock, COPY loading, bulk basket reads.

Writer lock: a session advisory lock (``pg_try_advisory_lock``, polled) held on a dedicated connection for
the whole command; the server releases it when that connection closes, including after SIGKILL. Readers
(``status``, queries) never take it.

Replacing tables is one transaction, and readers keep reading the live tables until its last moment:

1. refuse, before anything is loaded, if something hangs on the tables that cannot be carried over
   (``postgresql_carry``);
2. build the new tables in the schema ``clustr_shadow`` (``postgresql_build``): CREATE TABLE (in the
   transaction that fills it, so COPY ... FREEZE applies), COPY the CSV bytes, then keys, indexes, ANALYZE
   and the foreign keys among them and to the live tables they reference; check that tables kept as they
   are find every key they reference. A big load builds its largest table here and the others at the
   same time on a second connection, which commits them in the shadow schema;
3. switch (``postgresql_switch``): lock the live tables with a short ``lock_timeout``, retried with backoff
   up to ``--lock-timeout``; drop the dependent views and the live tables, move the new ones in with
   ``ALTER TABLE ... SET SCHEMA`` (their keys, indexes and sequences move with them, names unchanged),
   re-add foreign keys from kept tables ``NOT VALID`` and create the views, grants and comments again;
4. COMMIT, then validate those foreign keys (a lock that does not block readers).

The CSV checks of ``load`` run in a thread while step 2 builds (``checks_while_building``); the switch
waits for them, and a problem they find rolls everything back before the switch.

Everything readers see changes in one transaction, so a failure, Ctrl-C or SIGKILL at any point leaves the
previous tables exactly as they were. A failure or Ctrl-C also drops the shadow schema; after a SIGKILL of a
big load, tables the second connection committed there may stay behind: ``leftover_tables`` shows them and
the next load drops them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import (
    Connection,
    Engine,
    ForeignKeyConstraint,
    Table,
    create_engine,
    text,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from clustr_etl.errors import DatabaseError, DataValidationError, LockTimeoutError
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.store.backends import ddl
from clustr_etl.store.backends.base import Backend, poll_lock
from clustr_etl.store.backends.postgresql_build import (
    SHADOW_SCHEMA,
    BuildBeside,
    PgConnection,
    PgCursor,
    check_kept,
    copy_csv,
    enter_shadow,
    fill_tables,
    key_tables,
    reset_shadow_schema,
    scalar,
    session_settings,
    split_sources,
)
from clustr_etl.store.backends.postgresql_carry import read_carried, refuse_unknown, table_oids
from clustr_etl.store.backends.postgresql_copy import READ_CONNECTIONS, sales_pair_chunks
from clustr_etl.store.backends.postgresql_keys import keys_checked_as_sets
from clustr_etl.store.backends.postgresql_switch import lock_for_migration, switch_when_free
from clustr_etl.store.backends.scrub import driver_error_line, mask_url
from clustr_etl.store.backends.types import Int64Array, LockWait, OnWait, Step, TableSource

CONNECT_TIMEOUT_SECONDS = 5
# Fixed, positive advisory-lock key: int(sha256(b"clustr-etl writer")[:8]) >> 1.
ADVISORY_LOCK_KEY = 0x49BB_251B_0621_C8A3
LOCK_APPLICATION_NAME = "clustr-etl-lock"
DRIVER = "postgresql+psycopg"


class PostgresqlBackend(Backend):
    name = "postgresql"
    distinct_operator = "IS DISTINCT FROM"
    checks_while_building = True  # the shadow tables are invisible until the switch

    @classmethod
    def normalise_url(cls, url: URL) -> URL:
        return url if url.drivername == DRIVER else url.set(drivername=DRIVER)

    def make_engine(self) -> Engine:
        return create_engine(
            self.url,
            use_native_hstore=False,  # no hstore here: saves a pg_type lookup per engine
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": "clustr-etl",
            },
            pool_pre_ping=True,
        )

    def lock_for_migration(
        self, connection: Connection, tables: Sequence[str], wait: LockWait = LockWait()
    ) -> None:
        conn: PgConnection = connection.connection.driver_connection  # type: ignore[assignment]
        with conn.cursor() as cur:
            lock_for_migration(cur, tables, wait)

    # The writer lock
    def _lock_connection(self) -> Connection:
        engine = create_engine(
            self.url,
            use_native_hstore=False,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "application_name": LOCK_APPLICATION_NAME,
            },
        )
        try:
            return engine.connect()
        except DBAPIError as err:
            raise DatabaseError(
                f"cannot connect to database {mask_url(self.url)}: {driver_error_line(err, self.url)}",
                "check CLUSTR_DATABASE_URL / --database-url and that the server is running",
            ) from None

    @contextmanager
    def writer_lock(self, timeout: float, on_wait: OnWait) -> Iterator[None]:
        conn = self._lock_connection()
        try:

            def try_lock() -> bool:
                query = text("SELECT pg_try_advisory_lock(:key)")
                return bool(conn.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar_one())

            poll_lock(try_lock, self.url, timeout, on_wait)
            try:
                yield
            finally:
                # If the connection is already gone, the server released the lock with it.
                with suppress(DBAPIError):
                    unlock = text("SELECT pg_advisory_unlock(:key)")
                    conn.execute(unlock, {"key": ADVISORY_LOCK_KEY})
        finally:
            with suppress(DBAPIError):
                conn.close()

    def lock_is_held(self) -> bool:
        conn = self._lock_connection()
        try:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                ),
                {"high": ADVISORY_LOCK_KEY >> 32, "low": ADVISORY_LOCK_KEY & 0xFFFF_FFFF},
            ).scalar_one()
        finally:
            conn.close()
        return bool(held)

    # Writing
    @contextmanager
    def transaction(self, engine: Engine, step: Step) -> Iterator[PgConnection]:
        pooled = engine.raw_connection()
        conn: PgConnection = pooled.driver_connection  # type: ignore[assignment]
        try:
            if conn.autocommit:
                conn.autocommit = False
            yield conn
            step.what = "committing"
            conn.commit()
        except BaseException as err:
            try:
                conn.rollback()
            except psycopg.Error:
                pooled.invalidate()
            translated = self.translate_error(err, step.what)
            if translated is not None:
                raise translated from None
            raise
        finally:
            pooled.close()

    def replace_tables(
        self,
        engine: Engine,
        sources: Sequence[TableSource],
        progress: Progress,
        wait: LockWait = LockWait(),
        before_switch: Callable[[], object] = lambda: None,
    ) -> None:
        main, beside = split_sources(sources)
        if beside:
            try:
                reset_shadow_schema(engine, create=True)
            except DBAPIError as err:
                raise DatabaseError(
                    f"creating the schema {SHADOW_SCHEMA}: {driver_error_line(err, self.url)}",
                    "nothing was changed",
                ) from None
        try:
            revalidate = self._build_and_switch(
                engine, sources, main, beside, progress, wait, before_switch
            )
        except BaseException:
            if beside:  # the tables built beside were committed in the shadow schema
                reset_shadow_schema(engine, create=False)
            raise
        _validate_links(engine, revalidate)

    def _build_and_switch(
        self,
        engine: Engine,
        sources: Sequence[TableSource],
        main: Sequence[TableSource],
        beside: Sequence[TableSource],
        progress: Progress,
        wait: LockWait,
        before_switch: Callable[[], object],
    ) -> list[ForeignKeyConstraint]:
        """Build (``main`` here, ``beside`` on a second connection), check, switch: one transaction."""
        names = list(dict.fromkeys(source.table for source in sources))  # base, then batches
        step = Step(f"preparing {', '.join(names)}")
        with self.transaction(engine, step) as conn, conn.cursor() as cur:
            session_settings(cur)
            live = str(scalar(cur, "SELECT current_schema()"))
            search_path = str(scalar(cur, "SELECT current_setting('search_path')"))
            refuse_unknown(cur, ddl.own_object_names(engine), live, names)
            helper = None
            if beside:
                helper = BuildBeside(
                    engine, self.transaction, live, beside, progress, conn.cancel_safe
                )
                helper.start()
            try:
                enter_shadow(engine, cur, live, create=helper is None)
                fill_tables(engine, cur, step, main, progress)
                main_names = list(dict.fromkeys(source.table for source in main))
                done = helper.result if helper is not None else lambda: None
                key_tables(engine, cur, step, main_names, progress, parents_ready=done)
            except BaseException as error:
                if helper is not None:
                    helper.stop()
                    if helper.error is not None and not isinstance(error, KeyboardInterrupt):
                        raise helper.error from None  # what failed first, not the cancel it caused
                raise
            check_kept(engine, cur, step, names)
            step.what = "checking the CSV files"
            before_switch()
            cur.execute("SELECT set_config('search_path', %s, true)", (search_path,))
            step.what = f"switching in the new {', '.join(names)}"
            return _switch(engine, cur, live, names, wait)

    def leftover_tables(self, engine: Engine) -> list[str]:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY 1"),
                {"schema": SHADOW_SCHEMA},
            )
            return [f"{SHADOW_SCHEMA}.{row[0]}" for row in rows]

    def empty_table(self, conn: Connection, table: Table, *, referenced: bool) -> None:
        if referenced:  # PostgreSQL refuses TRUNCATE on a referenced table; DELETE checks the keys
            conn.execute(table.delete())
        else:
            conn.execute(text(f"TRUNCATE TABLE {ddl.quoted_table(conn.engine, table.name)}"))

    def create_stage_sql(self, stage: str, columns: str, table: str) -> str:
        return f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"

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
        return keys_checked_as_sets(engine, conn, target, stage, source, updates=updates)

    def stage_rows(self, engine: Engine, conn: Any, stage: str, source: TableSource) -> None:
        with conn.cursor() as cur:
            copy_csv(engine, cur, stage, source, NO_PROGRESS, freeze=False)

    # Reading
    def sales_line_estimate(self, engine: Engine) -> int:
        with engine.connect() as conn:
            estimate = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('sales')")
            ).scalar()
        return max(int(estimate or 0), 0)

    def sales_pair_chunks(self, engine: Engine) -> Iterator[tuple[Int64Array, Int64Array]]:
        raws = []
        try:
            for _ in range(READ_CONNECTIONS):
                raws.append(engine.raw_connection())
            connections: list[Any] = [raw.driver_connection for raw in raws]
            yield from sales_pair_chunks(connections)
            for connection in connections:
                connection.rollback()
        except psycopg.Error as err:
            raise DatabaseError(
                f"cannot read sales from PostgreSQL: {driver_error_line(err, self.url)}"
            ) from None
        finally:
            for raw in raws:
                raw.close()

    def translate_error(self, err: BaseException, what: str) -> Exception | None:
        if not isinstance(err, psycopg.Error):
            return None
        diag = err.diag
        message = driver_error_line(Exception(diag.message_primary or str(err)), self.url)
        context = (diag.context or "").strip().splitlines()
        where = f" ({context[0]})" if context else ""
        if isinstance(err, pg_errors.LockNotAvailable):
            return LockTimeoutError(
                f"{what}: another session holds a lock on the tables: {message}",
                "wait for it to finish and retry; nothing was changed",
            )
        if isinstance(err, psycopg.IntegrityError | psycopg.DataError):
            return DataValidationError(
                f"{what}: PostgreSQL rejected the data: {message}{where}",
                "nothing was changed",
            )
        if isinstance(err, psycopg.OperationalError):
            return DatabaseError(
                f"{what}: the database connection failed: {message}",
                "nothing was changed; check the server and run the command again",
            )
        return DatabaseError(f"{what}: PostgreSQL error: {message}{where}", "nothing was changed")


def _switch(
    engine: Engine, cur: PgCursor, live: str, names: Sequence[str], wait: LockWait
) -> list[ForeignKeyConstraint]:
    """Swap the shadow tables in (short locks, retried); return the foreign keys to validate after."""
    kept_children = [link for link in ddl.links_touching(names) if link.table.name not in names]
    oids = table_oids(cur, live, names)
    locked = list(dict.fromkeys([*names, *(link.table.name for link in kept_children)]))
    locks = ", ".join(ddl.quoted_table(engine, name) for name in locked)
    shadow = ddl.quoted_name(engine, SHADOW_SCHEMA)
    schema = ddl.quoted_name(engine, live)

    def switch() -> None:
        carried = read_carried(cur, live, names)
        drop_views = carried.drop_views()
        if drop_views is not None:
            cur.execute(drop_views)
        for link in kept_children:
            cur.execute(ddl.drop_foreign_key(engine, link).encode())
        tables = ", ".join(ddl.quoted_table(engine, name) for name in names)
        cur.execute(f"DROP TABLE {tables}".encode())
        for name in names:
            quoted = ddl.quoted_name(engine, name)
            cur.execute(f"ALTER TABLE {shadow}.{quoted} SET SCHEMA {schema}".encode())
        for link in kept_children:
            cur.execute(f"{ddl.add_foreign_key(engine, link)} NOT VALID".encode())
        for statement in carried.recreate():
            cur.execute(statement)
        cur.execute(f"DROP SCHEMA {shadow}".encode())

    switch_when_free(cur, locks, oids, switch, wait)
    return kept_children


def _validate_links(engine: Engine, links: Sequence[ForeignKeyConstraint]) -> None:
    """Mark the re-added foreign keys valid (checked before the switch); readers are not blocked."""
    if not links:
        return
    with engine.begin() as conn:
        for link in links:
            table = ddl.quoted_table(engine, link.table.name)
            name = ddl.quoted_name(engine, str(link.name))
            conn.execute(text(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"))
