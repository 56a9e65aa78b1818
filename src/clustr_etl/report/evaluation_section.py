"""#evaluation: the bundles as recommendations (``<data dir>/evaluation.json`` from `clustr-etl evaluate`).

One chart per HR@k: a bar per method with its 95 % bootstrap interval drawn as a whisker (a thin
candlestick from the interval's low to its high), and a table of every figure with its interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clustr_etl.report.dataset_charts import axis, base
from clustr_etl.report.sections import note, section, table

EVALUATION_FILE = "evaluation.json"
HR_CHARTS = {"evaluation-hr1": "hr@1", "evaluation-hr5": "hr@5", "evaluation-hr10": "hr@10"}
TABLE_METRICS = (
    ("hr@10", "HR@10"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "NDCG@10"),
    ("coverage", "coverage"),
    ("catalogue_coverage", "catalogue coverage"),
    ("popularity_rank", "mean popularity rank"),
)
NO_EVALUATION = (
    "No evaluation yet: run `clustr-etl evaluate` (or `clustr-etl run-all --evaluate`) "
    "and write the report again."
)
Option = dict[str, Any]
WHISKER = "#2e3436"


def read_evaluation(data_dir: Path) -> dict[str, Any] | None:
    """The evaluation JSON next to the data, or None when there is none (or it is unreadable)."""
    path = data_dir / EVALUATION_FILE
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) and isinstance(loaded.get("methods"), dict) else None


def hr_chart(evaluation: dict[str, Any], metric: str) -> Option:
    methods = list(evaluation["methods"])
    figures = [evaluation["methods"][m].get(metric, {}) for m in methods]
    option = base(metric.upper(), "bar: value; whisker: 95 % bootstrap interval")
    option["xAxis"] = axis("", "category", data=methods, axisLabel={"interval": 0, "rotate": 30})
    option["yAxis"] = axis(metric.upper(), nameGap=44, min=0)
    option["grid"]["bottom"] = 90
    option["series"] = [
        {"name": metric.upper(), "type": "bar", "data": [_round(f.get("value")) for f in figures]},
        {
            "name": "95 % interval",
            "type": "candlestick",
            "barWidth": 3,
            "itemStyle": {
                "color": WHISKER,
                "color0": WHISKER,
                "borderColor": WHISKER,
                "borderColor0": WHISKER,
            },
            "data": [_whisker(f) for f in figures],
        },
    ]
    return option


def charts(evaluation: dict[str, Any] | None) -> dict[str, Option]:
    if evaluation is None:
        return {}
    return {key: hr_chart(evaluation, metric) for key, metric in HR_CHARTS.items()}


def evaluation_section(evaluation: dict[str, Any] | None) -> str:
    lead = "The bundles as recommendations: basket completion on held-out days, against baselines."
    if evaluation is None:
        return section("evaluation", lead, note(NO_EVALUATION))
    split = evaluation.get("split", {})
    facts = (
        f"{evaluation.get('cases', 0):,} cases (one hidden item each) from "
        f"{evaluation.get('test_baskets', 0):,} test baskets; trained on "
        f"{split.get('train_since')} to {split.get('train_until')}, tested on "
        f"{split.get('test_since')} to {split.get('test_until')}."
    )
    rows = [
        (method, *(_cell(figures.get(key, {}), key) for key, _ in TABLE_METRICS))
        for method, figures in evaluation["methods"].items()
    ]
    listing = table(["method", *(name for _, name in TABLE_METRICS)], rows, {1, 2, 3, 4, 5, 6})
    grid = "".join(
        f'<div class="chart" data-chart="{key}" role="img" aria-label="{key} chart"></div>'
        for key in HR_CHARTS
    )
    body = (
        f'<p class="verdict"><b>{_escape(str(evaluation.get("summary", "")))}</b></p>'
        f'{note(facts)}<div class="grid">{grid}</div><h3>Every figure (95 % interval)</h3>{listing}'
    )
    return section("evaluation", lead, body)


def _round(value: object) -> float | None:
    return None if value is None else round(float(str(value)), 4)


def _whisker(figure: dict[str, Any]) -> list[float] | str:
    low, high = figure.get("ci_low"), figure.get("ci_high")
    if low is None or high is None:
        return "-"
    low_value, high_value = _round(low), _round(high)
    return [low_value or 0.0, high_value or 0.0, low_value or 0.0, high_value or 0.0]


def _cell(figure: dict[str, Any], key: str) -> str:
    value, low, high = figure.get("value"), figure.get("ci_low"), figure.get("ci_high")
    if value is None:
        return "-"
    digits = 1 if key == "popularity_rank" else 3
    text = f"{value:.{digits}f}"
    if low is not None and high is not None:
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def _escape(text: str) -> str:
    from html import escape

    return escape(text)
