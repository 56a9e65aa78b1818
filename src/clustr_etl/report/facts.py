"""The aggregated facts a report is drawn from, the same whether they come from the database or
from CSV files. Every field is small (per size, per product, per day, per customer, top rules):
the report never holds raw transaction or sales rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clustr_etl.dataset.rule_columns import REPORTED_COLUMNS

TINY_COUNT = 10  # a rule from fewer baskets than this is fragile
HIGH_LIFT = 10.0  # ... and suspicious when its lift is at least this


@dataclass
class DatasetFacts:
    """Aggregates of the five data tables.

    - ``basket_sizes``: ``size`` (lines), ``baskets``
    - ``products``: ``product_id``, ``name``, ``category``, ``unit_price``, ``lines`` (every product,
      0 lines included), plus ``is_merchandise`` when the schema has it
    - ``days``: ``date``, ``transactions`` (days with at least one transaction)
    - ``customers``: ``customer_id``, ``segment``, ``transactions``, ``lines``, ``revenue``
      (every customer, 0 included)
    """

    table_rows: dict[str, int]
    basket_sizes: pd.DataFrame
    products: pd.DataFrame
    days: pd.DataFrame
    customers: pd.DataFrame
    calendar_days: int  # rows of the timeframe table
    holidays: int  # timeframe days marked as holiday
    lines: int
    quantity_one_lines: int
    discounted_lines: int
    revenue: float

    @property
    def baskets(self) -> int:
        return int(self.basket_sizes["baskets"].sum()) if len(self.basket_sizes) else 0

    @property
    def items(self) -> int:
        return int((self.products["lines"] > 0).sum()) if len(self.products) else 0

    @property
    def first_day(self) -> dt.date | None:
        return min(self.days["date"]) if len(self.days) else None

    @property
    def last_day(self) -> dt.date | None:
        return max(self.days["date"]) if len(self.days) else None


@dataclass
class PlantedBundle:
    bundle_id: int
    product_ids: tuple[str, ...]
    strength: float


@dataclass
class RuleFacts:
    """The mined rules: how many, and the best ones by lift (at most the read cap).

    ``matches`` holds every rule whose items all belong to one planted bundle (for #planted).
    """

    total: int = 0
    top: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REPORTED_COLUMNS)))
    tiny_count_high_lift: int = 0  # rules with lift >= 10 from fewer than 10 baskets
    min_rule_count: int | None = None
    n_transactions: int | None = None  # baskets the rules were mined from
    matches: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(REPORTED_COLUMNS))
    )


@dataclass
class ReportFacts:
    dataset: DatasetFacts
    rules: RuleFacts
    source: dict[str, object]  # what the data is: generated (options) or imported (preset, files)
    planted: list[PlantedBundle]
    origin: str  # "database <masked url>" or "files <folder>"
    evaluation: dict[str, Any] | None = None  # <data dir>/evaluation.json (clustr-etl evaluate)
