"""Writing an evaluation: ``<data dir>/evaluation.json`` and rows of ``rule_evaluations``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, insert

from clustr_etl.evaluation.evaluate import Evaluation
from clustr_etl.store.models import RuleEvaluation

EVALUATION_FILE = "evaluation.json"


def write_json(evaluation: Evaluation, path: Path) -> Path:
    """The evaluation as JSON (written to a temporary name, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(evaluation.to_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def metric_and_k(name: str) -> tuple[str, int | None]:
    """``hr@10`` -> ('hr', 10); ``coverage`` -> ('coverage', None)."""
    metric, _, k = name.partition("@")
    return metric, int(k) if k else None


def store_rows(engine: Engine, evaluation: Evaluation, split: str, run_id: int | None) -> int:
    """One ``rule_evaluations`` row per method and metric, in one transaction; returns the count."""
    rows = []
    for method, figures in evaluation.methods.items():
        for name, interval in figures.items():
            metric, k = metric_and_k(name)
            rows.append(
                {
                    "run_id": run_id,
                    "split": split,
                    "method": method,
                    "metric": metric,
                    "k": k,
                    "value": interval.value,
                    "ci_low": interval.low,
                    "ci_high": interval.high,
                    "cases": evaluation.cases,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(RuleEvaluation), rows)
    return len(rows)
