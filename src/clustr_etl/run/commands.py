"""One library function per command that writes: the CLI calls these with settings and a request.

Each opens the run (writer lock, ledger row, engine; see ``context.open_run``) when the command touches the
database, runs its steps and returns their results for the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clustr_etl.config.settings import Settings
from clustr_etl.config.specs import OutputFormat
from clustr_etl.errors import ConfigError
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.run.context import StepResult, no_wait_message, open_run
from clustr_etl.run.steps import (
    append_results,
    append_step,
    generate_step,
    generate_twin_step,
    init_db_step,
    load_step,
    migrate_step,
    next_days_step,
    pending_batches,
    run_all,
)
from clustr_etl.store.backends import OnWait


@dataclass(frozen=True)
class GenerateRequest:
    """What `generate` was asked: a new dataset (CSV or Parquet), its next days, or a twin."""

    force: bool = False
    next_days: int | None = None
    like: Path | None = None
    model: Path | None = None
    twin_products: int | None = None
    output_format: OutputFormat = OutputFormat.csv
    on_spark: bool = False
    spark_master: str | None = None


def generate_data(
    settings: Settings, request: GenerateRequest, *, progress: Progress = NO_PROGRESS
) -> StepResult:
    """Write the dataset the request asks for under ``settings.raw_dir``."""
    if request.next_days is not None:
        return next_days_step(settings, request.next_days, progress=progress)
    if request.like is not None or request.model is not None:
        return generate_twin_step(
            settings,
            like=request.like,
            model_file=request.model,
            products=request.twin_products,
            force=request.force,
            progress=progress,
        )
    return generate_step(
        settings,
        force=request.force,
        progress=progress,
        output_format=request.output_format,
        on_spark=request.on_spark,
        spark_master=request.spark_master,
    )


def init_database(
    settings: Settings, *, drop: bool = False, on_wait: OnWait = no_wait_message
) -> StepResult:
    with open_run(settings, "init-db", {"drop": drop}, on_wait=on_wait) as run:
        return run.run_step(init_db_step, drop=drop)


def migrate_database(settings: Settings, *, on_wait: OnWait = no_wait_message) -> StepResult:
    with open_run(settings, "migrate", on_wait=on_wait) as run:
        return run.run_step(migrate_step)


def load_data(
    settings: Settings,
    tables: Sequence[str] | None,
    *,
    allow_empty: bool = False,
    progress: Progress = NO_PROGRESS,
    on_wait: OnWait = no_wait_message,
) -> StepResult:
    """Replace the tables (all by default) with the raw folder's files, base and batches."""
    options = {
        "tables": list(tables) if tables else "all",
        "allow_empty": allow_empty,
        "append": False,
    }
    with open_run(settings, "load", options, on_wait=on_wait) as run:
        return run.run_step(load_step, tables or None, allow_empty=allow_empty, progress=progress)


def append_data(
    settings: Settings,
    folders: Sequence[str],
    *,
    progress: Progress = NO_PROGRESS,
    on_wait: OnWait = no_wait_message,
) -> list[StepResult]:
    """Append the batch folder given, or every batch not loaded yet (one transaction each)."""
    if len(folders) > 1:
        raise ConfigError(
            "--append takes one batch folder", "e.g. load --append data/raw/batches/0001-..."
        )
    folder = Path(folders[0]) if folders else None
    options = {"tables": list(folders) or "all", "allow_empty": False, "append": True}
    with open_run(settings, "load", options, on_wait=on_wait) as run:
        results = [
            run.run_step(append_step, pending, progress=progress)
            for pending in pending_batches(run, folder)
        ]
    return append_results(results, settings.raw_dir)


def run_everything(
    settings: Settings,
    *,
    regenerate: bool = False,
    report: bool = False,
    evaluate: bool = False,
    progress: Progress = NO_PROGRESS,
    on_wait: OnWait = no_wait_message,
) -> list[StepResult]:
    """`run-all`: schema, data (generated when missing or stale), load, rules, their evaluation on
    held-out days, and the report."""
    options = {"regenerate": regenerate, "report": report, "evaluate": evaluate}
    with open_run(settings, "run-all", options, on_wait=on_wait) as run:
        return run_all(
            run, regenerate=regenerate, progress=progress, report=report, evaluate=evaluate
        )
