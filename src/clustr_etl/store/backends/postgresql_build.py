"""PostgreSQL: building the new tables in the shadow schema, on one connection or two.

With the shadow schema first on the search_path, the schema's own (unqualified) DDL creates and fills the
shadow tables, and a foreign key to a table not replaced references the live one. Each table is created in
the transaction that fills it, so its COPY is ``FREEZE``.

A big load (``split_sources``) is built over two connections at once, as PostgreSQL's work on one table
(COPY parsing) uses one core: the largest table that no other replaced table references (``sales``) is
built by the main transaction, which also switches everything in; the other tables are built, keyed and
COMMITTED in the shadow schema by a second connection meanwhile (:class:`BuildBeside`). Nobody reads the
shadow schema, so committing there changes nothing a reader sees. A failure or Ctrl-C cancels the other
connection and drops the shadow schema; a SIGKILL can leave committed shadow tables behind, which ``status``
shows and the next load drops before it builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING

import psycopg
from sqlalchemy import Engine, ForeignKeyConstraint, String, Table
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DataValidationError
from clustr_etl.progress import Progress
from clustr_etl.store.backends import ddl
from clustr_etl.store.backends.types import Step, TableSource
from clustr_etl.store.models import table as schema_table

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

SHADOW_SCHEMA = "clustr_shadow"  # new tables are built here, then moved into the live schema
SESSION_SETTINGS = (
    "SET LOCAL maintenance_work_mem = '256MB'",  # index builds: more was slower when measured
    "SET LOCAL lock_timeout = '60s'",
)
# A second connection pays (its start, a COMMIT) only when the tables it builds are this big.
BESIDE_MIN_BYTES = 8 << 20

PgConnection = psycopg.Connection[tuple[object, ...]]
PgCursor = psycopg.Cursor[tuple[object, ...]]
Transaction = Callable[[Engine, Step], "AbstractContextManager[PgConnection]"]


def split_sources(
    sources: Sequence[TableSource],
) -> tuple[list[TableSource], list[TableSource]]:
    """(built by the main transaction, built beside it on a second connection: [] for one connection).

    The main transaction takes the largest table no other replaced table references (so the tables
    built beside never wait for it); the others go beside when they are worth a second connection."""
    names = list(dict.fromkeys(source.table for source in sources))
    sizes = {name: sum(s.size for s in sources if s.table == name) for name in names}
    parents = {
        link.referred_table.name for link in ddl.links_touching(names) if link.table.name in names
    }
    leaves = [name for name in names if name not in parents]
    if len(names) < 2 or not leaves:
        return list(sources), []
    main = max(leaves, key=lambda name: sizes[name])
    if sum(size for name, size in sizes.items() if name != main) < BESIDE_MIN_BYTES:
        return list(sources), []
    return [s for s in sources if s.table == main], [s for s in sources if s.table != main]


def session_settings(cur: PgCursor) -> None:
    for setting in SESSION_SETTINGS:
        cur.execute(setting.encode())


def enter_shadow(engine: Engine, cur: PgCursor, live: str, *, create: bool) -> None:
    """Put the shadow schema first on this transaction's search_path (made afresh when ``create``:
    a leftover is never in use)."""
    shadow = ddl.quoted_name(engine, SHADOW_SCHEMA)
    if create:
        cur.execute(f"DROP SCHEMA IF EXISTS {shadow} CASCADE".encode())
        cur.execute(f"CREATE SCHEMA {shadow}".encode())
    path = f"{shadow}, {ddl.quoted_name(engine, live)}"
    cur.execute("SELECT set_config('search_path', %s, true)", (path,))


def fill_tables(
    engine: Engine, cur: PgCursor, step: Step, sources: Sequence[TableSource], progress: Progress
) -> None:
    """CREATE TABLE (no keys) and COPY ... FREEZE the sources into it, base then batches."""
    for name in dict.fromkeys(source.table for source in sources):
        for statement in ddl.create_table(engine, name):
            cur.execute(statement.encode())
    for source in sources:
        step.what = source.label
        copy_csv(engine, cur, ddl.quoted_table(engine, source.table), source, progress, freeze=True)


def key_tables(
    engine: Engine,
    cur: PgCursor,
    step: Step,
    names: Sequence[str],
    progress: Progress,
    *,
    parents_ready: Callable[[], object] = lambda: None,
) -> None:
    """Keys, indexes and ANALYZE of the filled tables ``names``, then (once ``parents_ready``
    returns) their foreign keys and sequences."""
    rebuild = [
        s for name in names for s in ddl.add_keys_and_indexes(engine, name, primary_key=True)
    ]
    rebuild += [f"ANALYZE {ddl.quoted_table(engine, name)}" for name in names]
    links = [link for link in ddl.links_touching(names) if link.table.name in names]
    label = "indexes and constraints" + ("" if len(names) > 1 else f" of {names[0]}")
    with progress.task(label, total=len(rebuild) + len(links)) as advance:
        for statement in rebuild:
            step.what = statement
            cur.execute(statement.encode())
            advance(1)
        step.what = "building the other tables"
        parents_ready()
        for link in links:
            step.what = ddl.add_foreign_key(engine, link)
            cur.execute(step.what.encode())
            advance(1)
    for name in names:
        _reset_sequence(engine, cur, schema_table(name))


def check_kept(engine: Engine, cur: PgCursor, step: Step, names: Sequence[str]) -> None:
    """Tables kept as they are must find every key they reference in the new parent tables."""
    step.what = "checking the references of the tables not replaced"
    for link in ddl.links_touching(names):
        if link.table.name not in names:
            _check_orphans(engine, cur, link)


def copy_csv(
    engine: Engine,
    cur: PgCursor,
    target: str,
    source: TableSource,
    progress: Progress,
    *,
    freeze: bool,
) -> None:
    """Stream the source's CSV into ``target``; NOT NULL text columns keep empty strings as such."""
    table = schema_table(source.table)
    not_null = [
        name
        for name in source.columns
        if not table.c[name].nullable and isinstance(table.c[name].type, String)
    ]
    options = "FORMAT csv, HEADER true" + (", FREEZE true" if freeze else "")
    if not_null:
        options += f", FORCE_NOT_NULL ({ddl.quoted_columns(engine, source.table, not_null)})"
    columns = ddl.quoted_columns(engine, source.table, source.columns)
    statement = f"COPY {target} ({columns}) FROM STDIN WITH ({options})"
    with (
        progress.task(f"load {source.table}", total=source.size) as advance,
        cur.copy(statement.encode()) as copy,
    ):
        for chunk in source.csv_chunks():
            copy.write(chunk)
            advance(len(chunk))


def scalar(cur: PgCursor, query: str) -> object:
    cur.execute(query.encode())
    row = cur.fetchone()
    return None if row is None else row[0]


def reset_shadow_schema(engine: Engine, *, create: bool) -> None:
    """Drop the shadow schema and what is in it, then make it afresh when ``create``, committed
    (``create=False`` is best effort: a leftover is shown by ``status`` and dropped by the next load)."""
    shadow = ddl.quoted_name(engine, SHADOW_SCHEMA)
    statements = ["SET lock_timeout = '60s'", f"DROP SCHEMA IF EXISTS {shadow} CASCADE"]
    statements += [f"CREATE SCHEMA {shadow}"] if create else []
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    except DBAPIError:
        if create:
            raise


class BuildBeside(threading.Thread):
    """Fills, keys and COMMITs ``sources`` in the shadow schema on a connection of its own.

    ``result()`` waits for it and re-raises its error; ``stop()`` cancels its statement and waits.
    When it fails by itself, ``error`` holds why and ``on_failure`` is called (from this thread) to
    cancel the main transaction's statement."""

    def __init__(
        self,
        engine: Engine,
        transaction: Transaction,
        live: str,
        sources: Sequence[TableSource],
        progress: Progress,
        on_failure: Callable[[], None],
    ) -> None:
        super().__init__(name="clustr-etl build beside", daemon=True)
        self._engine = engine
        self._transaction = transaction
        self._live = live
        self._sources = list(sources)
        self._progress = progress
        self._on_failure = on_failure
        self._conn: PgConnection | None = None
        self._stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        names = list(dict.fromkeys(source.table for source in self._sources))
        step = Step(f"building {', '.join(names)}")
        try:
            with self._transaction(self._engine, step) as conn, conn.cursor() as cur:
                self._conn = conn
                if self._stopping.is_set():
                    raise InterruptedError("stopped")
                session_settings(cur)
                enter_shadow(self._engine, cur, self._live, create=False)
                fill_tables(self._engine, cur, step, self._sources, self._progress)
                key_tables(self._engine, cur, step, names, self._progress)
        except BaseException as error:  # handed to the main thread, unless it stopped this one
            if not self._stopping.is_set():
                self.error = error
                self._on_failure()
        finally:
            self._conn = None

    def stop(self) -> None:
        self._stopping.set()
        conn = self._conn
        if conn is not None:
            with suppress(psycopg.Error):
                conn.cancel_safe()
        self.join()

    def result(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


def _check_orphans(engine: Engine, cur: PgCursor, link: ForeignKeyConstraint) -> None:
    """A table kept as it is must find every key it references in the new parent table."""
    child, parent = link.table.name, link.referred_table.name
    pairs = " AND ".join(
        f"p.{ddl.quoted_columns(engine, parent, [element.column.name])} = "
        f"c.{ddl.quoted_columns(engine, child, [element.parent.name])}"
        for element in link.elements
    )
    present = " AND ".join(
        f"c.{ddl.quoted_columns(engine, child, [element.parent.name])} IS NOT NULL"
        for element in link.elements
    )
    orphans = scalar(
        cur,
        f"SELECT count(*) FROM {ddl.quoted_table(engine, child)} c WHERE {present} AND NOT EXISTS "
        f"(SELECT 1 FROM {ddl.quoted_table(engine, parent)} p WHERE {pairs})",
    )
    if orphans:
        raise DataValidationError(
            f"{orphans} row(s) of {child} would reference a missing row of {parent}",
            "nothing was changed; load the missing rows too, or fix the references",
        )


def _reset_sequence(engine: Engine, cur: PgCursor, table: Table) -> None:
    """After COPY, an autoincrement key's sequence continues after the highest value loaded."""
    column = table.autoincrement_column
    if column is None:
        return
    quoted = ddl.quoted_columns(engine, table.name, [column.name])
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({quoted}), 1), "
        f"max({quoted}) IS NOT NULL) FROM {ddl.quoted_table(engine, table.name)}",
        (table.name, column.name),
    )
