"""Foreign keys of an ``INSERT ... SELECT`` from a staged batch checked as one set, not row by row.

PostgreSQL checks a foreign key with a trigger per inserted row: an index lookup and a row lock through
the SPI executor, about 70 % of the INSERT's time when a week of sale lines joins a 1M-transaction database.
When the role may set ``session_replication_role`` (a superuser, or PostgreSQL 15+'s
``GRANT SET ON PARAMETER session_replication_role TO <role>``) and nothing else hangs on the table's
inserts, the merge does the same work as sets instead:

1. every foreign key of the table (read from ``pg_constraint``, so keys the API team added count too):
   the distinct referenced values of the batch are looked up in the parent table in one query, which takes
   the same ``FOR KEY SHARE`` row locks the triggers take (a concurrent DELETE of a referenced row waits
   for our COMMIT, then fails as it would); one missing value refuses the batch, naming it;
2. the INSERT runs with ``session_replication_role = replica`` (``SET LOCAL``: back to ``origin`` right
   after it, and at the end of the transaction whatever happens), which skips the per-row checks.

Otherwise (no privilege, a user trigger or rule on the table, an INSERT that updates existing rows, a key
referring to the table itself or to a table the role may not lock rows of, a key column the batch does not
give) the INSERT runs as it is and the server checks each row, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from psycopg import errors as pg_errors
from sqlalchemy import Engine

from clustr_etl.errors import DataValidationError
from clustr_etl.store.backends import ddl
from clustr_etl.store.backends.postgresql_build import PgConnection, PgCursor
from clustr_etl.store.backends.types import TableSource

SAVEPOINT = "clustr_replica_role"


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: list[str]
    # The parent table as regclass text (quoted, schema-qualified as needed); None: the table itself,
    # or a table this role may not lock rows of (FOR KEY SHARE needs UPDATE on it; the triggers don't).
    parent: str | None
    parent_columns: list[str]


def foreign_keys(cur: PgCursor, table: str) -> list[ForeignKey]:
    """The foreign keys of ``table`` as the server enforces them (column names in key order)."""
    cur.execute(
        """
        SELECT c.conname,
               CASE WHEN c.confrelid <> c.conrelid AND has_table_privilege(c.confrelid, 'UPDATE')
                    THEN c.confrelid::regclass::text END,
               array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
               array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
        FROM pg_constraint c
        WHERE c.conrelid = to_regclass(%s) AND c.contype = 'f'
        ORDER BY c.conname
        """,
        (table,),
    )
    return [
        ForeignKey(
            str(name), cast(list[str], columns), cast(str | None, parent), cast(list[str], theirs)
        )
        for name, parent, columns, theirs in cur.fetchall()
    ]


def has_insert_hooks(cur: PgCursor, table: str) -> bool:
    """A user trigger or rule on the table (``replica`` would change which of them fire)."""
    cur.execute(
        """
        SELECT EXISTS (SELECT 1 FROM pg_trigger
                       WHERE tgrelid = to_regclass(%(t)s) AND NOT tgisinternal AND tgenabled <> 'D')
            OR EXISTS (SELECT 1 FROM pg_rewrite
                       WHERE ev_class = to_regclass(%(t)s) AND ev_enabled <> 'D')
        """,
        {"t": table},
    )
    row = cur.fetchone()
    return bool(row and row[0])


def may_skip_row_checks(conn: PgConnection) -> bool:
    """Whether this session may set ``session_replication_role`` (tried in a savepoint, then undone)."""
    with conn.cursor() as cur:
        cur.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            cur.execute("SET LOCAL session_replication_role = replica")
        except pg_errors.InsufficientPrivilege:
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            return False
        cur.execute("SET LOCAL session_replication_role = origin")
        cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return True


def set_checked_links(
    conn: PgConnection, table: str, columns: Sequence[str], *, updates: bool = False
) -> list[ForeignKey] | None:
    """The foreign keys to check as sets for an insert of ``columns`` into ``table``, or None when the
    rows must go through the server's own per-row checks: an INSERT that ``updates`` existing rows (an
    updated row's keys are also checked by the tables referencing it), a key referring to the table
    itself (the new rows are not there yet when the sets are checked) or to a table whose rows this role
    may not lock, a key column not given."""
    if updates:
        return None
    with conn.cursor() as cur:
        links = foreign_keys(cur, table)
        if not links or has_insert_hooks(cur, table):
            return None
    for link in links:
        if link.parent is None or any(column not in columns for column in link.columns):
            return None
    return links if may_skip_row_checks(conn) else None


def lock_parents(
    engine: Engine, conn: PgConnection, stage: str, link: ForeignKey, source: TableSource
) -> None:
    """Find and lock (``FOR KEY SHARE``) every parent row the batch refers to; refuse a missing one."""
    assert link.parent is not None
    own = [ddl.quoted_name(engine, column) for column in link.columns]
    theirs = [ddl.quoted_name(engine, column) for column in link.parent_columns]
    given = " AND ".join(f"s.{column} IS NOT NULL" for column in own)
    wanted = f"SELECT DISTINCT {', '.join(f's.{c}' for c in own)} FROM {stage} s WHERE {given}"
    matched = " AND ".join(f"p.{p} = w.{c}" for p, c in zip(theirs, own, strict=True))
    with conn.cursor() as cur:
        cur.execute(  # the batch's distinct values made once (a CTE used twice is materialised)
            f"WITH w AS ({wanted}) SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM ("
            f"SELECT 1 FROM {link.parent} p WHERE EXISTS (SELECT 1 FROM w WHERE {matched}) "
            "FOR KEY SHARE OF p) found)".encode()
        )
        row = cur.fetchone()
        assert row is not None
        wanted_count, found_count = cast(tuple[int, int], row)
        missing = wanted_count - found_count
        if missing <= 0:
            return
        absent = " AND ".join(f"p.{p} = s.{c}" for p, c in zip(theirs, own, strict=True))
        cur.execute(
            f"SELECT {', '.join(f's.{c}' for c in own)} FROM {stage} s WHERE {given} AND NOT EXISTS "
            f"(SELECT 1 FROM {link.parent} p WHERE {absent}) ORDER BY 1 LIMIT 1".encode()
        )
        example = cur.fetchone()
    shown = ", ".join(str(value) for value in example or ())
    raise DataValidationError(
        f"{source.label}: {missing} {', '.join(link.columns)} value(s) of {source.table} are in no row of "
        f"{link.parent} (e.g. {shown}; foreign key {link.name})",
        f"add the {link.parent} rows first, or in the same batch; nothing was changed",
    )


@contextmanager
def keys_checked_as_sets(
    engine: Engine,
    conn: PgConnection,
    target: str,
    stage: str,
    source: TableSource,
    *,
    updates: bool,
) -> Iterator[None]:
    """Around an ``INSERT INTO target ... SELECT ... FROM stage`` (``updates``: ``ON CONFLICT DO
    UPDATE``): foreign keys checked as sets when allowed (see the module's docstring), else left to the
    server's per-row triggers."""
    links = set_checked_links(conn, target, source.columns, updates=updates)
    if links is None:
        yield
        return
    for link in links:
        lock_parents(engine, conn, stage, link, source)
    conn.execute("SET LOCAL session_replication_role = replica")
    yield
    conn.execute("SET LOCAL session_replication_role = origin")
