"""Dataset statistics computed from the aggregated facts (never from raw rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.report.facts import DatasetFacts

FloatArray = npt.NDArray[np.float64]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Realism:
    label: str
    value: float | None
    unit: str  # "x" ratio or "%" share
    required: str  # what the generator guarantees ("" when nothing is required)
    reference: str  # the real-data figure the generator was calibrated on


def top_share(values: FloatArray, fraction: float) -> float | None:
    """Share of the total held by the top ``fraction`` of values (None when the total is 0)."""
    ordered = np.sort(values)[::-1]
    total = ordered.sum()
    if not len(ordered) or total <= 0:
        return None
    return float(ordered[: max(1, int(len(ordered) * fraction))].sum() / total)


def basket_moments(sizes: pd.DataFrame) -> tuple[float, float]:
    """(mean, variance) of the basket size from its distribution."""
    weights = sizes["baskets"].to_numpy(dtype=float)
    values = sizes["size"].to_numpy(dtype=float)
    if weights.sum() <= 0:
        return 0.0, 0.0
    mean = float(np.average(values, weights=weights))
    return mean, float(np.average((values - mean) ** 2, weights=weights))


def calendar_span(facts: DatasetFacts) -> list[dt.date]:
    first, last = facts.first_day, facts.last_day
    if first is None or last is None:
        return []
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def per_weekday(facts: DatasetFacts) -> list[float]:
    """Mean transactions per calendar day of each weekday (Mon..Sun) over the data's span."""
    return _mean_per_day(facts, lambda day: day.weekday(), 7)


def per_month_of_year(facts: DatasetFacts) -> list[float]:
    """Mean transactions per calendar day of each month of the year (Jan..Dec)."""
    return _mean_per_day(facts, lambda day: day.month - 1, 12)


def _mean_per_day(facts: DatasetFacts, key: object, buckets: int) -> list[float]:
    assert callable(key)
    totals = np.zeros(buckets)
    days = np.zeros(buckets)
    for day in calendar_span(facts):
        days[key(day)] += 1
    for day, count in zip(facts.days["date"], facts.days["transactions"], strict=True):
        totals[key(day)] += count
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(days > 0, totals / np.maximum(days, 1), np.nan)
    return [float(x) for x in means]


def _ratio(values: list[float]) -> float | None:
    present = [v for v in values if v == v and v > 0]
    return max(present) / min(present) if len(present) > 1 else None


def holiday_season_ratio(facts: DatasetFacts) -> float | None:
    """Nov-Dec share of transactions / Nov-Dec share of calendar days."""
    span = calendar_span(facts)
    season_days = sum(day.month in (11, 12) for day in span)
    total = facts.days["transactions"].sum()
    if not season_days or not total or season_days == len(span):
        return None
    season = sum(
        count
        for day, count in zip(facts.days["date"], facts.days["transactions"], strict=True)
        if day.month in (11, 12)
    )
    return float((season / total) / (season_days / len(span)))


def lorenz(revenue: FloatArray, points: int = 200) -> tuple[list[list[float]], float]:
    """Lorenz curve points ([customer share %, revenue share %]) and the Gini coefficient."""
    ordered = np.sort(np.clip(revenue, 0, None))
    if not len(ordered) or ordered.sum() <= 0:
        return [[0.0, 0.0], [100.0, 100.0]], 0.0
    cumulative = np.concatenate([[0.0], np.cumsum(ordered) / ordered.sum()])
    shares = np.arange(len(ordered) + 1) / len(ordered)
    gini = float(1 - np.sum((cumulative[1:] + cumulative[:-1]) * np.diff(shares)))
    picks = np.unique(np.linspace(0, len(ordered), min(points, len(ordered) + 1)).astype(int))
    curve = [
        [round(float(shares[i]) * 100, 2), round(float(cumulative[i]) * 100, 2)] for i in picks
    ]
    return curve, gini


def realism(facts: DatasetFacts) -> list[Realism]:
    """The generator's realism statistics (README "The generated dataset"), from aggregates."""
    mean, variance = basket_moments(facts.basket_sizes)
    sizes = facts.basket_sizes
    single = float(sizes.loc[sizes["size"] == 1, "baskets"].sum() / max(facts.baskets, 1))
    lines = facts.products["lines"].to_numpy(dtype=float)
    prices = facts.products["unit_price"].astype(float)
    revenue = facts.customers["revenue"].to_numpy(dtype=float)
    lines_total = max(facts.lines, 1)
    return [
        Realism(
            "basket size variance / mean",
            variance / mean if mean else None,
            "x",
            ">= 2",
            "Groceries 2.92",
        ),
        Realism("single-line baskets", single, "%", "10-30 %", "Groceries 22 %"),
        Realism(
            "top 1 % of products, share of lines",
            top_share(lines, 0.01),
            "%",
            "8-35 %",
            "Online Retail 9.4 %",
        ),
        Realism(
            "top 20 % of products, share of lines",
            top_share(lines, 0.20),
            "%",
            "55-85 %",
            "Online Retail 64 %",
        ),
        Realism(
            "price p99 / median",
            float(prices.quantile(0.99) / prices.median())
            if len(prices) and prices.median() > 0
            else None,
            "x",
            ">= 5",
            "Online Retail 11.6x",
        ),
        Realism(
            "top 20 % of customers, share of revenue",
            top_share(revenue, 0.20),
            "%",
            "50-80 %",
            "Online Retail 74.6 %",
        ),
        Realism(
            "Nov-Dec share of transactions / share of days",
            holiday_season_ratio(facts),
            "x",
            ">= 1.3",
            "Online Retail 1.35x",
        ),
        Realism("busiest / quietest weekday", _ratio(per_weekday(facts)), "x", ">= 1.2", ""),
        Realism(
            "lines with quantity 1", facts.quantity_one_lines / lines_total, "%", ">= 60 %", ""
        ),
        Realism("discounted lines", facts.discounted_lines / lines_total, "%", "", ""),
    ]


def segments(facts: DatasetFacts) -> pd.DataFrame:
    """Per segment: customers, transactions per customer, lines per basket, revenue share."""
    grouped = facts.customers.groupby("segment").agg(
        customers=("customer_id", "size"),
        transactions=("transactions", "sum"),
        lines=("lines", "sum"),
        revenue=("revenue", "sum"),
    )
    total_revenue = grouped["revenue"].sum()
    grouped["per_customer"] = grouped["transactions"] / grouped["customers"]
    grouped["basket_size"] = grouped["lines"] / grouped["transactions"].where(
        grouped["transactions"] > 0
    )
    grouped["customer_share"] = grouped["customers"] / grouped["customers"].sum()
    grouped["revenue_share"] = grouped["revenue"] / total_revenue if total_revenue > 0 else 0.0
    return grouped.sort_values("revenue", ascending=False).reset_index()
