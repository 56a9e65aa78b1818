"""Appending and upserting rows by primary key, the same way on every backend.

The rows are bulk-loaded (COPY / batched insert) into a temporary table first; then, in the same
transaction, they are counted against the target and merged with ``INSERT ... SELECT ... ON CONFLICT
(primary key) DO NOTHING`` (append) or ``DO UPDATE SET ... WHERE <some value differs>`` (upsert). A
failure rolls everything back: the table keeps its previous rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from clustr_etl.backends import ddl
from clustr_etl.backends.base import RowCounts, Step, TableSource
from clustr_etl.errors import DataValidationError

if TYPE_CHECKING:
    from clustr_etl.backends.base import Backend

STAGE = "clustr_stage"


def merge_rows(backend: Backend, engine: Engine, source: TableSource, *, update: bool) -> RowCounts:
    table = ddl.table(source.table)
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

    def differs(new: str) -> str:
        operator = backend.distinct_operator
        return " OR ".join(f"{target}.{col(name)} {operator} {new}.{col(name)}" for name in values)

    step = Step(f"staging rows for {source.table}")
    with backend.transaction(engine, step) as conn:
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
        if update and values:
            updated = _scalar(
                conn,
                f"SELECT count(*) FROM {stage} s JOIN {target} ON {joined} WHERE {differs('s')}",
            )
            assignments = ", ".join(f"{col(name)} = excluded.{col(name)}" for name in values)
            action = f"DO UPDATE SET {assignments} WHERE {differs('excluded')}"
        conn.execute(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} WHERE true "
            f"ON CONFLICT ({key_list}) {action}"
        )
        conn.execute(f"DROP TABLE {stage}")
    return RowCounts(inserted=inserted, updated=updated, unchanged=total - inserted - updated)


def _scalar(conn: Any, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0
