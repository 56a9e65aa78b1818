"""PostgreSQL loading: one transaction that swaps the tables' contents with COPY.

TRUNCATE the replaced tables (one statement, no CASCADE), with the foreign keys touching them and their
indexes dropped; stream the raw CSV bytes through COPY ... FREEZE; rebuild keys and indexes; ANALYZE; re-add
the foreign keys (which PostgreSQL validates); COMMIT. DDL is transactional in PostgreSQL, so any failure or
a killed process leaves the previous contents, constraints and indexes untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine

from clustr_etl.errors import DatabaseError, DataValidationError, LockTimeoutError
from clustr_etl.loading import ddl
from clustr_etl.loading.csv_files import BOM, CsvFile
from clustr_etl.loading.schema import foreign_keys
from clustr_etl.loading.step import Step
from clustr_etl.progress import Progress

COPY_CHUNK = 1 << 20
SESSION_SETTINGS = (
    "SET LOCAL maintenance_work_mem = '256MB'",  # index builds: more was slower when measured
    "SET LOCAL lock_timeout = '60s'",
)


@contextmanager
def transaction(engine: Engine, step: Step) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A psycopg connection in one transaction: COMMIT on success, ROLLBACK and one clear error otherwise."""
    pooled = engine.raw_connection()
    conn: psycopg.Connection[tuple[object, ...]] = pooled.driver_connection  # type: ignore[assignment]
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
        translated = translate_error(err, step.what)
        if translated is not None:
            raise translated from None
        raise
    finally:
        pooled.close()


def translate_error(err: BaseException, what: str) -> Exception | None:
    """A psycopg error as one clear line, or None to re-raise it as is."""
    if not isinstance(err, psycopg.Error):
        return None
    diag = err.diag
    message = (diag.message_primary or str(err)).strip().splitlines()[0]
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


def load_postgres(engine: Engine, files: list[CsvFile], progress: Progress) -> None:
    """Replace the contents of the files' tables by the files, atomically."""
    names = list(dict.fromkeys(csv_file.table for csv_file in files))  # base, then batches
    links = [link for link in foreign_keys() if link.child in names or link.parent in names]
    rebuild = [
        statement
        for name in names
        for statement in ddl.add_keys_and_indexes(engine, name, primary_key=True)
    ]
    rebuild += [f"ANALYZE {ddl.quoted_table(engine, name)}" for name in names]
    rebuild += [ddl.add_foreign_key(engine, link) for link in links]
    step = Step(f"preparing {', '.join(names)}")
    with transaction(engine, step) as conn, conn.cursor() as cur:
        for setting in SESSION_SETTINGS:
            cur.execute(setting.encode())
        for link in links:
            cur.execute(ddl.drop_foreign_key(engine, link).encode())
        for name in names:
            for statement in ddl.drop_keys_and_indexes(engine, name, primary_key=True):
                cur.execute(statement.encode())
        tables = ", ".join(ddl.quoted_table(engine, name) for name in names)
        cur.execute(f"TRUNCATE TABLE {tables}".encode())
        for csv_file in files:
            step.what = csv_file.name
            _copy_file(engine, cur, csv_file, progress)
        with progress.task("indexes and constraints", total=len(rebuild)) as advance:
            for statement in rebuild:
                step.what = statement
                cur.execute(statement.encode())
                advance(1)


def _copy_file(
    engine: Engine, cur: psycopg.Cursor[tuple[object, ...]], csv_file: CsvFile, progress: Progress
) -> None:
    columns = ddl.quoted_columns(engine, csv_file.table, csv_file.columns)
    statement = (
        f"COPY {ddl.quoted_table(engine, csv_file.table)} ({columns}) "
        "FROM STDIN WITH (FORMAT csv, HEADER true, FREEZE true)"
    )
    with (
        progress.task(f"load {csv_file.table}", total=csv_file.size) as advance,
        csv_file.path.open("rb") as source,
        cur.copy(statement.encode()) as copy,
    ):
        first = True
        while chunk := source.read(COPY_CHUNK):
            copy.write(chunk.removeprefix(BOM) if first else chunk)
            first = False
            advance(len(chunk))
