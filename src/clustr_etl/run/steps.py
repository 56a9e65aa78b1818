"""The steps of clustr-etl as library functions: each does its work and returns a StepResult.

Steps that touch the database (init-db, migrate, load, append, mine: see ``mine.py``) take the
:class:`RunContext` of ``context.open_run`` (lock, ledger, engine) as their first argument and are run
through it (``run.run_step(step, ...)``), which records each result. Steps that only write files
(generate, import, report) take the :class:`Settings`; a run that includes them records their result
with ``run.record``. ``commands.py`` puts the steps together, one function per command.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clustr_etl.config.settings import Settings
from clustr_etl.config.specs import OutputFormat
from clustr_etl.dataset.batches import BATCHES_DIR, batch_hashes, find_batches, stray_folders
from clustr_etl.dataset.layout import MANIFEST_FILE, TABLE_FILES
from clustr_etl.errors import ConfigError
from clustr_etl.loading import load_tables
from clustr_etl.loading.append import append_batch
from clustr_etl.loading.schema import resolve_tables
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.run.context import RunContext, StepResult, open_run, timed
from clustr_etl.store.ledger import APPEND_STEP, batch_key, loaded_batches
from clustr_etl.store.models import Base
from clustr_etl.store.schema import init_db, quiet_alembic
from clustr_etl.store.schema import upgrade as upgrade_schema

if TYPE_CHECKING:
    from clustr_etl.importing import ImportOptions
    from clustr_etl.simulate.chunks import ChunkTask
    from clustr_etl.simulate.parquet_out import FactsWriter
    from clustr_etl.simulate.plan import BasketModel

log = logging.getLogger(__name__)

__all__ = [
    "RunContext",
    "StepResult",
    "generate_step",
    "import_step",
    "init_db_step",
    "load_step",
    "migrate_step",
    "open_run",
    "report_step",
    "run_all",
]


def generate_step(
    settings: Settings,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
    output_format: OutputFormat = OutputFormat.csv,
    on_spark: bool = False,
    spark_master: str | None = None,
) -> StepResult:
    """Write the dataset as CSVs, or as Parquet folders (blocks drawn in Spark tasks on_spark)."""
    # Imported here, when used: the other commands start faster without the generator (and pandas).
    from clustr_etl.simulate import generate_dataset
    from clustr_etl.simulate.manifest import write_manifest

    options = settings.generation
    if on_spark and output_format != OutputFormat.parquet:
        raise ConfigError("generate --engine spark writes Parquet", "add --format parquet")
    with timed(StepResult("generate")) as report:
        if output_format == OutputFormat.parquet:
            from clustr_etl.simulate.parquet_out import generate_parquet_dataset

            report.rows = generate_parquet_dataset(
                options,
                settings.raw_dir,
                force=force,
                progress=progress,
                write_facts=spark_facts_writer(spark_master) if on_spark else None,
            )
        else:
            report.rows = generate_dataset(
                options, settings.raw_dir, force=force, progress=progress
            )
        remove_batches(settings.raw_dir)  # they continued the dataset just replaced
        write_manifest(settings.raw_dir, options)
        report.detail = str(settings.raw_dir)
    return report


def spark_facts_writer(master: str | None) -> FactsWriter:
    """Spark's writer of the fact tables' Parquet parts (imported only when asked for)."""
    from clustr_etl.spark.generate import write_facts_on_spark

    def write(model: BasketModel, tasks: list[ChunkTask], staging: Path) -> None:
        write_facts_on_spark(model, tasks, staging, master)

    return write


def generate_twin_step(
    settings: Settings,
    *,
    like: Path | None = None,
    model_file: Path | None = None,
    products: int | None = None,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> StepResult:
    """Generate a synthetic twin: fitted to the raw folder ``like``, or from a model file."""
    from clustr_etl.simulate import generate_dataset
    from clustr_etl.simulate.twin_fit import fit_twin
    from clustr_etl.simulate.twin_model import MODEL_FILE, read_model

    if (like is None) == (model_file is None):
        raise ConfigError("give either --like DIR or --model FILE", "not both")
    with timed(StepResult("generate")) as report:
        start = time.perf_counter()
        model = fit_twin(like) if like is not None else read_model(Path(str(model_file)))
        fitted = time.perf_counter() - start
        report.rows = generate_dataset(
            settings.generation,
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
) -> StepResult:
    """Write the batch of the next ``n_days`` days of a generated dataset."""
    from clustr_etl.simulate.next_days import generate_next_days

    with timed(StepResult("generate")) as report:
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
) -> tuple[StepResult, dict[str, Any]]:
    """Import a retailer's export into the raw CSVs (see ``clustr_etl.importing``); with ``append``,
    as the next batch of an imported dataset."""
    from clustr_etl.importing import append_import, import_dataset

    with timed(StepResult("import")) as report:
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


def init_db_step(run: RunContext, *, drop: bool = False) -> StepResult:
    engine = run.engine
    with timed(StepResult("init-db")) as report:
        if drop:  # every table but the run ledger, which keeps its history
            kept = [t for t in Base.metadata.sorted_tables if t.name != "etl_runs"]
            Base.metadata.drop_all(engine, tables=kept)
        created = init_db(engine)
        run.schema_changed()
        report.detail = f"created {', '.join(created)}" if created else "schema already present"
    return report


def migrate_step(run: RunContext) -> StepResult:
    """Upgrade the database's schema to the newest revision with its data in place."""
    with timed(StepResult("migrate")) as report, quiet_alembic():
        result = upgrade_schema(run.engine, run.lock_wait)
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
) -> StepResult:
    with timed(StepResult("load")) as report:
        run.require_schema()
        from clustr_etl.dataset.parquet import csv_view

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
                wait=run.lock_wait,
            )
        if report.batches:
            report.detail = f"base + batches {', '.join(report.batches)}"
        report.detail = "\n".join(
            [report.detail, *(f"Warning: {text}" for text in stray_folders(raw_dir))]
        ).strip()
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


def append_results(results: list[StepResult], raw_dir: Path) -> list[StepResult]:
    """The results of ``load --append``, saying when nothing was appended and naming every folder
    under raw/batches/ that was not, with why and how to name it."""
    warnings = [f"Warning: {text}" for text in stray_folders(raw_dir)]
    if not results:
        done = "every batch folder is loaded" if not warnings else "every named batch is loaded"
        return [StepResult("append", detail="\n".join([f"no batch to append: {done}", *warnings]))]
    if warnings:
        return [*results, StepResult("batches", detail="\n".join(warnings))]
    return results


def append_step(run: RunContext, folder: Path, *, progress: Progress = NO_PROGRESS) -> StepResult:
    """Append one batch folder (or say which run already loaded it) in one transaction."""
    with timed(StepResult(APPEND_STEP, detail=folder.name)) as report:
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


def run_all(
    run: RunContext,
    *,
    regenerate: bool = False,
    progress: Progress = NO_PROGRESS,
    report: bool = False,
    evaluate: bool = False,
) -> list[StepResult]:
    """Create the schema, generate if needed, load every table, mine and load the rules
    (with ``evaluate``, score them on held-out days; with ``report``, write the HTML report)."""
    from clustr_etl.run.evaluate import evaluate_step
    from clustr_etl.run.mine import mine_step
    from clustr_etl.simulate.manifest import dataset_is_current

    settings = run.settings
    reports = [run.run_step(init_db_step)]
    if regenerate or not dataset_is_current(settings.raw_dir, settings.generation):
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
) -> StepResult:
    """Write the self-contained HTML report (default ``<data dir>/report.html``)."""
    from clustr_etl.report import DEFAULT_TOP, build_report, default_output

    with timed(StepResult("report")) as report:
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
