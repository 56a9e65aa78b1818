"""Engines, URL handling and schema creation for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from clustr_etl.errors import ConfigError, DatabaseError, SchemaError
from clustr_etl.models import Base

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
CONNECT_TIMEOUT_SECONDS = 5


def parse_database_url(raw: str) -> URL:
    """Parse and normalise a database URL; ``postgresql://`` means psycopg 3."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "CLUSTR_DATABASE_URL is not a valid database URL",
            "use e.g. sqlite:///data/clustr.db or postgresql+psycopg://user:pass@host:5432/db",
        ) from None
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"database backend {backend!r} is not supported",
            "use a sqlite:/// or postgresql+psycopg:// URL",
        )
    if backend == "postgresql" and url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def mask_url(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except (ArgumentError, ValueError):
            return "<invalid database URL>"
    return url.render_as_string(hide_password=True)


def scrub(text: str, url: URL) -> str:
    """Remove the URL's password from an arbitrary message (driver errors may echo it)."""
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def make_engine(raw_url: str | URL) -> Engine:
    """Create an engine; SQLite gets foreign keys on and its folder created."""
    url = parse_database_url(raw_url) if isinstance(raw_url, str) else raw_url
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(
        url,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": "clustr-etl"},
        pool_pre_ping=True,
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()


def describe_db_error(err: DBAPIError, url: URL) -> str:
    """First line of a driver error, without the password."""
    original = getattr(err, "orig", None) or err
    first_line = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(err).__name__
    )
    return scrub(first_line, url)


def check_connection(engine: Engine) -> None:
    """Connect once; raise DatabaseError with a clear line if the database cannot be reached."""
    try:
        with engine.connect():
            pass
    except (OperationalError, DBAPIError) as err:
        raise DatabaseError(
            f"cannot connect to database {mask_url(engine.url)}: {describe_db_error(err, engine.url)}",
            "check CLUSTR_DATABASE_URL / --database-url and that the server is running",
        ) from None


def init_db(engine: Engine, *, drop: bool = False) -> list[str]:
    """Create the tables that are missing (all of them again with ``drop``); return created names.

    A database without clustr-etl tables gets the current schema, stamped at the newest migration; an older
    database keeps its revision (``clustr-etl migrate`` upgrades it).
    """
    from clustr_etl.schema_migrations import LEDGER_TABLES, stamp_head

    check_connection(engine)
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        if drop:
            Base.metadata.drop_all(conn)
            existing = set()
        Base.metadata.create_all(conn)
        if not existing - LEDGER_TABLES:
            stamp_head(conn)
    return [name for name in Base.metadata.tables if name not in existing]


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """One connection in one transaction for a schema migration: committed at the end, else rolled back.

    SQLite rebuilds tables to alter them, so its foreign keys are off meanwhile (checked before COMMIT) and
    the driver's own transaction handling is off, so that the DDL belongs to the transaction.
    """
    if engine.url.get_backend_name() != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    migration = create_engine(engine.url, connect_args={"timeout": 30}, poolclass=NullPool)
    event.listen(migration, "connect", _sqlite_driver_without_transactions)
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


def _sqlite_driver_without_transactions(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()


def missing_tables(engine: Engine, names: tuple[str, ...] | None = None) -> list[str]:
    """Tables of the schema (or of ``names``) that the database does not have."""
    wanted = names if names is not None else tuple(Base.metadata.tables)
    present = set(inspect(engine).get_table_names())
    return [name for name in wanted if name not in present]


def require_existing_database(raw_url: str) -> None:
    """Refuse to work on an SQLite file that does not exist yet (connecting would create it empty)."""
    url = parse_database_url(raw_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    if not Path(url.database).expanduser().exists():
        raise SchemaError(
            f"no database file {url.database}",
            "run `clustr-etl init-db` or `clustr-etl run-all` first, or check --data-dir / --database-url",
        )
