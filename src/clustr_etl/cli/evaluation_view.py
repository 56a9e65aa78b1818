"""The evaluation as a Rich table: one row per method, each figure with its 95 % interval."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clustr_etl.evaluation.bootstrap import Interval
from clustr_etl.evaluation.evaluate import Evaluation

COLUMNS = ("hr@1", "hr@5", "hr@10", "mrr@10", "ndcg@10", "coverage", "catalogue_coverage")
HEADERS = {"catalogue_coverage": "catalogue", "popularity_rank": "pop. rank"}


def render_evaluation(evaluation: Evaluation, console: Console) -> None:
    split = evaluation.split
    title = (
        f"basket completion: {evaluation.cases:,} cases from {evaluation.test_baskets:,} test "
        f"baskets (train {split.get('train_since')}..{split.get('train_until')}, "
        f"test {split.get('test_since')}..{split.get('test_until')}; 95 % bootstrap intervals)"
    )
    table = Table(title=escape(title), title_justify="left")
    table.add_column("method", overflow="fold")
    for name in (*COLUMNS, "popularity_rank"):
        table.add_column(HEADERS.get(name, name), justify="right", overflow="fold")
    for method, figures in evaluation.methods.items():
        cells = [_cell(figures[name]) for name in COLUMNS]
        cells.append(_cell(figures["popularity_rank"], digits=1))
        table.add_row(escape(method), *cells)
    console.print(table)
    console.print(escape(evaluation.summary), highlight=False, soft_wrap=True)


def _cell(interval: Interval, digits: int = 3) -> str:
    if interval.value is None:
        return "-"
    text = f"{interval.value:.{digits}f}"
    if interval.low is not None and interval.high is not None:
        text += f"\n{interval.low:.{digits}f}-{interval.high:.{digits}f}"
    return escape(text)
