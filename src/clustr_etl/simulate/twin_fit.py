"""Fit a twin model to a dataset's raw folder (the five table CSVs of `generate` or an import).

Fitted: basket sizes per segment, each product's popularity (the real catalog is reused), the
quantity law, customer visit rates per segment (quantiles of transactions per customer, which
carry the spend concentration), the weekday and month profiles, and the co-purchase structure:
the itemsets of the real data's strongest rules by lift (support >= ``TWIN_MIN_SUPPORT``) with
their sub-itemsets, planted so that their supports (and so their lifts) come back. No customer,
transaction or sale line is copied.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.errors import ConfigError
from clustr_etl.simulate.bundles import Background
from clustr_etl.simulate.twin_model import TwinBundle, TwinModel, TwinProduct, TwinSegment
from clustr_etl.store.models import CSV_COLUMNS

TWIN_MIN_SUPPORT = 0.01
TWIN_MIN_CONFIDENCE = 0.1
TWIN_RULES = 60  # itemsets of the strongest rules by lift that are planted
MAX_GROUP = 8  # linked products whose every itemset (up to MAX_PLANTED items) is measured
MAX_PLANTED = 6  # a tight family of 5-6 products is planted whole, not as overlapping 4-subsets
PLANTED_MIN_SUPPORT = TWIN_MIN_SUPPORT / 4  # weaker itemsets are left to chance
VISIT_QUANTILES = 201  # 0, 0.5 %, ..., 100 %
MIN_QUANTITY_LINES = 5  # quantity values seen on fewer lines are dropped from the law
OPTIONAL_COLUMNS = {"products": {"subcategory"}}


def _read(raw_dir: Path, table: str, columns: list[str]) -> pd.DataFrame:
    path = raw_dir / TABLE_FILES[table]
    hint = "--like needs a dataset's raw folder: the five CSVs written by generate or an import"
    if not path.is_file():
        raise ConfigError(f"--like {raw_dir}: {TABLE_FILES[table]} not found", hint)
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        raise ConfigError(
            f"--like {raw_dir}: {TABLE_FILES[table]} is not a CSV file", hint
        ) from None
    missing = [c for c in CSV_COLUMNS[table] if c not in header]
    missing = [c for c in missing if c not in OPTIONAL_COLUMNS.get(table, set())]
    if missing:
        raise ConfigError(
            f"--like {raw_dir}: {TABLE_FILES[table]} lacks column {', '.join(missing)}", hint
        )
    wanted = [c for c in columns if c in header]
    frame = pd.read_csv(path, usecols=wanted, keep_default_na=False, dtype={"name": str})
    if frame.empty:
        raise ConfigError(f"--like {raw_dir}: {TABLE_FILES[table]} has no rows", hint)
    return frame


def _round(values: npt.ArrayLike, digits: int = 6) -> list[float]:
    return [float(f"{value:.{digits}g}") for value in np.asarray(values, dtype=np.float64)]


def _calendar(
    transactions: pd.DataFrame, timeframe: pd.DataFrame
) -> tuple[date, int, list[float], list[float]]:
    days = pd.to_datetime(timeframe["date"])
    dates = pd.to_datetime(transactions["date"])
    per_weekday = dates.dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    weekday_days = days.dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    per_month = dates.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    month_days = days.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    weekday = np.where(weekday_days > 0, per_weekday / weekday_days.clip(lower=1), 0.0)
    month = np.where(month_days > 0, per_month / month_days.clip(lower=1), 1.0)
    start, end = days.min().date(), days.max().date()
    return (
        start,
        (end - start).days + 1,
        _round(weekday / weekday.max()),
        _round(month / month.max()),
    )


def _segments(
    customers: pd.DataFrame, transactions: pd.DataFrame, sizes: pd.Series, discounted: pd.Series
) -> list[TwinSegment]:
    visits = transactions["customer_id"].value_counts()
    grid = np.linspace(0.0, 1.0, VISIT_QUANTILES)
    segment_of = customers.set_index("customer_id")["segment"].astype(str)
    by_transaction = transactions.set_index("transaction_id")["customer_id"].map(segment_of)
    segments = []
    for name, members in customers.groupby(customers["segment"].astype(str), sort=True):
        counts = visits.reindex(members["customer_id"], fill_value=0).to_numpy(dtype=np.float64)
        own = by_transaction.index[by_transaction == name]
        size = sizes.reindex(own).dropna().astype(np.int64)
        pmf = np.bincount(size, minlength=2)[1:] / max(1, size.size) if size.size else [1.0]
        segments.append(
            TwinSegment(
                name=str(name),
                share=float(f"{len(members) / len(customers):.6g}"),
                discounted_share=float(f"{discounted.reindex(own).mean():.4g}")
                if size.size
                else 0.0,
                visit_quantiles=_round(np.quantile(counts, grid)),
                basket_size_pmf=_round(pmf) if size.size else [1.0],
            )
        )
    return segments


def _support(members: dict[int, set[int]], itemset: tuple[int, ...]) -> int:
    return len(set.intersection(*(members[item] for item in itemset)))


def _linked_groups(itemsets: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Products joined by the itemsets (connected components), each sorted."""
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        while parent.setdefault(item, item) != item:
            item = parent[item]
        return item

    for items in itemsets:
        for other in items[1:]:
            parent[root(other)] = root(items[0])
    groups: dict[int, list[int]] = {}
    for item in sorted(parent):
        groups.setdefault(root(item), []).append(item)
    return [tuple(group) for group in groups.values()]


def _co_purchase(
    sales: pd.DataFrame, n_transactions: int
) -> tuple[list[tuple[int, ...]], dict[tuple[int, ...], float], dict[tuple[int, ...], float]]:
    """The itemsets of the strongest rules (and their sub-itemsets), their supports and lifts."""
    from clustr_etl.mining import RuleThresholds, baskets_from_pairs, mine_rules

    rules = mine_rules(
        baskets_from_pairs(sales["transaction_id"].to_numpy(), sales["product_id"].to_numpy()),
        RuleThresholds(min_support=TWIN_MIN_SUPPORT, min_confidence=TWIN_MIN_CONFIDENCE),
    )
    best = rules.sort_values("lift", ascending=False, kind="stable").head(TWIN_RULES)
    lifts: dict[tuple[int, ...], float] = {}
    for antecedents, consequents, lift in zip(
        best["antecedents"], best["consequents"], best["lift"], strict=True
    ):
        items = tuple(
            sorted(
                int(i) for i in f"{antecedents}{ITEM_SEPARATOR}{consequents}".split(ITEM_SEPARATOR)
            )
        )
        lifts[items] = max(lifts.get(items, 0.0), float(lift))
    wanted = {item for items in lifts for item in items}
    lines = sales[sales["product_id"].isin(wanted)]
    grouped = lines.groupby("product_id")["transaction_id"].agg(set)
    members = {int(product): group for product, group in zip(grouped.index, grouped, strict=True)}
    support: dict[tuple[int, ...], float] = {}
    for group in _linked_groups(list(lifts)):
        subsets = [  # every itemset of a small group of linked products, else the rules' own
            combo
            for size in range(2, min(len(group), MAX_PLANTED) + 1)
            for combo in itertools.combinations(group, size)
        ]
        if len(group) > MAX_GROUP:
            subsets = [items for items in lifts if set(items) <= set(group)]
            subsets += [
                c
                for items in subsets
                for n in range(2, len(items))
                for c in itertools.combinations(items, n)
            ]
        for items in subsets:
            support[items] = _support(members, items) / n_transactions
    itemsets = [items for items, value in support.items() if value >= PLANTED_MIN_SUPPORT]
    ordered = sorted(set(itemsets), key=lambda items: (-len(items), items))
    return ordered, support, lifts


def _planted_shares(
    itemsets: list[tuple[int, ...]],
    support: dict[tuple[int, ...], float],
    background: Background,
    index_of: dict[int, int],
) -> dict[tuple[int, ...], float]:
    """Share q of baskets planted with each itemset (exactly one per basket), largest first:
    support(S) = sum of q over planted supersets of S + chance co-occurrence."""
    shares: dict[tuple[int, ...], float] = {}
    for items in itemsets:
        above = sum(q for other, q in shares.items() if set(items) < set(other))
        chance = float(background.joint([index_of[item] for item in items]))
        shares[items] = max(0.0, support[items] - above - chance)
    return shares


def fit_twin(raw_dir: Path) -> TwinModel:
    """The twin model of the dataset in ``raw_dir`` (ConfigError if it is not one)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ConfigError(f"--like {raw_dir}: no such folder", "give a dataset's raw/ folder")
    products = _read(raw_dir, "products", [*CSV_COLUMNS["products"]])
    customers = _read(raw_dir, "customers", ["customer_id", "segment"])
    timeframe = _read(raw_dir, "timeframe", ["date"])
    transactions = _read(raw_dir, "transactions", ["transaction_id", "customer_id", "date"])
    sales = _read(raw_dir, "sales", ["transaction_id", "product_id", "quantity", "discount"])
    products = products.sort_values("product_id", kind="stable").reset_index(drop=True)
    index_of = {int(pid): index for index, pid in enumerate(products["product_id"])}
    if not sales["product_id"].isin(index_of).all():
        raise ConfigError(f"--like {raw_dir}: sales.csv names products not in products.csv")
    n_transactions = len(transactions)
    sizes = sales.groupby("transaction_id").size()
    discounted = (sales["discount"].astype(float) > 0).groupby(sales["transaction_id"]).mean()
    segments = _segments(customers, transactions, sizes, discounted)
    start, days, weekday, month = _calendar(transactions, timeframe)
    quantity = sales["quantity"].astype(np.int64).value_counts().sort_index()
    quantity = quantity[quantity >= MIN_QUANTITY_LINES]
    lines = (
        sales["product_id"].map(index_of).value_counts().reindex(range(len(products)), fill_value=0)
    )
    size_pmf: npt.NDArray[np.float64] = np.bincount(sizes.to_numpy(), minlength=2)[1:] / sizes.size
    counts = lines.to_numpy(dtype=np.float64)
    shares_of_lines = np.asarray(counts / counts.sum(), dtype=np.float64)
    background = Background(shares_of_lines, size_pmf)
    itemsets, support, lifts = _co_purchase(sales, n_transactions)
    shares = _planted_shares(itemsets, support, background, index_of)
    weight = lines.to_numpy(dtype=np.float64)
    for items, q in shares.items():
        for item in items:  # planted lines are not drawn again by popularity
            weight[index_of[item]] -= q * n_transactions
    weight = np.maximum(weight, 0.1 * lines.to_numpy(dtype=np.float64))
    weight /= weight.sum()
    prices = products["unit_price"].astype(float).map(lambda v: f"{v:.2f}")
    subcategory = products["subcategory"] if "subcategory" in products else [""] * len(products)
    return TwinModel(
        source={
            "folder": str(raw_dir),
            "transactions": n_transactions,
            "customers": len(customers),
            "products": len(products),
            "sales_lines": len(sales),
        },
        start_date=start,
        days=days,
        weekday_weights=weekday,
        month_weights=month,
        customers_per_transaction=float(f"{len(customers) / n_transactions:.6g}"),
        segments=segments,
        quantity_values=[int(v) for v in quantity.index],
        quantity_probabilities=_round(quantity.to_numpy() / quantity.sum()),
        bundles=[
            TwinBundle(
                product_ids=[index_of[item] + 1 for item in items],
                share=float(f"{q:.6g}"),
                support=float(f"{support[items]:.6g}"),
                lift=float(f"{lifts.get(items, 0.0):.6g}"),
            )
            for items, q in shares.items()
            if q > 0
        ],
        products=[
            TwinProduct(index + 1, str(name), str(category), str(sub), price, float(f"{w:.6g}"))
            for index, (name, category, sub, price, w) in enumerate(
                zip(
                    products["name"], products["category"], subcategory, prices, weight, strict=True
                )
            )
        ],
    )
