"""The steps of clustr-etl as library functions: each takes settings and returns what it did.

The CLI only parses options, builds :class:`Settings` and calls these.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, select

from clustr_etl.db import (
    check_connection,
    init_db,
    make_engine,
    missing_tables,
    require_existing_database,
)
from clustr_etl.errors import SchemaError
from clustr_etl.ledger import RunLedger, recorded_run
from clustr_etl.loading import load_rules, load_tables
from clustr_etl.locking import OnWait, writer_lock
from clustr_etl.manifest import dataset_is_current, write_manifest
from clustr_etl.mining import (
    Baskets,
    RuleThresholds,
    mine_rules,
    read_basket_file,
    read_baskets_from_db,
    read_sales_csv,
    write_rules_csv,
)
from clustr_etl.models import DATA_TABLES, Base, Product
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.schema_migrations import quiet_alembic, require_current
from clustr_etl.schema_migrations import upgrade as upgrade_schema
from clustr_etl.settings import Settings
from clustr_etl.simulate import GenerateOptions, generate_dataset

log = logging.getLogger(__name__)

InputFormat = Literal["sales", "basket"]
Engine_ = Literal["fast", "mlxtend"]


@dataclass
class StepReport:
    """What one step did: rows per table or file, and how long it took."""

    name: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    detail: str = ""


@contextmanager
def timed(report: StepReport) -> Iterator[StepReport]:
    start = time.perf_counter()
    try:
        yield report
    finally:
        report.seconds = time.perf_counter() - start


def _no_wait_message(message: str) -> None:
    return None


COMMANDS_THAT_CREATE_THE_DATABASE = ("init-db", "run-all")


@contextmanager
def writer_run(
    settings: Settings,
    command: str,
    options: Mapping[str, Any] | None = None,
    *,
    on_wait: OnWait = _no_wait_message,
    enabled: bool = True,
) -> Iterator[RunLedger | None]:
    """Hold the database's writer lock (waiting up to settings.lock_timeout) and record the block
    as one etl_runs row: succeeded, failed (with the error line) or interrupted.

    With ``enabled=False`` (a command that will not write) it does nothing and yields None."""
    if not enabled:
        yield None
        return
    url = settings.database_url_value
    if command not in COMMANDS_THAT_CREATE_THE_DATABASE:
        require_existing_database(url)
    parameters = {**settings.model_dump(mode="json", exclude={"database_url"}), **(options or {})}
    with (
        writer_lock(url, settings.lock_timeout, on_wait=on_wait),
        recorded_run(url, command, parameters) as run,
    ):
        yield run


def record(run: RunLedger | None, report: StepReport) -> StepReport:
    """Append a finished step to the run's ledger row (no-op outside a recorded run)."""
    if run is not None:
        run.record_step(report.name, report.seconds, report.rows, report.detail)
    return report


def generate_options(settings: Settings) -> GenerateOptions:
    return GenerateOptions(
        customers=settings.customers,
        products=settings.products,
        days=settings.days,
        start_date=settings.start_date,
        transactions=settings.transactions,
        max_items=settings.max_items,
        mean_items=settings.mean_items,
        seed=settings.seed,
        chunk_size=settings.chunk_size,
        workers=settings.workers,
    )


def rule_thresholds(settings: Settings) -> RuleThresholds:
    return RuleThresholds(
        min_support=settings.min_support,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
        min_len=settings.min_len,
        max_len=settings.max_len,
    )


def open_engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url_value)
    check_connection(engine)
    return engine


def require_schema(engine: Engine, tables: Sequence[str] | None = None) -> None:
    missing = missing_tables(engine, tuple(tables) if tables is not None else None)
    if missing:
        raise SchemaError(
            f"the database has no table {', '.join(missing)}", "run `clustr-etl init-db` first"
        )
    with engine.connect() as conn:
        require_current(conn)


def generate_step(
    settings: Settings, *, force: bool = False, progress: Progress = NO_PROGRESS
) -> StepReport:
    options = generate_options(settings)
    with timed(StepReport("generate")) as report:
        report.rows = generate_dataset(options, settings.raw_dir, force=force, progress=progress)
        write_manifest(settings.raw_dir, options)
        report.detail = str(settings.raw_dir)
    return report


def init_db_step(
    settings: Settings, *, drop: bool = False, run: RunLedger | None = None
) -> StepReport:
    engine = open_engine(settings)
    try:
        with timed(StepReport("init-db")) as report:
            if drop:  # every table but the run ledger, which keeps its history
                kept = [t for t in Base.metadata.sorted_tables if t.name != "etl_runs"]
                Base.metadata.drop_all(engine, tables=kept)
            created = init_db(engine)
            report.detail = f"created {', '.join(created)}" if created else "schema already present"
    finally:
        engine.dispose()
    return record(run, report)


def migrate_step(settings: Settings, *, run: RunLedger | None = None) -> StepReport:
    """Upgrade the database's schema to the newest revision with its data in place."""
    engine = open_engine(settings)
    try:
        with timed(StepReport("migrate")) as report, quiet_alembic():
            result = upgrade_schema(engine)
            if not result.changed:
                report.detail = f"schema already at {result.after}"
            elif result.before is None and not result.stamped_release:
                report.detail = f"created the schema at {result.after}"
            else:
                start = "0.1.0 (unversioned)" if result.stamped_release else result.before
                report.detail = f"upgraded {start} -> {result.after}"
    finally:
        engine.dispose()
    return record(run, report)


def load_step(
    settings: Settings,
    tables: Sequence[str] | None = None,
    *,
    progress: Progress = NO_PROGRESS,
    run: RunLedger | None = None,
) -> StepReport:
    engine = open_engine(settings)
    try:
        with timed(StepReport("load")) as report:
            require_schema(engine)
            report.rows = load_tables(engine, settings.raw_dir, tables, progress=progress)
    finally:
        engine.dispose()
    return record(run, report)


def read_baskets(
    settings: Settings, engine: Engine | None, input_path: Path | None, input_format: InputFormat
) -> Baskets:
    if input_path is None:
        assert engine is not None
        require_schema(engine, DATA_TABLES)
        return read_baskets_from_db(engine)
    if input_format == "basket":
        return read_basket_file(input_path)
    return read_sales_csv(input_path)


def product_names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Product.product_id, Product.name)).all()
    return {str(product_id): name for product_id, name in rows}


def with_names(rules: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Add human-readable antecedent_names/consequent_names for product-id item keys."""
    named = rules.copy()
    for side in ("antecedents", "consequents"):
        named[side.removesuffix("s") + "_names"] = [
            " | ".join(names.get(key, key) for key in keys.split("|")) for keys in rules[side]
        ]
    return named


@dataclass
class MineResult:
    report: StepReport
    rules: pd.DataFrame
    output: Path


def mine_step(
    settings: Settings,
    *,
    input_path: Path | None = None,
    input_format: InputFormat = "sales",
    engine_name: Engine_ = "fast",
    output: Path | None = None,
    load: bool = True,
    progress: Progress = NO_PROGRESS,
    run: RunLedger | None = None,
) -> MineResult:
    thresholds = rule_thresholds(settings)
    output_path = output if output is not None else settings.rules_path
    needs_db = load or input_path is None
    engine = open_engine(settings) if needs_db else None
    try:
        with timed(StepReport("mine-rules")) as report:
            baskets = read_baskets(settings, engine, input_path, input_format)
            rules = mine_rules(baskets, thresholds, engine=engine_name, progress=progress)
            if engine is not None and input_format == "sales":
                rules = with_names(rules, product_names(engine))
            write_rules_csv(rules, output_path)
            report.rows = {"baskets": baskets.n_transactions, "rules": len(rules)}
            report.detail = str(output_path)
            if load and engine is not None:
                require_schema(engine)
                run_id = run.run_id if run is not None else None
                report.rows["bundle_rules"] = load_rules(engine, rules, run_id=run_id)
    finally:
        if engine is not None:
            engine.dispose()
    return MineResult(report=record(run, report), rules=rules, output=output_path)


def run_all(
    settings: Settings,
    *,
    regenerate: bool = False,
    progress: Progress = NO_PROGRESS,
    run: RunLedger | None = None,
    report: bool = False,
) -> list[StepReport]:
    """Create the schema, generate if needed, load every table, mine and load the rules
    (and, with ``report``, write the HTML report)."""
    reports = [init_db_step(settings, run=run)]
    if regenerate or not dataset_is_current(settings.raw_dir, generate_options(settings)):
        reports.append(record(run, generate_step(settings, force=True, progress=progress)))
    reports.append(load_step(settings, progress=progress, run=run))
    reports.append(mine_step(settings, progress=progress, run=run).report)
    if report:
        reports.append(record(run, report_step(settings)))
    return reports


def report_step(
    settings: Settings,
    *,
    output: Path | None = None,
    top: int | None = None,
    input_dir: Path | None = None,
    rules_path: Path | None = None,
) -> StepReport:
    """Write the self-contained HTML report (default ``<data dir>/report.html``)."""
    from clustr_etl.report import DEFAULT_TOP, build_report, default_output

    with timed(StepReport("report")) as report:
        result = build_report(
            settings,
            output or default_output(settings),
            top=DEFAULT_TOP if top is None else top,
            input_dir=input_dir,
            rules_path=rules_path,
        )
        report.rows = {"rules": result.rules_total, "rules shown": result.rules_shown}
        report.detail = f"{result.path} ({result.size / 1e6:.1f} MB)"
    return report
