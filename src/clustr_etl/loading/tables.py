"""Loading the data tables from their CSVs, and emptying a table safely."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from clustr_etl.db import check_connection, describe_db_error, missing_tables
from clustr_etl.errors import DatabaseError, DataValidationError, SchemaError
from clustr_etl.loading import ddl
from clustr_etl.loading.postgres import load_postgres
from clustr_etl.loading.schema import resolve_tables, schema_table
from clustr_etl.loading.sqlite import load_sqlite
from clustr_etl.loading.validate import validate_files
from clustr_etl.models import DATA_TABLES
from clustr_etl.progress import NO_PROGRESS, Progress


def require_tables(engine: Engine, names: Sequence[str]) -> None:
    check_connection(engine)
    missing = missing_tables(engine, tuple(names))
    if missing:
        raise SchemaError(
            f"the database has no table {', '.join(missing)}", "run `clustr-etl init-db` first"
        )


def load_tables(
    engine: Engine,
    raw_dir: Path,
    tables: Sequence[str] | None = None,
    *,
    progress: Progress = NO_PROGRESS,
) -> dict[str, int]:
    """Replace the named tables (all when None) by their CSVs in ``raw_dir``; return rows per table.

    Everything is validated first; the replacement is one transaction, so a failure at any point (bad data,
    lost connection, killed process) leaves the database as it was.
    """
    names = resolve_tables(tables)
    if not names:
        return {}
    require_tables(engine, DATA_TABLES)
    files = validate_files(engine, Path(raw_dir), names, progress)
    if engine.dialect.name == "postgresql":
        load_postgres(engine, files, progress)
    else:
        load_sqlite(engine, files, progress)
    rows = dict.fromkeys(names, 0)
    for csv_file in files:
        rows[csv_file.table] += csv_file.rows
    return rows


def load_products(engine: Engine, raw_dir: Path, *, progress: Progress = NO_PROGRESS) -> int:
    return load_tables(engine, raw_dir, ["products"], progress=progress)["products"]


def load_customers(engine: Engine, raw_dir: Path, *, progress: Progress = NO_PROGRESS) -> int:
    return load_tables(engine, raw_dir, ["customers"], progress=progress)["customers"]


def load_timeframe(engine: Engine, raw_dir: Path, *, progress: Progress = NO_PROGRESS) -> int:
    return load_tables(engine, raw_dir, ["timeframe"], progress=progress)["timeframe"]


def load_transactions(engine: Engine, raw_dir: Path, *, progress: Progress = NO_PROGRESS) -> int:
    return load_tables(engine, raw_dir, ["transactions"], progress=progress)["transactions"]


def load_sales(engine: Engine, raw_dir: Path, *, progress: Progress = NO_PROGRESS) -> int:
    return load_tables(engine, raw_dir, ["sales"], progress=progress)["sales"]


def truncate_table(engine: Engine, name: str) -> None:
    """Empty one table of the schema; refuse if rows of other tables reference it."""
    target = schema_table(name)
    referencing = sorted(
        {
            constraint.table
            for other in target.metadata.tables.values()
            for constraint in other.foreign_key_constraints
            if constraint.referred_table is target and other is not target
        },
        key=lambda t: t.name,
    )
    require_tables(engine, [name, *(t.name for t in referencing)])
    quoted = ddl.quoted_table(engine, name)
    try:
        with engine.begin() as conn:
            for child in referencing:
                rows = conn.execute(select(func.count()).select_from(child)).scalar_one()
                if rows:
                    raise DataValidationError(
                        f"cannot empty {name}: {rows} row(s) of {child.name} reference it",
                        f"empty {child.name} first",
                    )
            if engine.dialect.name == "postgresql" and not referencing:
                conn.execute(text(f"TRUNCATE TABLE {quoted}"))
            else:
                # PostgreSQL refuses TRUNCATE on a referenced table; DELETE keeps the foreign keys checked.
                conn.execute(target.delete())
    except (OperationalError, DBAPIError) as err:
        raise DatabaseError(
            f"emptying {name} failed: {describe_db_error(err, engine.url)}", "nothing was changed"
        ) from None
