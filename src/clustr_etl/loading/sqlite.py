"""SQLite loading: one IMMEDIATE transaction, rows streamed from pyarrow batches through ``executemany``.

Foreign keys are deferred to COMMIT (``PRAGMA defer_foreign_keys``) so parents can be replaced while children
keep referencing them; the secondary indexes of replaced tables are dropped and rebuilt after the inserts.
The rollback journal makes a killed load invisible: the next connection rolls it back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Engine

from clustr_etl.errors import DatabaseError, DataValidationError, LockTimeoutError
from clustr_etl.loading import ddl
from clustr_etl.loading.csv_files import CsvFile
from clustr_etl.loading.csv_scan import CountingFile, open_batches
from clustr_etl.loading.schema import Kind, column_specs
from clustr_etl.loading.step import Step
from clustr_etl.progress import Progress


@contextmanager
def transaction(engine: Engine, step: Step) -> Iterator[sqlite3.Connection]:
    """A sqlite3 connection inside BEGIN IMMEDIATE ... COMMIT; ROLLBACK and one clear error otherwise."""
    pooled = engine.raw_connection()
    conn: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
    previous = conn.isolation_level
    conn.isolation_level = None
    try:
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
        translated = translate_error(err, step.what)
        if translated is not None:
            raise translated from None
        raise
    finally:
        conn.isolation_level = previous
        pooled.close()


def translate_error(err: BaseException, what: str) -> Exception | None:
    if not isinstance(err, sqlite3.Error):
        return None
    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
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


def load_sqlite(engine: Engine, files: list[CsvFile], progress: Progress) -> None:
    """Replace the contents of the files' tables by the files, atomically."""
    names = list(dict.fromkeys(csv_file.table for csv_file in files))  # base, then batches
    step = Step(f"preparing {', '.join(names)}")
    with transaction(engine, step) as conn:
        for name in names:
            for statement in ddl.drop_indexes(engine, name):
                conn.execute(statement)
        for name in reversed(names):
            conn.execute(f"DELETE FROM {ddl.quoted_table(engine, name)}")
        for csv_file in files:
            step.what = csv_file.name
            _insert_file(engine, conn, csv_file, progress)
        step.what = "rebuilding indexes"
        with progress.task("indexes and constraints", total=len(names)) as advance:
            for name in names:
                for statement in ddl.create_indexes(engine, name):
                    conn.execute(statement)
                advance(1)


def _insert_file(
    engine: Engine, conn: sqlite3.Connection, csv_file: CsvFile, progress: Progress
) -> None:
    columns = ddl.quoted_columns(engine, csv_file.table, csv_file.columns)
    marks = ", ".join("?" for _ in csv_file.columns)
    statement = (
        f"INSERT INTO {ddl.quoted_table(engine, csv_file.table)} ({columns}) VALUES ({marks})"
    )
    specs = column_specs(csv_file.table)
    kinds = [specs[name].kind for name in csv_file.columns]
    with (
        progress.task(f"load {csv_file.table}", total=csv_file.size) as advance,
        CountingFile(csv_file.path) as stream,
    ):
        reported = 0
        for batch in open_batches(csv_file, stream):
            values = [_python_values(batch.column(i), kind) for i, kind in enumerate(kinds)]
            conn.executemany(statement, zip(*values, strict=True))
            advance(stream.bytes_read - reported)
            reported = stream.bytes_read


def _python_values(column: pa.Array, kind: Kind) -> list[Any]:
    """A typed column as the Python values SQLite stores (what SQLAlchemy reads back)."""
    if kind in (Kind.INT16, Kind.INT32, Kind.INT64):
        return column.to_numpy(zero_copy_only=False).tolist()  # type: ignore[no-any-return]
    if kind == Kind.DECIMAL:
        return column.cast(pa.float64()).to_numpy(zero_copy_only=False).tolist()  # type: ignore[no-any-return]
    if kind == Kind.BOOL:
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int8).tolist()  # type: ignore[no-any-return]
    if kind == Kind.DATE:
        return column.cast(pa.string()).to_pylist()  # type: ignore[no-any-return]
    return column.to_pylist()  # type: ignore[no-any-return]
