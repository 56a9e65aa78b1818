"""The database schema: connecting, creating it from the models, and migrating it with Alembic.

* ``init-db`` on a database without clustr-etl tables creates the current schema and stamps it at head;
  an older database keeps its revision.
* ``migrate`` upgrades a database to head with its data in place. A 0.1.0 database (tables, but no
  ``alembic_version``) is first stamped at ``0001_initial``, the schema as released in 0.1.0.
* ``status`` compares the stored revision with head.

Every upgrade runs in one transaction (SQLite too: DDL is transactional there once the driver stops
managing transactions itself), so a failed migration leaves the database as it was. The backend-specific
parts are in ``store/backends/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DatabaseError, SchemaError
from clustr_etl.store.backends import (
    LockWait,
    backend_for,
    driver_error_line,
    mask_url,
    parse_database_url,
    scrub,
)
from clustr_etl.store.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SchemaUpgrade",
    "check_connection",
    "describe_db_error",
    "init_db",
    "make_engine",
    "mask_url",
    "migration_connection",
    "missing_tables",
    "parse_database_url",
    "quiet_alembic",
    "require_current",
    "require_existing_database",
    "require_tables",
    "schema_version",
    "scrub",
    "upgrade",
]

describe_db_error = driver_error_line

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
RELEASE_0_1_0 = "0001_initial"
# Tables that exist before any schema does: the run ledger is created by the first recorded command.
VERSION_TABLE = "alembic_version"
# The newest file under migrations/versions; tests/test_migrations.py checks it against Alembic's head.
HEAD_REVISION = "0005_rule_evaluations"
LEDGER_TABLES = frozenset({"etl_runs", VERSION_TABLE})


@dataclass(frozen=True)
class SchemaVersion:
    """Where a database stands: its revision (None when unversioned or empty) and the code's head."""

    revision: str | None
    head: str
    has_tables: bool

    @property
    def current(self) -> bool:
        return self.revision == self.head

    @property
    def unversioned(self) -> bool:
        """Tables made by clustr-etl 0.1.0, before migrations existed."""
        return self.revision is None and self.has_tables


@dataclass(frozen=True)
class SchemaUpgrade:
    before: str | None
    after: str
    stamped_release: bool  # an unversioned 0.1.0 database was stamped at 0001_initial first

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "clustr_etl/migrations has no revision"
    return head


def _stored_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _has_schema_tables(connection: Connection) -> bool:
    return bool(set(inspect(connection).get_table_names()) - LEDGER_TABLES)


def schema_version(connection: Connection) -> SchemaVersion:
    return SchemaVersion(
        revision=_stored_revision(connection),
        head=head_revision(),
        has_tables=_has_schema_tables(connection),
    )


def stamp_head(connection: Connection) -> None:
    """Record that the database holds the current schema (after creating it from the models)."""
    from alembic import command

    command.stamp(_config(connection), "head")


def _at_known_head(connection: Connection) -> bool:
    """Whether ``alembic_version`` holds exactly ``HEAD_REVISION``: one query, instead of Alembic's
    machinery (its imports and reading every migration file cost ~0.2 s of every command's start-up)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return False
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return [row[0] for row in rows] == [HEAD_REVISION]


def require_current(connection: Connection) -> None:
    """Refuse to work on a database whose schema is behind (or ahead of) this code."""
    if _at_known_head(connection):
        return
    version = schema_version(connection)
    if version.current or not version.has_tables:
        return
    if version.unversioned:
        raise SchemaError(
            "the database was made by clustr-etl 0.1.0 and has no schema revision",
            "run `clustr-etl migrate` to upgrade it with its data in place",
        )
    raise SchemaError(
        f"the database schema is at revision {version.revision}, this clustr-etl needs {version.head}",
        "run `clustr-etl migrate` (or use the clustr-etl release that made it)",
    )


def upgrade(engine: Engine, wait: LockWait = LockWait()) -> SchemaUpgrade:
    """Upgrade the database to head in one transaction; return where it was and where it is.

    Before any DDL it locks the schema's tables the way the load switch does (``wait``: how long to wait
    for readers' transactions, and whom to tell), so readers never queue behind a waiting migration."""
    from alembic import command
    from alembic.script import ScriptDirectory

    head = head_revision()
    backend_for(engine).prepare_database(engine)
    with migration_connection(engine) as connection:
        before = _stored_revision(connection)
        stamped = False
        if before is None and not _has_schema_tables(connection):
            Base.metadata.create_all(connection)  # an empty database: the current schema directly
            command.stamp(_config(connection), "head")
            return SchemaUpgrade(before=None, after=head, stamped_release=False)
        known = {
            script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()
        }
        if before is not None and before not in known:
            raise SchemaError(
                f"the database schema is at revision {before}, unknown to this clustr-etl",
                "it was made by a newer release: upgrade clustr-etl",
            )
        if before != head:
            tables = [*Base.metadata.tables, *LEDGER_TABLES]
            backend_for(engine).lock_for_migration(connection, tables, wait)
        if before is None:
            command.stamp(_config(connection), RELEASE_0_1_0)
            stamped = True
        command.upgrade(_config(connection), "head")
    return SchemaUpgrade(before=before, after=head, stamped_release=stamped)


@contextmanager
def quiet_alembic() -> Iterator[None]:
    """Alembic logs every step at INFO; keep it off the terminal unless --verbose set DEBUG."""
    import logging

    logger = logging.getLogger("alembic")
    previous = logger.level
    if logging.getLogger().level > logging.DEBUG:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


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


def require_tables(
    engine: Engine, names: tuple[str, ...], hint: str = "run `clustr-etl init-db` first"
) -> None:
    """SchemaError naming the tables of ``names`` that the database does not have."""
    missing = missing_tables(engine, names)
    if missing:
        raise SchemaError(f"the database has no table {', '.join(missing)}", hint)


def require_existing_database(raw_url: str | URL) -> None:
    """Refuse to work on a database that connecting would create empty (a missing SQLite file)."""
    missing = backend_for(raw_url).missing_database_file()
    if missing is not None:
        raise SchemaError(
            f"no database file {missing}",
            "run `clustr-etl init-db` or `clustr-etl run-all` first, or check --data-dir / --database-url",
        )
