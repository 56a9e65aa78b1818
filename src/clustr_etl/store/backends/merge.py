"""Appending and upserting rows by primary key, the same way on every backend.

The rows are bulk-loaded (COPY / batched insert) into a temporary table first; then, in the same
transaction, they are counted against the target and merged with ``INSERT ... SELECT ... ON CONFLICT
(primary key) DO NOTHING`` (append) or ``DO UPDATE SET ... WHERE <some value differs>`` (upsert); when
no key is in the target yet (a batch of new rows), with a plain ``INSERT ... SELECT`` (about a quarter
faster on PostgreSQL: no speculative insertion). The backend may check the inserted rows' foreign keys as
sets around the INSERT (``Backend.keys_checked``). A failure rolls everything back: the table keeps its
previous rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from clustr_etl.errors import DataValidationError, KeyConflictError
from clustr_etl.store.backends import ddl
from clustr_etl.store.backends.types import RowCounts, Step, TableSource
from clustr_etl.store.models import table as schema_table

if TYPE_CHECKING:
    from clustr_etl.store.backends.base import Backend

STAGE = "clustr_stage"


def merge_rows(backend: Backend, engine: Engine, source: TableSource, *, update: bool) -> RowCounts:
    return merge_sources(backend, engine, [(source, update)])[source.table]


def merge_sources(
    backend: Backend,
    engine: Engine,
    sources: Sequence[tuple[TableSource, bool]],
    *,
    insert_only: Collection[str] = (),
    before_commit: Callable[[], object] = lambda: None,
) -> dict[str, RowCounts]:
    """Merge every source (upsert when its flag is set, else append) in ONE transaction.

    Tables in ``insert_only`` refuse a row whose key exists with other values (KeyConflictError);
    an existing row given again as it is counts as unchanged. ``before_commit`` runs last inside the
    transaction: an error it raises rolls everything back.
    """
    counts: dict[str, RowCounts] = {}
    step = Step("staging rows")
    with backend.transaction(engine, step) as conn:
        for source, update in sources:
            done = _merge(backend, engine, conn, step, source, update, source.table in insert_only)
            previous = counts.get(source.table, RowCounts())
            counts[source.table] = RowCounts(
                inserted=previous.inserted + done.inserted,
                updated=previous.updated + done.updated,
                unchanged=previous.unchanged + done.unchanged,
            )
        step.what = "checking the CSV files"
        before_commit()
    return counts


def _merge(
    backend: Backend,
    engine: Engine,
    conn: Any,
    step: Step,
    source: TableSource,
    update: bool,
    insert_only: bool,
) -> RowCounts:
    table = schema_table(source.table)
    keys = [str(column.name) for column in table.primary_key.columns]
    missing = [key for key in keys if key not in source.columns]
    if missing:
        raise DataValidationError(
            f"{source.label}: no primary key column {', '.join(missing)} for {source.table}",
            "appending and upserting match rows by their primary key",
        )
    target = ddl.quoted_table(engine, source.table)
    stage = ddl.quoted_name(engine, STAGE)

    def col(name: str) -> str:
        return ddl.quoted_columns(engine, source.table, [name])

    columns = ddl.quoted_columns(engine, source.table, source.columns)
    key_list = ", ".join(col(key) for key in keys)
    joined = " AND ".join(f"{target}.{col(key)} = s.{col(key)}" for key in keys)
    values = [name for name in source.columns if name not in keys]

    def differs(new: str, name: str) -> str:
        return f"{target}.{col(name)} {backend.distinct_operator} {new}.{col(name)}"

    def any_differs(new: str) -> str:
        return " OR ".join(differs(new, name) for name in values)

    step.what = f"staging rows for {source.table}"
    conn.execute(backend.create_stage_sql(stage, columns, target))
    backend.stage_rows(engine, conn, stage, source)
    step.what = f"merging rows into {source.table}"
    twice = _scalar(
        conn,
        f"SELECT count(*) FROM (SELECT 1 FROM {stage} GROUP BY {key_list} HAVING count(*) > 1) d",
    )
    if twice:
        raise DataValidationError(
            f"{source.label}: {twice} primary key value(s) of {source.table} appear more than once",
            "give each row once; nothing was changed",
        )
    total = _scalar(conn, f"SELECT count(*) FROM {stage}")
    inserted = _scalar(
        conn,
        f"SELECT count(*) FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {joined})",
    )
    updated = 0
    action = "DO NOTHING"
    if (
        inserted == total
    ):  # every key is new (the usual batch): a plain INSERT, no conflict handling
        with backend.keys_checked(engine, conn, target, stage, source, updates=False):
            conn.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage}")
        conn.execute(f"DROP TABLE {stage}")
        return RowCounts(inserted=inserted)
    if values and (update or insert_only):
        changed = (
            f"SELECT count(*) FROM {stage} s JOIN {target} ON {joined} WHERE {any_differs('s')}"
        )
        updated = _scalar(conn, changed)
        if insert_only and updated:
            key_columns = ", ".join(f"s.{col(key)}" for key in keys)
            rows = f"{stage} s JOIN {target} ON {joined}"
            _raise_conflict(conn, source, keys, key_columns, values, rows, differs)
    if update and values:
        assignments = ", ".join(f"{col(name)} = excluded.{col(name)}" for name in values)
        action = f"DO UPDATE SET {assignments} WHERE {any_differs('excluded')}"
    with backend.keys_checked(engine, conn, target, stage, source, updates=update and bool(values)):
        conn.execute(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} WHERE true "
            f"ON CONFLICT ({key_list}) {action}"
        )
    conn.execute(f"DROP TABLE {stage}")
    return RowCounts(inserted=inserted, updated=updated, unchanged=total - inserted - updated)


def _raise_conflict(
    conn: Any,
    source: TableSource,
    keys: list[str],
    key: str,
    values: list[str],
    joined: str,
    differs: Callable[[str, str], str],
) -> None:
    """KeyConflictError naming the first (lowest) key given with other values, and the column."""
    flags = ", ".join(f"CASE WHEN {differs('s', name)} THEN 1 ELSE 0 END" for name in values)
    where = " OR ".join(differs("s", name) for name in values)
    row = conn.execute(
        f"SELECT {key}, {flags} FROM {joined} WHERE {where} ORDER BY {key} LIMIT 1"
    ).fetchone()
    assert row is not None
    column = values[list(row[len(keys) :]).index(1)]
    raise KeyConflictError(source.table, keys[0], row[0], column, source.label)


def _scalar(conn: Any, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0
