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
from clustr_etl.errors import ConfigError, SchemaError
from clustr_etl.ledger import RunLedger, recorded_run
from clustr_etl.loading import load_rules, load_tables
from clustr_etl.loading.parquet_files import csv_view
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
from clustr_etl.settings import Settings
from clustr_etl.simulate import GenerateOptions, generate_dataset

log = logging.getLogger(__name__)

InputFormat = Literal["sales", "basket"]
Engine_ = Literal["fast", "mlxtend", "spark"]


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


def generate_step(
    settings: Settings,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
    output_format: Literal["csv", "parquet"] = "csv",
    on_spark: bool = False,
    spark_master: str | None = None,
) -> StepReport:
    """Write the dataset as CSVs, or as Parquet folders (blocks drawn in Spark tasks on_spark)."""
    options = generate_options(settings)
    if on_spark and output_format != "parquet":
        raise ConfigError("generate --engine spark writes Parquet", "add --format parquet")
    with timed(StepReport("generate")) as report:
        if output_format == "parquet":
            from clustr_etl.simulate.parquet_out import generate_parquet_dataset

            report.rows = generate_parquet_dataset(
                options,
                settings.raw_dir,
                force=force,
                progress=progress,
                on_spark=on_spark,
                spark_master=spark_master,
            )
        else:
            report.rows = generate_dataset(
                options, settings.raw_dir, force=force, progress=progress
            )
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
            with csv_view(settings.raw_dir) as raw_dir:  # Parquet folders are read as CSVs
                report.rows = load_tables(engine, raw_dir, tables, progress=progress)
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
    if input_path.is_dir():
        from clustr_etl.mining.parquet_input import read_sales_parquet

        return read_sales_parquet(input_path)
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
    spark_master: str | None = None,
    progress: Progress = NO_PROGRESS,
    run: RunLedger | None = None,
) -> MineResult:
    thresholds = rule_thresholds(settings)
    if spark_master is not None and engine_name != "spark":
        raise ConfigError("--spark-master needs --engine spark")
    output_path = output if output is not None else settings.rules_path
    needs_db = load or input_path is None
    engine = open_engine(settings) if needs_db else None
    try:
        with timed(StepReport("mine-rules")) as report:
            if engine_name == "spark":
                rules, n_baskets = mine_on_spark(
                    input_path, input_format, thresholds, spark_master, progress
                )
            else:
                baskets = read_baskets(settings, engine, input_path, input_format)
                rules = mine_rules(baskets, thresholds, engine=engine_name, progress=progress)
                n_baskets = baskets.n_transactions
            if engine is not None and input_format == "sales":
                rules = with_names(rules, product_names(engine))
            write_rules_csv(rules, output_path)
            report.rows = {"baskets": n_baskets, "rules": len(rules)}
            report.detail = str(output_path)
            if load and engine is not None:
                require_schema(engine)
                run_id = run.run_id if run is not None else None
                report.rows["bundle_rules"] = load_rules(engine, rules, run_id=run_id)
    finally:
        if engine is not None:
            engine.dispose()
    return MineResult(report=record(run, report), rules=rules, output=output_path)


def mine_on_spark(
    input_path: Path | None,
    input_format: InputFormat,
    thresholds: RuleThresholds,
    master: str | None,
    progress: Progress,
) -> tuple[pd.DataFrame, int]:
    """Mine ``input_path`` with Spark's FPGrowth: the rules and the number of baskets."""
    if input_path is None:
        raise ConfigError(
            "--engine spark mines files: give --input",
            "a sales CSV, a basket file or a Parquet folder such as <data dir>/raw/sales",
        )
    from clustr_etl.spark.mining import mine_rules_spark

    rules, baskets = mine_rules_spark(
        input_path, input_format, thresholds, master=master, progress=progress
    )
    if baskets.duplicates:
        log.warning("dropped %d duplicate items in baskets", baskets.duplicates)
    return rules, baskets.n_transactions


def run_all(
    settings: Settings,
    *,
    regenerate: bool = False,
    progress: Progress = NO_PROGRESS,
    run: RunLedger | None = None,
) -> list[StepReport]:
    """Create the schema, generate if needed, load every table, mine and load the rules."""
    reports = [init_db_step(settings, run=run)]
    if regenerate or not dataset_is_current(settings.raw_dir, generate_options(settings)):
        reports.append(record(run, generate_step(settings, force=True, progress=progress)))
    reports.append(load_step(settings, progress=progress, run=run))
    reports.append(mine_step(settings, progress=progress, run=run).report)
    return reports
