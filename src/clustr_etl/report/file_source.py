"""Report facts from files instead of the database: the raw CSV folder and a rules CSV.

The CSVs are read column by column and aggregated at once with pandas, into the same small
:class:`DatasetFacts` the database queries give."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.dataset.rule_columns import REPORTED_COLUMNS
from clustr_etl.errors import InputFileError
from clustr_etl.report.facts import (
    HIGH_LIFT,
    TINY_COUNT,
    DatasetFacts,
    PlantedBundle,
    RuleFacts,
)
from clustr_etl.report.planted import candidate_keys


def _read(folder: Path, table: str, columns: list[str]) -> pd.DataFrame:
    path = folder / TABLE_FILES[table]
    try:
        return pd.read_csv(path, usecols=columns, keep_default_na=False, engine="pyarrow")
    except FileNotFoundError:
        raise InputFileError(
            f"no {TABLE_FILES[table]} in {folder}",
            "pass the raw CSV folder (e.g. data/raw) or run `clustr-etl generate`",
        ) from None
    except (OSError, ValueError) as err:
        raise InputFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None


def read_dataset_files(folder: Path) -> DatasetFacts:
    products = _read(folder, "products", ["product_id", "name", "category", "unit_price"])
    customers = _read(folder, "customers", ["customer_id", "segment"])
    timeframe = _read(folder, "timeframe", ["date", "is_holiday"])
    transactions = _read(folder, "transactions", ["transaction_id", "customer_id", "date"])
    sales = _read(
        folder, "sales", ["transaction_id", "product_id", "quantity", "discount", "line_total"]
    )
    if sales.empty:
        raise InputFileError(f"{folder / TABLE_FILES['sales']} has no rows", "nothing to report")
    per_basket = sales.groupby("transaction_id").size()
    sizes = per_basket.value_counts().sort_index().rename_axis("size").reset_index(name="baskets")
    lines = sales.groupby("product_id").size().rename("lines")
    products = products.merge(lines, on="product_id", how="left")
    products["lines"] = products["lines"].fillna(0).astype("int64")
    products["unit_price"] = products["unit_price"].astype(float)
    transactions["date"] = pd.to_datetime(transactions["date"]).dt.date
    days = transactions.groupby("date").size().rename("transactions").reset_index()
    spend = (
        sales.assign(revenue=sales["line_total"].astype(float))
        .merge(transactions[["transaction_id", "customer_id"]], on="transaction_id")
        .groupby("customer_id")
        .agg(lines=("revenue", "size"), revenue=("revenue", "sum"))
    )
    visits = transactions.groupby("customer_id").size().rename("transactions")
    customers = customers.merge(visits, on="customer_id", how="left").merge(
        spend, on="customer_id", how="left"
    )
    for name in ("transactions", "lines"):
        customers[name] = customers[name].fillna(0).astype("int64")
    customers["revenue"] = customers["revenue"].fillna(0.0)
    holiday = timeframe["is_holiday"].astype(str).str.lower().isin(["true", "1", "t"])
    rows = {
        "products": len(products),
        "customers": len(customers),
        "timeframe": len(timeframe),
        "transactions": len(transactions),
        "sales": len(sales),
    }
    return DatasetFacts(
        table_rows=rows,
        basket_sizes=sizes,
        products=products,
        days=days,
        customers=customers,
        calendar_days=len(timeframe),
        holidays=int(holiday.sum()),
        lines=len(sales),
        quantity_one_lines=int((sales["quantity"] == 1).sum()),
        discounted_lines=int((sales["discount"].astype(float) > 0).sum()),
        revenue=float(sales["line_total"].astype(float).sum()),
    )


def read_rules_file(path: Path, cap: int, planted: list[PlantedBundle]) -> RuleFacts:
    """Rules from a rules CSV (as `mine-rules` writes it); none when the file does not exist."""
    if not path.is_file():
        return RuleFacts()
    try:
        rules = pd.read_csv(path, dtype={"antecedents": str, "consequents": str})
    except (OSError, ValueError) as err:
        raise InputFileError(f"cannot read rules file {path}: {str(err).splitlines()[0]}") from None
    missing = [
        name
        for name in ("antecedents", "consequents", "support", "confidence", "lift")
        if name not in rules
    ]
    if missing:
        raise InputFileError(
            f"{path} has no column {', '.join(missing)}",
            "pass a rules CSV written by `clustr-etl mine-rules`",
        )
    if "scope" in rules:
        rules = rules[rules["scope"] == "all"]
    for name in REPORTED_COLUMNS:
        if name not in rules:
            rules[name] = (
                rules["antecedents" if name.startswith("antecedent") else "consequents"]
                if name.endswith("names")
                else None
            )
    counts = rules["rule_count"].dropna()
    antecedents, consequents = candidate_keys(planted)
    matching = rules["antecedents"].isin(antecedents) & rules["consequents"].isin(consequents)
    tiny = (rules["lift"] >= HIGH_LIFT) & (rules["rule_count"].fillna(TINY_COUNT) < TINY_COUNT)
    return RuleFacts(
        total=len(rules),
        top=rules.sort_values("lift", ascending=False, kind="stable").head(cap)[
            list(REPORTED_COLUMNS)
        ],
        tiny_count_high_lift=int(tiny.sum()),
        min_rule_count=int(counts.min()) if len(counts) else None,
        n_transactions=int(rules["n_transactions"].max())
        if "n_transactions" in rules and len(rules)
        else None,
        matches=rules.loc[matching, list(REPORTED_COLUMNS)],
    )
