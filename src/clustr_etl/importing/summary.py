"""The import's Rich summary: lines read, kept and dropped (with totals), and the realism statistics."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _how_read(report: dict[str, Any], console: Console) -> None:
    """The layout used (the columns when proposed) and what was found by looking at the data."""
    layout = report.get("layout")
    if layout:
        console.print(f"layout: {layout['preset']} ({layout['how']})", highlight=False)
        if layout["how"] == "proposed from its headers":
            for canonical, header in layout["columns"].items():
                console.print(f"  {canonical} = {header!r}", highlight=False)
            if "mapping_file" in layout:
                pin = "pin it with --preset lines --mapping FILE"
                console.print(f"  written to {layout['mapping_file']}: {pin}", highlight=False)
    if "detected" in report:
        console.print(f"detected: {report['detected']['summary']}", highlight=False)


def render_import_summary(report: dict[str, Any], console: Console) -> None:
    _how_read(report, console)
    totals = report["totals"]
    table = Table(title=f"import ({report['preset']})", title_justify="left")
    for column in ("lines", "rows", "quantity", "revenue"):
        table.add_column(column, justify="left" if column == "lines" else "right")

    def row(label: str, values: dict[str, Any]) -> None:
        table.add_row(
            label, f"{values['rows']:,}", f"{values['quantity']:,}", _money(values["revenue"])
        )

    row("read", totals["source"])
    row("loaded", totals["loaded"])
    for reason, values in totals["dropped_by_reason"].items():
        row(f"dropped: {reason}", values)
    console.print(table)
    keys = report["keys"]
    facts = Table(title="what the import kept", title_justify="left", show_header=False)
    facts.add_column("fact")
    facts.add_column("value", overflow="fold")
    for name, count in report["tables"].items():
        facts.add_row(f"{name} rows", f"{count:,}")
    for name, value in keys.items():
        if name == "non_merchandise_products":
            shown = ", ".join(value) or "none"
        elif isinstance(value, int):
            shown = f"{value:,}"
        else:
            shown = str(value)
        facts.add_row(name.replace("_", " "), shown)
    calendar = report["calendar"]
    facts.add_row(
        "calendar",
        f"{calendar['first_day']} to {calendar['last_day']}, {calendar['holidays']} holidays "
        f"({calendar['holiday_country'] or 'no holiday country found'})",
    )
    console.print(facts)
    realism = Table(title="realism statistics (compare with README)", title_justify="left")
    realism.add_column("statistic")
    realism.add_column("value", justify="right")
    for name, value in report["realism"].items():
        realism.add_row(name, "n/a" if value is None else f"{value:g}")
    console.print(realism)
