"""`clustr-etl status`: which database, is the schema there and current, row counts, the last runs.

Read-only: never creates a file, a table or a lock. Works on an unreachable server, a missing SQLite file and an
empty database, and says which. ``DatabaseStatus.to_json()`` has stable keys for scripts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DatabaseError
from clustr_etl.loading.waiting import batches_not_loaded
from clustr_etl.store.backends import Backend, backend_for, driver_error_line, mask_url
from clustr_etl.store.ledger import ABANDONED, RUNNING, loaded_batches, utc_now
from clustr_etl.store.models import Base, EtlRun
from clustr_etl.store.schema import schema_version

SCHEMA_CURRENT, SCHEMA_OUTDATED, SCHEMA_MISSING = "current", "outdated", "missing"
SCHEMA_UNKNOWN = "unknown"  # SQLite file locked by a writer: could not look


@dataclass
class RunInfo:
    run_id: int
    command: str
    status: str  # as shown: the stored status, or 'abandoned' for a 'running' row nobody runs
    stored_status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float | None
    parameters: dict[str, Any]
    steps: list[dict[str, Any]]
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "status": self.status,
            "stored_status": self.stored_status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": self.seconds,
            "parameters": self.parameters,
            "steps": self.steps,
            "error": self.error,
        }


@dataclass
class DatabaseStatus:
    database: str
    backend: str
    reachable: bool = False
    problem: str | None = None
    schema: str = SCHEMA_MISSING
    missing_tables: list[str] = field(default_factory=list)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    revision: str | None = None
    head: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    writer_active: bool = False
    runs: list[RunInfo] = field(default_factory=list)
    # batches the tables hold (see store/ledger.py)
    batches: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # batch folders under raw/ not loaded, and why
    leftover_tables: list[str] = field(default_factory=list)  # a killed load's, dropped by the next

    @property
    def exit_code(self) -> int:
        """0 when the database is reachable and its schema current, else 1."""
        return 0 if self.reachable and self.schema == SCHEMA_CURRENT else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "backend": self.backend,
            "reachable": self.reachable,
            "problem": self.problem,
            "schema": {
                "state": self.schema,
                "present": self.schema not in (SCHEMA_MISSING, SCHEMA_UNKNOWN),
                "current": self.schema == SCHEMA_CURRENT,
                "missing_tables": self.missing_tables,
                "missing_columns": self.missing_columns,
                "revision": self.revision,
                "head": self.head,
            },
            "row_counts": self.row_counts,
            "writer_active": self.writer_active,
            "runs": [run.to_json() for run in self.runs],
            "batches": self.batches,
            "batches_not_loaded": self.waiting,
            "leftover_tables": self.leftover_tables,
        }


def collect_status(
    raw_url: str | URL, *, last_runs: int = 10, raw_dir: Path | None = None
) -> DatabaseStatus:
    backend = backend_for(raw_url)
    url = backend.url
    report = DatabaseStatus(database=mask_url(url), backend=backend.name)
    missing = backend.missing_database_file()
    if missing is not None:
        report.problem = f"no database file at {missing}; `clustr-etl init-db` creates it"
        return report
    engine = backend.reader_engine()
    try:
        _fill(report, backend, engine, last_runs)
        if raw_dir is not None and report.reachable:
            loaded = loaded_batches(engine) if "etl_runs" in report.row_counts else {}
            report.waiting = batches_not_loaded(raw_dir, loaded)
    except DBAPIError as err:
        if backend.is_busy_error(err):
            report.schema = SCHEMA_UNKNOWN
            report.problem = (
                "the SQLite database is locked by a running load (SQLite locks the whole file "
                "while a large write commits); try `clustr-etl status` again when it has finished"
            )
        else:
            report.reachable = False
            report.problem = (
                f"cannot read database {report.database}: {driver_error_line(err, url)}"
            )
    except DatabaseError as err:
        report.reachable = False
        report.problem = str(err)
    finally:
        engine.dispose()
    return report


def _fill(report: DatabaseStatus, backend: Backend, engine: Engine, last_runs: int) -> None:
    try:
        with engine.connect():
            pass
    except DBAPIError as err:
        report.problem = (
            f"cannot connect to database {report.database}: {driver_error_line(err, engine.url)}"
        )
        return
    report.reachable = True
    report.writer_active = backend.lock_is_held()
    report.leftover_tables = backend.leftover_tables(engine)
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    for name, table in Base.metadata.tables.items():
        if name not in present:
            report.missing_tables.append(name)
            continue
        columns = {column["name"] for column in inspector.get_columns(name)}
        lacking = [column.name for column in table.columns if column.name not in columns]
        if lacking:
            report.missing_columns[name] = lacking
    with engine.connect() as conn:
        version = schema_version(conn)
    report.revision, report.head = version.revision, version.head
    if len(report.missing_tables) == len(Base.metadata.tables):
        report.schema = SCHEMA_MISSING
        report.problem = "the database has no clustr-etl tables; `clustr-etl init-db` creates them"
    elif not version.current:
        report.schema = SCHEMA_OUTDATED
        behind = version.revision or "0.1.0 (no revision)"
        report.problem = (
            f"the schema is at {behind}, this release needs {version.head}: "
            "run `clustr-etl migrate` to upgrade it with its data in place"
        )
    elif report.missing_tables or report.missing_columns:
        report.schema = SCHEMA_OUTDATED
        report.problem = (
            "the schema is out of date (see missing tables/columns); "
            "`clustr-etl init-db` adds missing tables, `init-db --drop` recreates them all"
        )
    else:
        report.schema = SCHEMA_CURRENT
    with engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            if name in present:
                report.row_counts[name] = conn.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
    if "etl_runs" in present and "etl_runs" not in report.missing_columns:
        report.runs = _last_runs(engine, last_runs, report.writer_active)
        report.batches = [batch.name for batch in loaded_batches(engine).values()]


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC


def _last_runs(engine: Engine, limit: int, writer_active: bool) -> list[RunInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(EtlRun).order_by(EtlRun.run_id.desc()).limit(limit)).all()
    running = [row.run_id for row in rows if row.status == RUNNING]
    live_run = max(running) if running and writer_active else None
    now = utc_now()
    runs = []
    for row in rows:
        started = _aware(row.started_at)
        finished = _aware(row.finished_at)
        assert started is not None
        shown = row.status
        if row.status == RUNNING and row.run_id != live_run:
            shown = ABANDONED
        end = finished or (now if shown == RUNNING else None)
        runs.append(
            RunInfo(
                run_id=row.run_id,
                command=row.command,
                status=shown,
                stored_status=row.status,
                started_at=started,
                finished_at=finished,
                seconds=round((end - started).total_seconds(), 3) if end else None,
                parameters=_json(row.parameters, {}),
                steps=_json(row.steps, []),
                error=row.error,
            )
        )
    return runs


def _json(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default
