"""The rules sections: table rows, the scatter, the grouped matrix and the graph (ECharts JSON).

Every view draws from the best rules by lift, each with its own cap stated on the page."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.report.dataset_charts import GREY, axis, base, short

Option = dict[str, Any]

SCATTER_CAP = 1_000
GRAPH_CAP = 100
MATRIX_GROUPS = 20
MATRIX_CONSEQUENTS = 20
NAME_LIMIT = 300  # characters of one side's names kept in the page
LIFT_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
LENGTH_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]
TABLE_COLUMNS = (
    "antecedent",
    "consequent",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "baskets",
    "length",
)


@dataclass
class RuleView:
    """The rules as the page shows them (best first by lift)."""

    rows: list[list[Any]]  # TABLE_COLUMNS per rule
    keys: list[tuple[list[str], list[str]]]  # item keys of each side
    names: list[tuple[list[str], list[str]]]  # product names of each side

    @property
    def count(self) -> int:
        return len(self.rows)


def _split(text: object) -> list[str]:
    return (
        []
        if text is None or (isinstance(text, float) and math.isnan(text))
        else str(text).split(ITEM_SEPARATOR)
    )


def _names(keys: list[str], names: object, catalog: dict[str, str]) -> list[str]:
    """Product names of item keys: from the catalog, else the rule's own names column, else keys."""
    if all(key in catalog for key in keys):
        return [catalog[key] for key in keys]
    named = [n.strip() for n in _split(names)] if isinstance(names, str) and names else []
    return named if len(named) == len(keys) else keys


def _number(value: object, digits: int = 6) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if not math.isfinite(number) else round(number, digits)


def rule_view(top: pd.DataFrame, catalog: dict[str, str]) -> RuleView:
    rows: list[list[Any]] = []
    keys: list[tuple[list[str], list[str]]] = []
    names: list[tuple[list[str], list[str]]] = []
    for rule in top.itertuples(index=False):
        a_keys, c_keys = _split(rule.antecedents), _split(rule.consequents)
        a_names, c_names = (
            _names(a_keys, rule.antecedent_names, catalog),
            _names(c_keys, rule.consequent_names, catalog),
        )
        keys.append((a_keys, c_keys))
        names.append((a_names, c_names))
        count = _number(rule.rule_count, 0)
        rows.append(
            [
                short(" + ".join(a_names), NAME_LIMIT),
                short(" + ".join(c_names), NAME_LIMIT),
                _number(rule.support),
                _number(rule.confidence, 4),
                _number(rule.lift, 3),
                _number(rule.leverage),
                _number(rule.conviction, 3),
                None if count is None else int(count),
                len(a_keys) + len(c_keys),
            ]
        )
    return RuleView(rows, keys, names)


def scatter(view: RuleView) -> Option:
    """Support vs confidence, colour = lift; the page switches the colour to rule length."""
    shown = view.rows[:SCATTER_CAP]
    lifts = [row[4] or 0.0 for row in shown]
    option = base(
        "Support vs confidence",
        f"top {len(shown):,} rules by lift; colour = lift (switch to the two-key view: colour = rule length)",
    )
    option["tooltip"] = {"trigger": "item"}
    option["grid"] = {"left": 70, "right": 110, "top": 70, "bottom": 60}
    option["xAxis"] = axis("support (share of baskets, log scale)", "log")
    option["yAxis"] = axis("confidence", "value", max=1, nameGap=45)
    option["visualMap"] = {
        "type": "continuous",
        "dimension": 2,
        "min": round(min(lifts, default=1.0), 2),
        "max": round(max(lifts, default=1.0), 2),
        "text": ["high lift", "low lift"],
        "right": 5,
        "top": "middle",
        "calculable": True,
        "inRange": {"color": LIFT_COLOURS},
    }
    option["series"] = [
        {
            "name": "rules",
            "type": "scatter",
            "symbolSize": 8,
            "itemStyle": {"borderColor": "#555", "borderWidth": 0.5},
            "data": [[row[2], row[3], row[4], row[8], i] for i, row in enumerate(shown)],
        }
    ]
    return option


def two_key_visual_map(view: RuleView) -> dict[str, Any]:
    lengths = sorted({row[8] for row in view.rows[:SCATTER_CAP]})
    return {
        "type": "piecewise",
        "dimension": 3,
        "categories": lengths,
        "right": 5,
        "top": "middle",
        "text": ["rule length (items)", ""],
        "inRange": {"color": LENGTH_COLOURS[: max(len(lengths), 1)]},
    }


def _group_key(antecedents: list[str], frequency: Counter[str]) -> str:
    return max(antecedents, key=lambda key: (frequency[key], key)) if antecedents else "{}"


@dataclass(frozen=True)
class MatrixCells:
    """The grouped matrix's cells: one per (antecedent group, consequent), with display labels."""

    cells: pd.DataFrame  # group, consequent, rules, lift (mean), support (sum)
    groups: list[str]
    consequents: list[str]
    label: dict[str, str]  # group key -> name; "c:" + consequent -> names
    rules: int


def matrix_cells(view: RuleView) -> MatrixCells:
    """Rules grouped by their antecedent's most common item, keeping the strongest groups and consequents."""
    frequency: Counter[str] = Counter(key for a, _ in view.keys for key in a)
    label: dict[str, str] = {}
    records = []
    for (a_keys, c_keys), (a_names, c_names), row in zip(
        view.keys, view.names, view.rows, strict=True
    ):
        group = _group_key(a_keys, frequency)
        label.setdefault(group, a_names[a_keys.index(group)] if group in a_keys else "{}")
        consequent = ITEM_SEPARATOR.join(c_keys)
        label.setdefault("c:" + consequent, " + ".join(c_names))
        records.append((group, consequent, row[2] or 0.0, row[4] or 0.0))
    frame = pd.DataFrame(records, columns=["group", "consequent", "support", "lift"])
    consequents = frame.groupby("consequent")["support"].sum().nlargest(MATRIX_CONSEQUENTS).index
    frame = frame[frame["consequent"].isin(consequents)]
    groups = frame.groupby("group")["lift"].max().nlargest(MATRIX_GROUPS).index
    frame = frame[frame["group"].isin(groups)]
    cells = frame.groupby(["group", "consequent"]).agg(
        rules=("lift", "size"), lift=("lift", "mean"), support=("support", "sum")
    )
    kept = set(frame["consequent"])
    return MatrixCells(
        cells.reset_index(), list(groups), [c for c in consequents if c in kept], label, len(frame)
    )


def matrix(view: RuleView) -> tuple[Option, int]:
    """Grouped matrix: antecedent groups (by their most common item) x consequents, balloon size =
    support, colour = mean lift. Returns the option and how many rules it covers."""
    grouped = matrix_cells(view)
    cells, label = grouped.cells, grouped.label
    top_support = float(cells["support"].max()) if len(cells) else 1.0
    option = base(
        "Grouped matrix",
        f"{grouped.rules:,} rules: antecedent groups (named by their most common item) x consequents; "
        "size = support, colour = mean lift",
    )
    option["tooltip"] = {"trigger": "item"}
    option["grid"] = {"left": 230, "right": 110, "top": 70, "bottom": 170}
    option["xAxis"] = {
        "type": "category",
        "name": "antecedent group (LHS)",
        "nameLocation": "middle",
        "nameGap": 155,
        "data": [label[g] + " + …" for g in grouped.groups],
        "axisLabel": {
            "rotate": 40,
            "width": 140,
            "overflow": "truncate",
            "fontSize": 10,
            "interval": 0,
        },
    }
    option["yAxis"] = {
        "type": "category",
        "name": "consequent (RHS)",
        "data": [label["c:" + c] for c in grouped.consequents],
        "axisLabel": {"width": 210, "overflow": "truncate", "fontSize": 10, "interval": 0},
    }
    option["visualMap"] = lift_scale(cells["lift"].to_numpy(dtype=float))
    option["series"] = [
        {
            "name": "rule groups",
            "type": "scatter",
            "itemStyle": {"borderColor": "#555", "borderWidth": 0.5},
            "data": [
                {
                    "value": [
                        grouped.groups.index(cell["group"]),
                        grouped.consequents.index(cell["consequent"]),
                        round(float(cell["lift"]), 3),
                        round(float(cell["support"]), 6),
                        int(cell["rules"]),
                    ],
                    "symbolSize": round(
                        8 + 30 * math.sqrt(float(cell["support"]) / top_support), 1
                    ),
                    "lhs": label[cell["group"]],
                    "rhs": label["c:" + cell["consequent"]],
                }
                for cell in cells.to_dict("records")
            ],
        }
    ]
    return option, grouped.rules


def lift_scale(lifts: npt.NDArray[np.float64]) -> dict[str, Any]:
    """The continuous colour scale of the matrix's third value (mean lift)."""
    return {
        "type": "continuous",
        "dimension": 2,
        "min": round(float(lifts.min()), 2) if len(lifts) else 1,
        "max": round(float(lifts.max()), 2) if len(lifts) else 1,
        "text": ["high lift", "low lift"],
        "right": 5,
        "top": "middle",
        "inRange": {"color": LIFT_COLOURS},
    }


def _colour(value: float, low: float, high: float) -> str:
    position = 0.0 if high <= low else (value - low) / (high - low)
    index = min(int(position * (len(LIFT_COLOURS) - 1) + 0.5), len(LIFT_COLOURS) - 1)
    return LIFT_COLOURS[max(index, 1)]


def graph_nodes(view: RuleView, shown: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes (products, then each rule) and links (antecedent -> rule -> consequent) of the top rules."""
    lifts = [row[4] or 0.0 for row in view.rows[:shown]]
    low, high = min(lifts, default=1.0), max(lifts, default=1.0)
    supports = [row[2] or 0.0 for row in view.rows[:shown]]
    top_support = max(supports, default=1.0) or 1.0
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def item(key: str, name: str) -> int:
        if key not in seen:
            seen[key] = len(nodes)
            nodes.append(
                {
                    "name": "item:" + key,
                    "value": name,
                    "label": {"show": True, "formatter": short(name, 24)},
                    "category": 0,
                    "symbolSize": 10,
                }
            )
        return seen[key]

    for i in range(shown):
        (a_keys, c_keys), (a_names, c_names), row = view.keys[i], view.names[i], view.rows[i]
        rule_node = len(nodes)
        nodes.append(
            {
                "name": f"rule:{i}",
                "value": f"{row[0]} → {row[1]} (lift {row[4]}, support {row[2]}, confidence {row[3]})",
                "category": 1,
                "symbolSize": round(5 + 12 * math.sqrt(supports[i] / top_support), 1),
                "itemStyle": {"color": _colour(lifts[i], low, high), "borderColor": "#555"},
            }
        )
        for key, name in zip(a_keys, a_names, strict=False):
            links.append({"source": item(key, name), "target": rule_node})
        for key, name in zip(c_keys, c_names, strict=False):
            links.append({"source": rule_node, "target": item(key, name)})
    return nodes, links


def graph(view: RuleView) -> tuple[Option, int]:
    """Items and rules as nodes (rule nodes sized by support, coloured by lift), top rules only."""
    shown = min(view.count, GRAPH_CAP)
    nodes, links = graph_nodes(view, shown)
    option = base(
        "Rule graph",
        f"top {shown:,} rules by lift (cap {GRAPH_CAP}); circles = rules (size = support, darker = higher lift), "
        "labelled dots = products; arrows run antecedent → rule → consequent",
    )
    option["tooltip"] = {"trigger": "item"}
    option["legend"] = {"top": 52, "data": ["product", "rule"]}
    option["series"] = [
        {
            "name": "rules",
            "type": "graph",
            "layout": "force",
            "roam": True,
            "top": 110,
            "bottom": 10,
            "draggable": True,
            "force": {
                "repulsion": 100,
                "edgeLength": 30,
                "gravity": 0.3,
                "layoutAnimation": False,
                "initLayout": "circular",
            },
            "categories": [
                {"name": "product", "itemStyle": {"color": GREY}},
                {"name": "rule", "itemStyle": {"color": LIFT_COLOURS[3]}},
            ],
            "label": {"position": "right", "fontSize": 10, "color": "#333"},
            "edgeSymbol": ["none", "arrow"],
            "edgeSymbolSize": 5,
            "lineStyle": {"color": "#9aa", "opacity": 0.7},
            "emphasis": {"focus": "adjacency"},
            "data": nodes,
            "links": links,
        }
    ]
    return option, shown


def planted_chart(results: list[dict[str, Any]]) -> Option:
    labels = [f"#{r['bundle']}" for r in results]
    option = base(
        "Planted strength vs mined lift", "per planted bundle: lift of its weakest item pair"
    )
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    option["legend"] = {"top": 42, "data": ["planted strength", "mined lift (weakest pair)"]}
    option["grid"]["top"] = 80
    option["xAxis"] = axis("planted bundle", "category", data=labels)
    option["yAxis"] = axis("lift", nameGap=40)
    option["series"] = [
        {"name": "planted strength", "type": "bar", "data": [r["strength"] for r in results]},
        {
            "name": "mined lift (weakest pair)",
            "type": "bar",
            "data": [
                None if r["weakest_pair_lift"] is None else round(float(r["weakest_pair_lift"]), 3)
                for r in results
            ],
        },
    ]
    return option
