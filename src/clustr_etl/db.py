"""Connecting and creating the schema, on any backend (the backend-specific parts are in ``backends/``)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from clustr_etl.backends import backend_for, driver_error_line, mask_url, parse_database_url, scrub
from clustr_etl.errors import DatabaseError, SchemaError
from clustr_etl.models import Base

__all__ = [
    "check_connection",
    "describe_db_error",
    "init_db",
    "make_engine",
    "mask_url",
    "migration_connection",
    "missing_tables",
    "parse_database_url",
    "require_existing_database",
    "scrub",
]

describe_db_error = driver_error_line


def make_engine(raw_url: str | URL) -> Engine:
    """An engine for the URL's backend (SQLite: foreign keys on, folder created; PostgreSQL: timeouts)."""
    return backend_for(raw_url).make_engine()


def check_connection(engine: Engine) -> None:
    """Connect once; raise DatabaseError with a clear line if the database cannot be reached."""
    try:
        with engine.connect():
            pass
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot connect to database {mask_url(engine.url)}: {driver_error_line(err, engine.url)}",
            "check CLUSTR_DATABASE_URL / --database-url and that the server is running",
        ) from None


def init_db(engine: Engine, *, drop: bool = False) -> list[str]:
    """Create the tables that are missing (all of them again with ``drop``); return created names.

    A database without clustr-etl tables gets the current schema, stamped at the newest migration; an older
    database keeps its revision (``clustr-etl migrate`` upgrades it).
    """
    from clustr_etl.schema_migrations import LEDGER_TABLES, stamp_head

    check_connection(engine)
    backend_for(engine).prepare_database(engine)
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        if drop:
            Base.metadata.drop_all(conn)
            existing = set()
        Base.metadata.create_all(conn)
        if not existing - LEDGER_TABLES:
            stamp_head(conn)
    return [name for name in Base.metadata.tables if name not in existing]


def migration_connection(engine: Engine) -> AbstractContextManager[Connection]:
    """One connection in one transaction for a schema migration: committed at the end, else rolled back
    (see ``Backend.migration_connection``)."""
    return backend_for(engine).migration_connection(engine)


def missing_tables(engine: Engine, names: tuple[str, ...] | None = None) -> list[str]:
    """Tables of the schema (or of ``names``) that the database does not have."""
    wanted = names if names is not None else tuple(Base.metadata.tables)
    present = set(inspect(engine).get_table_names())
    return [name for name in wanted if name not in present]


def require_existing_database(raw_url: str | URL) -> None:
    """Refuse to work on a database that connecting would create empty (a missing SQLite file)."""
    missing = backend_for(raw_url).missing_database_file()
    if missing is not None:
        raise SchemaError(
            f"no database file {missing}",
            "run `clustr-etl init-db` or `clustr-etl run-all` first, or check --data-dir / --database-url",
        )
