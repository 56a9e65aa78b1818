"""The HTML of each section (stable ids: the tests and Clustr's docs link to them)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

import pandas as pd

from clustr_etl.report.alerts import Alert
from clustr_etl.report.facts import ReportFacts
from clustr_etl.report.rule_charts import GRAPH_CAP, SCATTER_CAP, TABLE_COLUMNS
from clustr_etl.report.stats import Realism

SECTION_IDS = (
    "overview",
    "baskets",
    "time",
    "customers",
    "rules-scatter",
    "rules-matrix",
    "rules-graph",
    "rules-table",
    "planted",
    "evaluation",
    "alerts",
)
TITLES = {
    "overview": "Overview",
    "baskets": "Baskets and products",
    "time": "Time",
    "customers": "Customers",
    "rules-scatter": "Rules: support vs confidence",
    "rules-matrix": "Rules: grouped matrix",
    "rules-graph": "Rules: graph",
    "rules-table": "Rules: table",
    "planted": "Planted bundles",
    "evaluation": "Bundles as recommendations",
    "alerts": "Alerts",
}
NO_RULES = "No rules yet: run `clustr-etl mine-rules` (or `clustr-etl run-all`) and write the report again."


def section(section_id: str, lead: str, body: str) -> str:
    return (
        f'<section id="{section_id}" class="card"><h2>{escape(TITLES[section_id])}</h2>'
        f'<p class="lead">{escape(lead)}</p>{body}</section>'
    )


def chart(key: str, css: str = "") -> str:
    return f'<div class="chart {css}" data-chart="{key}" role="img" aria-label="{escape(key)} chart"></div>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def table(
    headers: Iterable[str], rows: Iterable[Iterable[Any]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(
        f"<th{' class=num' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if unit == "%" else f"{value:.2f}x"


def _compact(value: float) -> str:
    for limit, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= limit:
            return f"{value / limit:,.2f}{suffix}"
    return f"{value:,.2f}"


def _source(source: dict[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "generated":
        options = source.get("options") or {}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(options.items()) if k != "seed")
        return f"<p><b>Generated</b> by <code>clustr-etl generate</code> with seed {escape(str(source.get('seed')))}; options: {escape(shown)}.</p>"
    if kind == "imported":
        files = ", ".join(str(f) for f in source.get("files") or []) or "-"
        dropped = source.get("dropped") or {}
        lost = ", ".join(
            f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in dropped.items()
        )
        return (
            f"<p><b>Imported</b> with preset <code>{escape(str(source.get('preset')))}</code> from "
            f"{escape(files)}; {escape(str(source.get('source_rows')))} source rows read, "
            f"{escape(str(source.get('loaded_rows')))} loaded{escape('; dropped ' + lost if lost else '')}.</p>"
        )
    return "<p><b>Source unknown</b>: no generate_options.json or import_report.json next to the CSVs.</p>"


def overview(facts: ReportFacts, realism: list[Realism], origin: str) -> str:
    data = facts.dataset
    density = data.lines / max(data.baskets * max(data.items, 1), 1)
    days = (data.last_day - data.first_day).days + 1 if data.first_day and data.last_day else 0
    span = f"date span: {data.first_day} to {data.last_day}" if data.first_day else "date span"
    tiles = [
        (f"{data.baskets:,}", "baskets (transactions with lines)"),
        (f"{data.items:,}", "items sold (distinct products)"),
        (f"{data.lines:,}", "sales lines"),
        (f"{density:.4%}", "density (lines / baskets x items)"),
        (f"{data.baskets and data.lines / data.baskets:.2f}", "mean lines per basket"),
        (f"{days:,} days", span),
        (_compact(data.revenue), "revenue (sum of line totals)"),
        (f"{facts.rules.total:,}", "bundle rules"),
    ]
    kpis = "".join(
        f'<div class="kpi"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in tiles
    )
    rows = table(["table", "rows"], [(n, f"{c:,}") for n, c in data.table_rows.items()], {1})
    generated = facts.source.get("kind") == "generated"
    stats = table(
        ["statistic", "this data", "generator target" if generated else "", "real data"],
        [
            (r.label, _value(r.value, r.unit), r.required if generated else "", r.reference)
            for r in realism
        ],
        {1},
    )
    body = (
        f"{_source(facts.source)}<div class=kpis>{kpis}</div><div class=two-col>"
        f"<div><h3>Rows per table</h3>{rows}</div><div><h3>Realism statistics</h3>{stats}</div></div>"
    )
    return section("overview", f"What this dataset is: read from {origin}.", body)


def baskets() -> str:
    body = f'<div class="grid">{chart("basket-sizes")}{chart("popularity")}{chart("item-frequency", "wide tall")}</div>'
    return section(
        "baskets", "How many lines a basket has, and how sales spread over products.", body
    )


def time() -> str:
    body = f'<div class="grid">{chart("per-day", "wide")}{chart("per-weekday")}{chart("seasonality")}</div>'
    return section(
        "time", "When customers shop: per day, per weekday and per month of the year.", body
    )


def customers(segments: pd.DataFrame) -> str:
    rows = [
        (
            str(s["segment"]),
            f"{s['customers']:,}",
            f"{s['per_customer']:.2f}",
            "-" if s["basket_size"] != s["basket_size"] else f"{s['basket_size']:.2f}",
            f"{s['revenue_share']:.1%}",
        )
        for s in segments.to_dict("records")
    ]
    segment_table = table(
        ["segment", "customers", "transactions per customer", "lines per basket", "revenue share"],
        rows,
        {1, 2, 3, 4},
    )
    body = f'<div class="grid">{chart("lorenz")}{chart("segments")}</div><h3>Segments</h3>{segment_table}'
    return section(
        "customers", "How revenue concentrates on few customers, and how the segments differ.", body
    )


def _rules_lead(total: int, shown: int, what: str) -> str:
    return f"{what} Showing {shown:,} of {total:,} rules."


def rules_scatter(total: int, shown: int) -> str:
    if not total:
        return section("rules-scatter", _rules_lead(0, 0, "Every rule as a point."), note(NO_RULES))
    buttons = (
        '<div class="controls"><span>Colour:</span>'
        '<button class="secondary" data-scatter-view="lift" aria-pressed="true">lift</button>'
        '<button class="secondary" data-scatter-view="two-key" aria-pressed="false">rule length (two-key plot)</button></div>'
    )
    lead = _rules_lead(
        total,
        min(shown, SCATTER_CAP),
        f"The best rules by lift (at most {SCATTER_CAP:,}); hover a point for the rule.",
    )
    return section("rules-scatter", lead, buttons + chart("rules-scatter", "tall"))


def rules_matrix(total: int, covered: int) -> str:
    if not total:
        return section(
            "rules-matrix", _rules_lead(0, 0, "Rules grouped by antecedent."), note(NO_RULES)
        )
    lead = _rules_lead(
        total,
        covered,
        "Antecedent groups x consequents of the best rules; hover a balloon for its group.",
    )
    return section("rules-matrix", lead, chart("rules-matrix", "tall"))


def rules_graph(total: int, shown: int) -> str:
    if not total:
        return section(
            "rules-graph",
            _rules_lead(0, 0, f"The top {GRAPH_CAP} rules as a network."),
            note(NO_RULES),
        )
    lead = _rules_lead(
        total,
        shown,
        f"The top rules by lift as a network (capped at {GRAPH_CAP} rules: more would be unreadable); drag to move, scroll to zoom.",
    )
    return section("rules-graph", lead, chart("rules-graph", "xtall"))


def rules_table(total: int, shown: int) -> str:
    if not total:
        return section(
            "rules-table", _rules_lead(0, 0, "Every rule with product names."), note(NO_RULES)
        )
    headers = "".join(
        f'<th data-column="{i}" class="sortable">{escape(name)}</th>'
        for i, name in enumerate(TABLE_COLUMNS)
    )
    controls = (
        '<div class="controls">'
        '<label>min lift<input id="filter-lift" type="number" step="0.1" min="0" value="0" size="6"></label>'
        '<label>min confidence<input id="filter-confidence" type="number" step="0.05" min="0" max="1" value="0" size="6"></label>'
        '<label>product name<input id="filter-search" type="search" placeholder="e.g. pasta" size="24"></label>'
        '<button id="rules-download">Download CSV</button><span id="rules-table-count"></span></div>'
    )
    body = (
        f'{controls}<div class="table-wrap"><table class="data" id="rules-grid"><thead><tr>{headers}</tr></thead>'
        '<tbody id="rules-table-body"></tbody></table></div>'
    )
    lead = _rules_lead(
        total, shown, "The best rules by lift, with product names; click a header to sort."
    )
    return section("rules-table", lead, body)


def planted(results: list[dict[str, Any]], kind: object) -> str:
    if not results:
        why = (
            "the data was imported: it has no planted bundles"
            if kind == "imported"
            else "no planted_bundles.csv next to the CSVs"
        )
        return section(
            "planted",
            "Which bundles the generator planted, and whether mining found them.",
            note(f"Nothing to show: {why}."),
        )
    found = sum(1 for r in results if r["found"])
    rows = [
        (
            f"#{r['bundle']}",
            " + ".join(r["products"]),
            f"{r['strength']:.2f}",
            "-" if r["weakest_pair_lift"] is None else f"{r['weakest_pair_lift']:.2f}",
            "-" if r["best_lift"] is None else f"{r['best_lift']:.2f}",
            "found" if r["found"] else "missing",
        )
        for r in results
    ]
    listing = table(
        [
            "bundle",
            "products",
            "planted strength",
            "mined lift (weakest pair)",
            "best rule lift",
            "status",
        ],
        rows,
        {2, 3, 4},
    )
    listing = listing.replace("<td>found</td>", '<td class="found">found</td>').replace(
        "<td>missing</td>", '<td class="missing">missing</td>'
    )
    lead = (
        f"{found} of {len(results)} planted bundles were found as a rule with exactly their items."
    )
    return section("planted", lead, f'<div class="grid">{chart("planted", "wide")}</div>{listing}')


def alerts(found: list[Alert]) -> str:
    items = "".join(
        f'<li class="{a.level}"><b>{escape(a.title)}</b>: {escape(a.detail)}</li>' for a in found
    )
    warnings = sum(a.level == "warning" for a in found)
    return section(
        "alerts",
        f"{warnings} warning(s): what looks off, and what to do.",
        f'<ul class="alerts">{items}</ul>',
    )
