"""The human-readable view of `clustr-etl status` (the facts come from ``clustr_etl.run.status``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clustr_etl.run.status import SCHEMA_OUTDATED, SCHEMA_UNKNOWN, DatabaseStatus
from clustr_etl.store.ledger import ABANDONED
from clustr_etl.store.models import Base

STATUS_STYLES = {
    "succeeded": "green",
    "running": "cyan",
    "failed": "red",
    "interrupted": "yellow",
    ABANDONED: "yellow",
}


def render_status(report: DatabaseStatus, console: Console) -> None:
    """The human-readable view: a few lines, then the last runs as a table."""
    console.print(f"database  {report.database}", markup=False, highlight=False, soft_wrap=True)
    if not report.reachable:
        return
    writer = "a command is writing now" if report.writer_active else "idle"
    if report.schema == SCHEMA_UNKNOWN:
        console.print(f"schema    unknown (the file is locked)\nwriter    {writer}")
        return
    tables = len(Base.metadata.tables) - len(report.missing_tables)
    console.print(f"schema    {report.schema} ({tables} of {len(Base.metadata.tables)} tables)")
    if report.revision != report.head:
        shown = report.revision or "none (made by 0.1.0)"
        console.print(f"revision  {shown}, head {report.head}: run `clustr-etl migrate`")
    else:
        console.print(f"revision  {report.revision}")
    if report.schema == SCHEMA_OUTDATED:
        for name in report.missing_tables:
            console.print(f"          missing table {name}", highlight=False)
    for name, columns in report.missing_columns.items():
        console.print(f"          {name} lacks {', '.join(columns)}", highlight=False)
    console.print(f"writer    {writer}")
    if report.row_counts:
        counts = ", ".join(f"{name} {count:,}" for name, count in report.row_counts.items())
        console.print(f"rows      {counts}", highlight=False, soft_wrap=True)
    if report.leftover_tables:
        shown = ", ".join(report.leftover_tables)
        console.print(f"leftover  {shown} (from a killed load; the next load drops them)")
    if report.batches:
        shown = ", ".join(report.batches)
        console.print(f"batches   {len(report.batches)} loaded ({shown})", highlight=False)
    for waiting in report.waiting:
        console.print(f"waiting   {waiting}", highlight=False, soft_wrap=True)
    if not report.runs:
        console.print("runs      none recorded yet")
        return
    table = Table(title="last runs", title_justify="left")
    for column in ("run", "command", "status", "started (UTC)", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for run in report.runs:
        style = STATUS_STYLES.get(run.status, "")
        table.add_row(
            str(run.run_id),
            run.command,
            f"[{style}]{run.status}[/]" if style else run.status,
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{run.seconds:.1f}" if run.seconds is not None else "-",
            escape(run.error or _rows_summary(run.steps)),
        )
    console.print(table)


def _rows_summary(steps: list[dict[str, Any]]) -> str:
    return ", ".join(f"{step.get('name', '?')} {step.get('seconds', 0):.1f}s" for step in steps)
