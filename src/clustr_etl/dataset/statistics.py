"""Realism statistics of a generated dataset (used by tests and benchmarks, handy for READMEs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR


def read_dataset(raw_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        table: pd.read_csv(raw_dir / name, keep_default_na=False)
        for table, name in TABLE_FILES.items()
    }


def _top_share(values: np.ndarray, fraction: float) -> float:
    ordered = np.sort(values)[::-1]
    count = max(1, int(len(ordered) * fraction))
    return float(ordered[:count].sum() / ordered.sum())


def _ids(values: pd.Series) -> npt.NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64)


def _per_id(
    line_ids: npt.NDArray[np.int64],
    ids: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Per id of ``ids`` (in that order), its lines (or the sum of their ``weights``); 0 if none."""
    size = max(int(ids.max(initial=0)), int(line_ids.max(initial=0))) + 1
    totals = np.asarray(np.bincount(line_ids, weights=weights, minlength=size), dtype=np.float64)
    return totals[ids]


def dataset_stats(data: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Basket, popularity, price, customer, calendar and line statistics."""
    sales, transactions = data["sales"], data["transactions"]
    products, customers = data["products"], data["customers"]
    # Ids are small non-negative integers: per-id counts and sums are bincounts.
    line_tid = _ids(sales["transaction_id"])
    tid, cid = _ids(transactions["transaction_id"]), _ids(transactions["customer_id"])
    lines_per_tid = np.bincount(line_tid, minlength=max(tid.max(initial=0), 0) + 1)
    size = pd.Series(lines_per_tid[lines_per_tid > 0])  # transactions with lines
    lines_per_product = _per_id(_ids(sales["product_id"]), _ids(products["product_id"]))
    customer_of = np.full(lines_per_tid.size, -1, dtype=np.int64)
    customer_of[tid] = cid
    line_cid = customer_of[line_tid]
    known = line_cid >= 0  # a line of a transaction in the table (an inner join)
    revenue = sales["line_total"].to_numpy(np.float64)
    by_customer = _per_id(line_cid[known], _ids(customers["customer_id"]), revenue[known])
    dates = pd.to_datetime(transactions["date"])
    all_days = pd.to_datetime(data["timeframe"]["date"])
    holiday_season = dates.dt.month.isin([11, 12]).mean() / all_days.dt.month.isin([11, 12]).mean()
    per_weekday = dates.dt.day_of_week.value_counts() / all_days.dt.day_of_week.value_counts()
    segment_of = customers.set_index("customer_id")["segment"]
    enriched = transactions.assign(segment=transactions["customer_id"].map(segment_of))
    basket = lines_per_tid[tid].astype(np.float64)
    enriched = enriched.assign(size=np.where(basket > 0, basket, np.nan))
    per_segment = enriched.groupby("segment").agg(
        transactions=("transaction_id", "size"), mean_size=("size", "mean")
    )
    segment_customers = customers["segment"].value_counts()
    per_segment["per_customer"] = per_segment["transactions"] / segment_customers
    prices = products["unit_price"].astype(float)
    return {
        "basket_mean": float(size.mean()),
        "basket_dispersion": float(size.var() / size.mean()),
        "basket_single_share": float((size == 1).mean()),
        "basket_max": int(size.max()),
        "top1_product_share": _top_share(lines_per_product, 0.01),
        "top20_product_share": _top_share(lines_per_product, 0.20),
        "categories": int(products["category"].nunique()),
        "price_p99_over_median": float(prices.quantile(0.99) / prices.median()),
        "top20_customer_revenue_share": _top_share(by_customer, 0.20),
        "segment_visits_ratio": float(
            per_segment["per_customer"].max() / per_segment["per_customer"].min()
        ),
        "segment_basket_ratio": float(
            per_segment["mean_size"].max() / per_segment["mean_size"].min()
        ),
        "holiday_season_ratio": float(holiday_season),
        "weekday_ratio": float(per_weekday.max() / per_weekday.min()),
        "quantity_one_share": float((sales["quantity"] == 1).mean()),
        "discounted_share": float((sales["discount"] > 0).mean()),
    }


def read_planted(path: Path) -> list[frozenset[str]]:
    """The planted bundles of ``planted_bundles.csv`` as sets of product-id strings."""
    planted = pd.read_csv(path, dtype={"product_ids": str})
    return [frozenset(ids.split(ITEM_SEPARATOR)) for ids in planted["product_ids"]]


def rule_itemsets(rules: pd.DataFrame) -> list[frozenset[str]]:
    """A+C of each mined rule (``antecedents``/``consequents`` are "|"-joined ids)."""
    return [
        frozenset(a.split(ITEM_SEPARATOR)) | frozenset(c.split(ITEM_SEPARATOR))
        for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
    ]


def bundle_recovery(
    rules: pd.DataFrame, planted: list[frozenset[str]], top: int = 20
) -> tuple[float, float]:
    """(share of planted bundles found as some rule's A+C, share of the top rules by lift
    whose A+C is a planted bundle)."""
    found = set(rule_itemsets(rules))
    recall = sum(bundle in found for bundle in planted) / len(planted) if planted else 1.0
    best = rules.sort_values("lift", ascending=False, kind="stable").head(top)
    truth = set(planted)
    hits = [itemset in truth for itemset in rule_itemsets(best)]
    precision = sum(hits) / len(hits) if hits else 0.0
    return recall, precision


def weakest_pair_lifts(sales: pd.DataFrame, planted: list[frozenset[str]]) -> list[float]:
    """Measured lift of each planted bundle's weakest item pair (what ``strength`` plants)."""
    n_baskets = sales["transaction_id"].nunique()
    wanted = {int(item) for bundle in planted for item in bundle}
    lines = sales.loc[sales["product_id"].isin(wanted), ["transaction_id", "product_id"]]
    baskets = lines.groupby("transaction_id")["product_id"].agg(frozenset)
    presence = lines["product_id"].value_counts()
    lifts = []
    for bundle in planted:
        items = sorted(int(item) for item in bundle)
        pair_lifts = []
        for position, first in enumerate(items):
            for second in items[position + 1 :]:
                together = int(baskets.map(lambda b, x=first, y=second: x in b and y in b).sum())
                expected = presence[first] * presence[second] / n_baskets
                pair_lifts.append(together / expected)
        lifts.append(min(pair_lifts))
    return lifts
