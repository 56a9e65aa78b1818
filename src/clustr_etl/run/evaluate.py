"""The evaluate step: mine the days before a cutoff, score the rules as recommendations on the later ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clustr_etl.config.settings import Settings
from clustr_etl.evaluation.options import EvaluationOptions
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.run.context import RunContext, StepResult, no_wait_message, open_run, timed
from clustr_etl.run.mine import rule_thresholds
from clustr_etl.store.backends import OnWait

if TYPE_CHECKING:
    from clustr_etl.evaluation.evaluate import Evaluation


@dataclass
class EvaluateResult:
    """The step's result and the evaluation it wrote."""

    report: StepResult
    evaluation: Evaluation
    output: Path

    @property
    def step_result(self) -> StepResult:
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
    with timed(StepResult("evaluate")) as report:
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
        report.detail = "\n".join(
            [str(output), split.label(), *evaluation.notes, evaluation.summary]
        )
    return EvaluateResult(report, evaluation, output)


def evaluate(
    settings: Settings,
    *,
    test_days: int | None = None,
    cutoff: dt.date | None = None,
    options: EvaluationOptions | None = None,
    progress: Progress = NO_PROGRESS,
    on_wait: OnWait = no_wait_message,
) -> EvaluateResult:
    """`clustr-etl evaluate` as a library call: one recorded run (it writes rule_evaluations)."""
    options = options or EvaluationOptions()
    recorded = {"test_days": test_days, "cutoff": str(cutoff) if cutoff else None}
    recorded |= {"max_cases": options.max_cases, "seed": options.seed, "by": options.by}
    with open_run(settings, "evaluate", recorded, on_wait=on_wait) as run:
        return run.run_step(
            evaluate_step, test_days=test_days, cutoff=cutoff, options=options, progress=progress
        )
