"""ECharts options (plain JSON) for the dataset sections: #baskets, #time, #customers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clustr_etl.report.facts import DatasetFacts
from clustr_etl.report.stats import (
    MONTHS,
    WEEKDAYS,
    lorenz,
    per_month_of_year,
    per_weekday,
)

Option = dict[str, Any]

BLUE = "#3465a4"
ORANGE = "#e07b39"
GREY = "#8a8f98"
TOP_ITEMS = 30
DAILY_LIMIT = 1_500  # more days than this are shown per week


def short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def axis(name: str, kind: str = "value", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": name, "nameLocation": "middle", "nameGap": 34, **extra}


def base(title: str, subtitle: str = "") -> Option:
    return {
        "title": {
            "text": title,
            "subtext": subtitle,
            "left": "center",
            "textStyle": {"fontSize": 14},
        },
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 70, "right": 30, "top": 70, "bottom": 60, "containLabel": False},
        "color": [BLUE, ORANGE, GREY],
    }


def basket_sizes(facts: DatasetFacts) -> Option:
    sizes = facts.basket_sizes
    total = max(facts.baskets, 1)
    option = base("Basket size distribution", f"{facts.baskets:,} baskets")
    option["xAxis"] = axis("lines per basket", "category", data=[int(s) for s in sizes["size"]])
    option["yAxis"] = axis("baskets (% of all)", nameGap=45)
    option["series"] = [
        {
            "name": "baskets (%)",
            "type": "bar",
            "data": [round(100 * int(n) / total, 3) for n in sizes["baskets"]],
        }
    ]
    return option


def item_frequency(facts: DatasetFacts) -> Option:
    top = facts.products.nlargest(TOP_ITEMS, "lines").iloc[::-1]
    option = base(
        f"Top {len(top)} products by sales lines", "share of baskets that contain the product"
    )
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    option["grid"] = {"left": 230, "right": 40, "top": 60, "bottom": 50}
    option["yAxis"] = {
        "type": "category",
        "data": [str(name) for name in top["name"]],
        "axisLabel": {"width": 210, "overflow": "truncate", "fontSize": 11},
    }
    option["xAxis"] = axis("baskets containing it (%)")
    baskets = max(facts.baskets, 1)
    option["series"] = [
        {
            "name": "baskets with the product (%)",
            "type": "bar",
            "data": [round(100 * int(n) / baskets, 3) for n in top["lines"]],
        }
    ]
    return option


def popularity(facts: DatasetFacts) -> Option:
    lines = np.sort(facts.products["lines"].to_numpy(dtype=float))[::-1]
    lines = lines[lines > 0]
    total = max(lines.sum(), 1.0)
    ranks = np.unique(
        np.geomspace(1, max(len(lines), 1), num=min(300, max(len(lines), 1))).astype(int)
    )
    cumulative = np.cumsum(lines) / total
    option = base("Popularity curve", "share of all sales lines by product rank (log scales)")
    option["legend"] = {"top": 42, "data": ["share of lines (%)", "cumulative share (%)"]}
    option["grid"]["top"] = 80
    option["xAxis"] = axis("product rank (1 = best seller)", "log", min=1)
    option["yAxis"] = [
        axis("share of lines (%)", "log", nameGap=50),
        axis("cumulative share (%)", "value", max=100, nameGap=40, splitLine={"show": False}),
    ]
    option["series"] = [
        {
            "name": "share of lines (%)",
            "type": "line",
            "showSymbol": False,
            "data": [[int(r), float(100 * lines[r - 1] / total)] for r in ranks],
        },
        {
            "name": "cumulative share (%)",
            "type": "line",
            "yAxisIndex": 1,
            "showSymbol": False,
            "data": [[int(r), round(float(100 * cumulative[r - 1]), 2)] for r in ranks],
        },
    ]
    return option


def per_day(facts: DatasetFacts) -> Option:
    days = facts.days
    weekly = len(days) > DAILY_LIMIT
    if weekly:
        dates = pd.to_datetime(days["date"])
        days = (
            days.assign(date=(dates - pd.to_timedelta(dates.dt.weekday, unit="D")).dt.date)
            .groupby("date")["transactions"]
            .sum()
            .reset_index()
        )
    unit = "week" if weekly else "day"
    option = base(
        f"Transactions per {unit}", f"{facts.table_rows.get('transactions', 0):,} transactions"
    )
    option["xAxis"] = axis("date", "time")
    option["yAxis"] = axis(f"transactions per {unit}", nameGap=50)
    option["dataZoom"] = [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 8}]
    option["grid"]["bottom"] = 75
    option["series"] = [
        {
            "name": f"transactions per {unit}",
            "type": "line",
            "showSymbol": False,
            "lineStyle": {"width": 1},
            "data": [
                [d.isoformat(), int(n)]
                for d, n in zip(days["date"], days["transactions"], strict=True)
            ],
        }
    ]
    return option


def _mean_bars(title: str, labels: tuple[str, ...], values: list[float], colour: str) -> Option:
    option = base(title, "mean transactions per calendar day")
    option["xAxis"] = axis("", "category", data=list(labels))
    option["yAxis"] = axis("transactions per day", nameGap=50)
    option["series"] = [
        {
            "name": "transactions per day",
            "type": "bar",
            "itemStyle": {"color": colour},
            "data": [None if v != v else round(v, 2) for v in values],
        }
    ]
    return option


def weekdays(facts: DatasetFacts) -> Option:
    return _mean_bars("Transactions per weekday", WEEKDAYS, per_weekday(facts), BLUE)


def seasonality(facts: DatasetFacts) -> Option:
    return _mean_bars("Monthly seasonality", MONTHS, per_month_of_year(facts), ORANGE)


def lorenz_curve(facts: DatasetFacts) -> tuple[Option, float]:
    curve, gini = lorenz(facts.customers["revenue"].to_numpy(dtype=float))
    option = base("Revenue concentration (Lorenz curve)", f"Gini coefficient {gini:.2f}")
    option["tooltip"] = {"trigger": "axis"}
    option["legend"] = {"top": 42, "data": ["customers, poorest first", "perfect equality"]}
    option["grid"]["top"] = 80
    option["xAxis"] = axis("share of customers (%)", "value", min=0, max=100)
    option["yAxis"] = axis("share of revenue (%)", "value", min=0, max=100, nameGap=40)
    option["series"] = [
        {
            "name": "customers, poorest first",
            "type": "line",
            "showSymbol": False,
            "areaStyle": {"opacity": 0.15},
            "data": curve,
        },
        {
            "name": "perfect equality",
            "type": "line",
            "showSymbol": False,
            "lineStyle": {"type": "dashed", "color": GREY},
            "itemStyle": {"color": GREY},
            "data": [[0, 0], [100, 100]],
        },
    ]
    return option, gini


def segment_shares(table: pd.DataFrame) -> Option:
    option = base("Customer segments", "share of customers vs share of revenue")
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    option["legend"] = {"top": 42, "data": ["customers (%)", "revenue (%)"]}
    option["grid"]["top"] = 80
    option["xAxis"] = axis("segment", "category", data=[str(s) for s in table["segment"]])
    option["yAxis"] = axis("share (%)", nameGap=40)
    option["series"] = [
        {"name": name, "type": "bar", "data": [round(100 * float(v), 2) for v in table[column]]}
        for name, column in (("customers (%)", "customer_share"), ("revenue (%)", "revenue_share"))
    ]
    return option
