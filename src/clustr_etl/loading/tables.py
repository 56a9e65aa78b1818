"""Loading the data tables from their CSVs, and emptying a table safely."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError

from clustr_etl.dataset.batches import find_batches
from clustr_etl.errors import DatabaseError, DataValidationError
from clustr_etl.loading.background import Background
from clustr_etl.loading.csv_files import CsvFile, table_files
from clustr_etl.loading.schema import resolve_tables, schema_table
from clustr_etl.loading.sources import CsvFileSource, FrameSource
from clustr_etl.loading.validate import validate_files
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.store.backends import LockWait, RowCounts, backend_for, driver_error_line
from clustr_etl.store.models import DATA_TABLES
from clustr_etl.store.schema import check_connection
from clustr_etl.store.schema import require_tables as require_table_names

if TYPE_CHECKING:
    import pandas as pd


def require_tables(engine: Engine, names: Sequence[str]) -> None:
    check_connection(engine)
    require_table_names(engine, tuple(names))


def load_tables(
    engine: Engine,
    raw_dir: Path,
    tables: Sequence[str] | None = None,
    *,
    progress: Progress = NO_PROGRESS,
    schema_checked: bool = False,
    allow_empty: bool = False,
    wait: LockWait | None = None,
) -> dict[str, int]:
    """Replace the named tables (all when None) by their CSVs in ``raw_dir``; return rows per table.

    Everything is validated before the new contents become visible (on PostgreSQL while they are built:
    ``_check_while_building``); the replacement is one transaction, so a failure at any point (bad data,
    lost connection, killed process) leaves the database as it was. ``schema_checked``: the caller (the run
    context) has already checked that the tables exist. Readers keep reading the previous contents
    until the switch; ``wait``: how long it may wait for their locks (--lock-timeout).
    """
    names = resolve_tables(tables)
    if not names:
        return {}
    if not schema_checked:
        require_tables(engine, DATA_TABLES)
    backend = backend_for(engine)
    if backend.checks_while_building:
        files = _check_while_building(
            engine, Path(raw_dir), names, progress, allow_empty, wait or LockWait()
        )
    else:
        files = validate_files(engine, Path(raw_dir), names, progress, allow_empty=allow_empty)
        sources = [CsvFileSource(f) for f in files]
        backend.replace_tables(engine, sources, progress, wait or LockWait())
    rows = dict.fromkeys(names, 0)
    for csv_file in files:  # a table's base file, then its batches' files
        rows[csv_file.table] += csv_file.rows
    return rows


def _check_while_building(
    engine: Engine,
    raw_dir: Path,
    names: Sequence[str],
    progress: Progress,
    allow_empty: bool,
    wait: LockWait,
) -> list[CsvFile]:
    """The CSV checks (pyarrow, in a thread: it releases the GIL) while the server copies the same files
    into tables nobody sees yet and builds their keys; the switch waits for the checks, and a problem
    they find rolls the whole build back."""
    files = table_files(raw_dir, names, find_batches(raw_dir))  # headers: the checks' first step
    checks = Background(
        lambda: validate_files(engine, raw_dir, names, progress, allow_empty=allow_empty)
    )
    checks.start()
    try:
        backend_for(engine).replace_tables(
            engine, [CsvFileSource(f) for f in files], progress, wait, before_switch=checks.result
        )
    except Exception:
        checks.result()  # a problem in the CSVs explains a failed build better (line and column)
        raise
    return checks.result()


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
    backend = backend_for(engine)
    try:
        with engine.begin() as conn:
            for child in referencing:
                rows = conn.execute(select(func.count()).select_from(child)).scalar_one()
                if rows:
                    raise DataValidationError(
                        f"cannot empty {name}: {rows} row(s) of {child.name} reference it",
                        f"empty {child.name} first",
                    )
            backend.empty_table(conn, target, referenced=bool(referencing))
    except DBAPIError as err:
        raise DatabaseError(
            f"emptying {name} failed: {driver_error_line(err, engine.url)}", "nothing was changed"
        ) from None


def append_frame(engine: Engine, table: str, frame: pd.DataFrame) -> RowCounts:
    """Insert the frame's rows whose primary key is new to ``table`` (others are left as they are).

    One transaction: the rows are bulk-staged, then merged; on any error the table is unchanged.
    """
    require_tables(engine, [table])
    return backend_for(engine).append_rows(engine, FrameSource(schema_table(table).name, frame))


def upsert_frame(engine: Engine, table: str, frame: pd.DataFrame) -> RowCounts:
    """Insert the frame's new rows and update the existing ones (same primary key) whose values differ."""
    require_tables(engine, [table])
    return backend_for(engine).upsert_rows(engine, FrameSource(schema_table(table).name, frame))
