"""The steps of clustr-etl as library functions: each does its work and returns a StepReport.

The CLI only parses options, builds :class:`Settings`, opens a run context (``run_context.open_run``:
lock, ledger, engine) and runs steps through it (``run.run_step(step, ...)``), which records each report.
A step receives the context (engine, settings, run_id) as its first argument.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Engine, select

from clustr_etl.db import init_db
from clustr_etl.loading import load_rules, load_tables
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
from clustr_etl.run_context import RunContext, StepReport, open_run, timed
from clustr_etl.schema_migrations import quiet_alembic
from clustr_etl.schema_migrations import upgrade as upgrade_schema
from clustr_etl.settings import Settings
from clustr_etl.simulate import GenerateOptions, generate_dataset

log = logging.getLogger(__name__)

InputFormat = Literal["sales", "basket"]
Engine_ = Literal["fast", "mlxtend"]

__all__ = [
    "MineResult",
    "RunContext",
    "StepReport",
    "generate_step",
    "init_db_step",
    "load_step",
    "migrate_step",
    "mine_step",
    "open_run",
    "report_step",
    "run_all",
]


def generate_options(settings: Settings) -> GenerateOptions:
    return settings.generation


def rule_thresholds(settings: Settings) -> RuleThresholds:
    return settings.mining


def generate_step(
    settings: Settings, *, force: bool = False, progress: Progress = NO_PROGRESS
) -> StepReport:
    options = generate_options(settings)
    with timed(StepReport("generate")) as report:
        report.rows = generate_dataset(options, settings.raw_dir, force=force, progress=progress)
        write_manifest(settings.raw_dir, options)
        report.detail = str(settings.raw_dir)
    return report


def init_db_step(run: RunContext, *, drop: bool = False) -> StepReport:
    engine = run.engine
    with timed(StepReport("init-db")) as report:
        if drop:  # every table but the run ledger, which keeps its history
            kept = [t for t in Base.metadata.sorted_tables if t.name != "etl_runs"]
            Base.metadata.drop_all(engine, tables=kept)
        created = init_db(engine)
        run.schema_changed()
        report.detail = f"created {', '.join(created)}" if created else "schema already present"
    return report


def migrate_step(run: RunContext) -> StepReport:
    """Upgrade the database's schema to the newest revision with its data in place."""
    with timed(StepReport("migrate")) as report, quiet_alembic():
        result = upgrade_schema(run.engine)
        run.schema_changed()
        if not result.changed:
            report.detail = f"schema already at {result.after}"
        elif result.before is None and not result.stamped_release:
            report.detail = f"created the schema at {result.after}"
        else:
            start = "0.1.0 (unversioned)" if result.stamped_release else result.before
            report.detail = f"upgraded {start} -> {result.after}"
    return report


def load_step(
    run: RunContext,
    tables: Sequence[str] | None = None,
    *,
    allow_empty: bool = False,
    progress: Progress = NO_PROGRESS,
) -> StepReport:
    with timed(StepReport("load")) as report:
        run.require_schema()
        report.rows = load_tables(
            run.engine,
            run.settings.raw_dir,
            tables,
            progress=progress,
            schema_checked=True,
            allow_empty=allow_empty,
        )
    return report


def read_baskets(run: RunContext, input_path: Path | None, input_format: InputFormat) -> Baskets:
    if input_path is None:
        run.require_schema(DATA_TABLES)
        return read_baskets_from_db(run.engine)
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

    @property
    def step_report(self) -> StepReport:
        return self.report


def mine_step(
    run: RunContext,
    *,
    input_path: Path | None = None,
    input_format: InputFormat = "sales",
    engine_name: Engine_ = "fast",
    output: Path | None = None,
    load: bool = True,
    progress: Progress = NO_PROGRESS,
) -> MineResult:
    settings = run.settings
    thresholds = rule_thresholds(settings)
    output_path = output if output is not None else settings.rules_path
    needs_db = load or input_path is None
    with timed(StepReport("mine-rules")) as report:
        baskets = read_baskets(run, input_path, input_format)
        rules = mine_rules(baskets, thresholds, engine=engine_name, progress=progress)
        if needs_db and input_format == "sales":
            rules = with_names(rules, product_names(run.engine))
        write_rules_csv(rules, output_path)
        report.rows = {"baskets": baskets.n_transactions, "rules": len(rules)}
        report.detail = str(output_path)
        if load:
            run.require_schema()
            report.rows["bundle_rules"] = load_rules(
                run.engine, rules, run_id=run.run_id, schema_checked=True
            )
    return MineResult(report=report, rules=rules, output=output_path)


def run_all(
    run: RunContext,
    *,
    regenerate: bool = False,
    progress: Progress = NO_PROGRESS,
    report: bool = False,
) -> list[StepReport]:
    """Create the schema, generate if needed, load every table, mine and load the rules
    (and, with ``report``, write the HTML report)."""
    settings = run.settings
    reports = [run.run_step(init_db_step)]
    if regenerate or not dataset_is_current(settings.raw_dir, generate_options(settings)):
        reports.append(run.record(generate_step(settings, force=True, progress=progress)))
    reports.append(run.run_step(load_step, progress=progress))
    reports.append(run.run_step(mine_step, progress=progress).report)
    if report:
        reports.append(run.record(report_step(settings)))
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
