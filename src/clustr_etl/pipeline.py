"""The steps of clustr-etl as library functions: each does its work and returns a StepReport.

The CLI only parses options, builds :class:`Settings`, opens a run context (``run_context.open_run``:
lock, ledger, engine) and runs steps through it (``run.run_step(step, ...)``), which records each report.
A step receives the context (engine, settings, run_id) as its first argument.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from sqlalchemy import Engine, select

from clustr_etl.batch_ledger import APPEND_STEP, batch_key, loaded_batches
from clustr_etl.batches import BATCHES_DIR, batch_hashes, find_batches
from clustr_etl.db import init_db
from clustr_etl.errors import ConfigError
from clustr_etl.evaluation.options import EvaluationOptions
from clustr_etl.loading import TABLE_FILES, load_rules, load_tables
from clustr_etl.loading.append import append_batch
from clustr_etl.loading.schema import resolve_tables
from clustr_etl.manifest import MANIFEST_FILE, dataset_is_current, write_manifest
from clustr_etl.mining import (
    RuleThresholds,
    read_basket_file,
    read_sales_csv,
    write_rules_csv,
)
from clustr_etl.mining.scopes import ScopedRules, mine_scopes, scoped
from clustr_etl.mining.selection import BasketSelection, Scope, SelectedBaskets, select_baskets
from clustr_etl.models import DATA_TABLES, Base, Product
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.rule_columns import DEFAULT_SCOPE
from clustr_etl.run_context import RunContext, StepReport, open_run, timed
from clustr_etl.schema_migrations import quiet_alembic
from clustr_etl.schema_migrations import upgrade as upgrade_schema
from clustr_etl.settings import Settings
from clustr_etl.simulate import GenerateOptions, generate_dataset

if TYPE_CHECKING:
    from clustr_etl.evaluation.evaluate import Evaluation
    from clustr_etl.importing import ImportOptions

log = logging.getLogger(__name__)

InputFormat = Literal["sales", "basket"]
Engine_ = Literal["fast", "mlxtend", "spark"]

__all__ = [
    "MineResult",
    "RunContext",
    "StepReport",
    "evaluate_step",
    "generate_step",
    "import_step",
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
        remove_batches(settings.raw_dir)  # they continued the dataset just replaced
        write_manifest(settings.raw_dir, options)
        report.detail = str(settings.raw_dir)
    return report


def generate_twin_step(
    settings: Settings,
    *,
    like: Path | None = None,
    model_file: Path | None = None,
    products: int | None = None,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> StepReport:
    """Generate a synthetic twin: fitted to the raw folder ``like``, or from a model file."""
    from clustr_etl.simulate.twin_fit import fit_twin
    from clustr_etl.simulate.twin_model import MODEL_FILE, read_model

    if (like is None) == (model_file is None):
        raise ConfigError("give either --like DIR or --model FILE", "not both")
    with timed(StepReport("generate")) as report:
        start = time.perf_counter()
        model = fit_twin(like) if like is not None else read_model(Path(str(model_file)))
        fitted = time.perf_counter() - start
        report.rows = generate_dataset(
            generate_options(settings),
            settings.raw_dir,
            force=force,
            progress=progress,
            twin=model,
            twin_products=products,
        )
        # No options manifest: run-all keeps a twin instead of regenerating it from the options.
        (settings.raw_dir / MANIFEST_FILE).unlink(missing_ok=True)
        how = f"fitted to {like} in {fitted:.1f} s" if like else f"from {model_file}"
        report.detail = f"{settings.raw_dir} (twin {how}; model in {MODEL_FILE})"
    return report


def remove_batches(raw_dir: Path) -> None:
    shutil.rmtree(raw_dir / BATCHES_DIR, ignore_errors=True)


def next_days_step(
    settings: Settings, n_days: int, *, progress: Progress = NO_PROGRESS
) -> StepReport:
    """Write the batch of the next ``n_days`` days of a generated dataset."""
    from clustr_etl.simulate.next_days import generate_next_days

    with timed(StepReport("generate")) as report:
        folder, report.rows = generate_next_days(
            settings.raw_dir,
            n_days,
            chunk_size=settings.generation.chunk_size,
            workers=settings.generation.workers,
            progress=progress,
        )
        report.detail = str(folder)
    return report


def import_step(
    settings: Settings,
    options: ImportOptions,
    *,
    force: bool = False,
    append: bool = False,
    progress: Progress = NO_PROGRESS,
) -> tuple[StepReport, dict[str, Any]]:
    """Import a retailer's export into the raw CSVs (see ``clustr_etl.importing``); with ``append``,
    as the next batch of an imported dataset."""
    from clustr_etl.importing import append_import, import_dataset

    with timed(StepReport("import")) as report:
        if append:
            folder, result = append_import(options, settings.raw_dir, progress=progress)
            report.detail = (
                str(folder)
                if folder
                else f"nothing new: all {result.report['source_rows']:,} lines belong to invoices "
                "already imported; no batch written"
            )
        else:
            result = import_dataset(options, settings.raw_dir, force=force, progress=progress)
            report.detail = str(settings.raw_dir)
        report.rows = result.files
    return report, result.report


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
        from clustr_etl.loading.parquet_files import csv_view

        raw_dir = run.settings.raw_dir
        file_names = [TABLE_FILES[name] for name in resolve_tables(tables)]
        report.batches = {
            batch.name: batch_hashes(batch.path, file_names) for batch in find_batches(raw_dir)
        }
        with csv_view(raw_dir) as readable:  # Parquet folders are read as CSVs
            report.rows = load_tables(
                run.engine,
                readable,
                tables,
                progress=progress,
                schema_checked=True,
                allow_empty=allow_empty,
            )
        if report.batches:
            report.detail = f"base + batches {', '.join(report.batches)}"
    return report


def pending_batches(run: RunContext, path: Path | None) -> list[Path]:
    """The batch folders ``load --append`` works on: ``path``, or every batch not loaded yet."""
    if path is not None:
        return [path]
    run.require_schema()
    loaded = loaded_batches(run.engine)
    file_names = list(TABLE_FILES.values())
    return [
        batch.path
        for batch in find_batches(run.settings.raw_dir)
        if batch_key(batch_hashes(batch.path, file_names)) not in loaded
    ]


def append_step(run: RunContext, folder: Path, *, progress: Progress = NO_PROGRESS) -> StepReport:
    """Append one batch folder (or say which run already loaded it) in one transaction."""
    with timed(StepReport(APPEND_STEP, detail=folder.name)) as report:
        run.require_schema()
        hashes = batch_hashes(folder, list(TABLE_FILES.values()))
        previous = loaded_batches(run.engine).get(batch_key(hashes)) if hashes else None
        if previous is not None:
            report.detail = f"{folder.name}: already loaded by run {previous.run_id}"
            return report
        result = append_batch(run.engine, folder, progress=progress)
        for table, counts in result.counts.items():
            report.rows[f"{table} inserted"] = counts.inserted
            report.rows[f"{table} updated"] = counts.updated
            report.rows[f"{table} skipped"] = counts.unchanged
        report.batches = {folder.name: result.hashes}
    return report


def read_scopes(
    run: RunContext,
    input_path: Path | None,
    input_format: InputFormat,
    selection: BasketSelection,
) -> SelectedBaskets:
    """The baskets to mine: from the database (window, groups, merchandise) or from a file."""
    if input_path is None:
        run.require_schema(DATA_TABLES)
        return select_baskets(run.engine, selection)
    if selection.needs_transactions:
        raise ConfigError(
            "--by, --since, --until and --last-days need the database's transactions",
            "leave out --input to mine the database",
        )
    if input_path.is_dir():
        from clustr_etl.mining.parquet_input import read_sales_parquet

        baskets = read_sales_parquet(input_path)
    elif input_format == "basket":
        baskets = read_basket_file(input_path)
    else:
        baskets = read_sales_csv(input_path)
    return SelectedBaskets([Scope(DEFAULT_SCOPE, baskets, None, None)], 0)


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
    warnings: list[str] = field(default_factory=list)

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
    selection: BasketSelection | None = None,
    spark_master: str | None = None,
    progress: Progress = NO_PROGRESS,
) -> MineResult:
    settings = run.settings
    thresholds = rule_thresholds(settings)
    if selection is None:
        selection = BasketSelection(include_non_merchandise=thresholds.include_non_merchandise)
    if spark_master is not None and engine_name != "spark":
        raise ConfigError("--spark-master needs --engine spark")
    output_path = output if output is not None else settings.rules_path
    needs_db = load or input_path is None
    with timed(StepReport("mine-rules")) as report:
        if engine_name == "spark":
            if selection.needs_transactions:
                raise ConfigError(
                    "--by, --since, --until and --last-days need the database's transactions",
                    "mine them with the fast engine (leave out --engine spark)",
                )
            mined, n_baskets = mine_on_spark(
                input_path, input_format, thresholds, spark_master, progress
            )
            non_merchandise_lines = 0
        else:
            selected = read_scopes(run, input_path, input_format, selection)
            mined = mine_scopes(selected, thresholds, engine_name, progress)
            n_baskets = selected.scopes[0].baskets.n_transactions
            non_merchandise_lines = selected.non_merchandise_lines
        rules = mined.rules
        if needs_db and input_format == "sales":
            rules = with_names(rules, product_names(run.engine))
        write_rules_csv(rules, output_path)
        report.rows = {"baskets": n_baskets, "rules": len(rules)}
        if non_merchandise_lines:
            report.rows["non-merchandise lines left out"] = non_merchandise_lines
        warnings = [f"Warning: {warning}" for warning in mined.warnings]
        report.detail = "\n".join([str(output_path), *mined.notes, *warnings])
        if load:
            run.require_schema()
            report.rows["bundle_rules"] = load_rules(
                run.engine, rules, run_id=run.run_id, schema_checked=True
            )
    return MineResult(report, rules, output_path, mined.warnings)


def mine_on_spark(
    input_path: Path | None,
    input_format: InputFormat,
    thresholds: RuleThresholds,
    master: str | None,
    progress: Progress,
) -> tuple[ScopedRules, int]:
    """Mine ``input_path`` with Spark's FPGrowth (scope 'all'): the rules and the number of baskets."""
    if input_path is None:
        raise ConfigError(
            "--engine spark mines files: give --input",
            "a sales CSV, a basket file or a Parquet folder such as <data dir>/raw/sales",
        )
    from clustr_etl.spark.mining import mine_rules_spark

    mined, baskets = mine_rules_spark(
        input_path, input_format, thresholds, master=master, progress=progress
    )
    if baskets.duplicates:
        log.warning("dropped %d duplicate items in baskets", baskets.duplicates)
    return scoped(mined, thresholds, baskets.n_transactions), baskets.n_transactions


@dataclass
class EvaluateResult:
    report: StepReport
    evaluation: Evaluation
    output: Path

    @property
    def step_report(self) -> StepReport:
        return self.report


def evaluate_step(
    run: RunContext,
    *,
    test_days: int | None = None,
    cutoff: dt.date | None = None,
    options: EvaluationOptions | None = None,
    progress: Progress = NO_PROGRESS,
) -> EvaluateResult:
    """Score the rules mined on a training window as recommendations on the later baskets."""
    from clustr_etl.evaluation.evaluate import evaluate_database
    from clustr_etl.evaluation.store import EVALUATION_FILE, store_rows, write_json

    settings = run.settings
    with timed(StepReport("evaluate")) as report:
        run.require_schema()
        evaluation, split = evaluate_database(
            run.engine,
            rule_thresholds(settings),
            test_days=test_days,
            cutoff=cutoff,
            options=options or EvaluationOptions(),
            progress=progress,
        )
        output = write_json(evaluation, settings.data_dir / EVALUATION_FILE)
        report.rows = {
            "test baskets": evaluation.test_baskets,
            "cases": evaluation.cases,
            "training rules": evaluation.rules,
            "rule_evaluations": store_rows(run.engine, evaluation, split.label(), run.run_id),
        }
        report.detail = "\n".join([str(output), split.label(), evaluation.summary])
    return EvaluateResult(report, evaluation, output)


def run_all(
    run: RunContext,
    *,
    regenerate: bool = False,
    progress: Progress = NO_PROGRESS,
    report: bool = False,
    evaluate: bool = False,
) -> list[StepReport]:
    """Create the schema, generate if needed, load every table, mine and load the rules
    (with ``evaluate``, score them on held-out days; with ``report``, write the HTML report)."""
    settings = run.settings
    reports = [run.run_step(init_db_step)]
    if regenerate or not dataset_is_current(settings.raw_dir, generate_options(settings)):
        reports.append(run.record(generate_step(settings, force=True, progress=progress)))
    reports.append(run.run_step(load_step, progress=progress))
    reports.append(run.run_step(mine_step, progress=progress).report)
    if evaluate:
        reports.append(run.run_step(evaluate_step, progress=progress).report)
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
