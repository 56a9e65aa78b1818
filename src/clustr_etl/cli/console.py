"""Rich output: progress bars, step summaries and one-line errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from clustr_etl.progress import Advance

if TYPE_CHECKING:
    import pandas as pd

    from clustr_etl.run.steps import StepResult

stdout = Console()
stderr = Console(stderr=True)


class RichProgress:
    """Progress bars on a terminal; silent when quiet or when output is not a terminal.

    Tasks open at the same time (the CSV checks run in a thread while PostgreSQL builds) share one
    live display, one bar each: Rich allows a single live display at a time."""

    def __init__(self, *, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or stderr
        self.enabled = not quiet and self.console.is_terminal
        self._lock = threading.Lock()
        self._bar: Progress | None = None
        self._open_tasks = 0

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Advance]:
        if not self.enabled:
            yield _ignore
            return
        with self._lock:
            if self._bar is None:
                self._bar = Progress(
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TimeRemainingColumn(),
                    console=self.console,
                    transient=True,
                )
                self._bar.start()
            bar = self._bar
            task_id = bar.add_task(description, total=total)
            self._open_tasks += 1

        def advance(amount: float) -> None:
            bar.advance(task_id, amount)

        try:
            yield advance
        finally:
            with self._lock:
                bar.remove_task(task_id)
                self._open_tasks -= 1
                if self._open_tasks == 0:
                    bar.stop()
                    self._bar = None


def _ignore(amount: float) -> None:
    return None


def print_error(message: str) -> None:
    # The message is text, not markup: "pip install 'clustr-etl[spark]'" keeps its brackets.
    stderr.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_results(reports: Sequence[StepResult], *, quiet: bool = False) -> None:
    if quiet:
        return
    table = Table(title="clustr-etl", title_justify="left")
    table.add_column("step", no_wrap=True)
    table.add_column("rows", no_wrap=True)
    table.add_column("seconds", justify="right")
    table.add_column("detail", overflow="fold")
    for report in reports:
        rows = "\n".join(f"{name}: {count:,}" for name, count in report.rows.items())
        table.add_row(report.name, escape(rows), f"{report.seconds:.2f}", escape(report.detail))
    stdout.print(table)


def print_rules(rules: pd.DataFrame, top: int) -> None:
    table = Table(title=f"top {min(top, len(rules))} rules by lift", title_justify="left")
    for column in ("antecedents", "consequents", "support", "confidence", "lift"):
        table.add_column(column, overflow="fold")
    names = "antecedent_names" in rules.columns
    for row in rules.sort_values("lift", ascending=False, kind="stable").head(top).itertuples():
        table.add_row(
            str(row.antecedent_names if names else row.antecedents),
            str(row.consequent_names if names else row.consequents),
            f"{row.support:.4f}",
            f"{row.confidence:.3f}",
            f"{row.lift:.2f}",
        )
    stdout.print(table)
