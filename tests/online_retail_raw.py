"""UCI Online Retail (../shared/data/online_retail.csv.gz) as a raw folder of the five table CSVs.

A small conversion for the twin test and benchmark (the import command of the import issue does
this properly): cancellations, returns, free lines and lines without a customer are dropped;
stock codes become product ids (name = the most common description, made unique; one category
"Gifts"; price = the median unit price); a customer's segment is "domestic" (United Kingdom) or
"international", city = country; repeated lines of one product in an invoice are summed; no
discounts; the timeframe covers every day from the first to the last invoice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clustr_etl.models import CSV_COLUMNS


def _cents(values: pd.Series) -> pd.Series:
    return (values.astype(float) * 100).round().astype("int64")


def _money(cents: pd.Series) -> pd.Series:
    return (cents // 100).astype(str) + "." + (cents % 100).astype(str).str.zfill(2)


def convert_online_retail(source: Path, raw_dir: Path) -> dict[str, int]:
    """Write the five CSVs of the Online Retail sales to ``raw_dir``; return rows per table."""
    data = pd.read_csv(source, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"})
    keep = (
        ~data["InvoiceNo"].str.startswith("C")
        & (data["Quantity"] > 0)
        & (data["UnitPrice"] > 0)
        & data["CustomerID"].notna()
    )
    data = data[keep].copy()
    data["day"] = data["InvoiceDate"].str.slice(0, 10)
    data["cents"] = _cents(data["UnitPrice"])
    data = data[data["cents"] > 0]
    codes = sorted(data["StockCode"].unique())
    product_of = {code: index + 1 for index, code in enumerate(codes)}
    data["product_id"] = data["StockCode"].map(product_of)
    names = (
        data.groupby("product_id")["Description"]
        .agg(lambda d: d.dropna().mode().iloc[0] if d.notna().any() else "ITEM")
        .str.strip()
        .str.replace(",", " ", regex=False)
    )
    repeated = names.duplicated(keep=False)
    names[repeated] = names[repeated] + " " + pd.Series(codes, index=names.index)[repeated]
    price = data.groupby("product_id")["cents"].median().round().astype("int64")
    products = pd.DataFrame(
        {
            "product_id": names.index,
            "name": names.to_numpy(),
            "category": "Gifts",
            "unit_price": _money(price.reindex(names.index)).to_numpy(),
            "subcategory": "",
        }
    )
    invoices = sorted(data["InvoiceNo"].unique(), key=lambda no: (len(no), no))
    first_day = data.groupby("InvoiceNo")["day"].min()
    order = sorted(invoices, key=lambda no: (first_day[no], len(no), no))
    transaction_of = {no: index + 1 for index, no in enumerate(order)}
    data["transaction_id"] = data["InvoiceNo"].map(transaction_of)
    transactions = (
        data.groupby("transaction_id")
        .agg(customer_id=("CustomerID", "first"), date=("day", "min"))
        .reset_index()
    )
    customers_seen = data.groupby("CustomerID").agg(
        country=("Country", "first"), first=("day", "min")
    )
    customers = pd.DataFrame(
        {
            "customer_id": customers_seen.index.astype(int),
            "first_name": "Customer",
            "last_name": customers_seen.index.astype(str),
            "email": [f"customer{i}@example.com" for i in customers_seen.index],
            "city": customers_seen["country"].str.replace(",", " ", regex=False).to_numpy(),
            "signup_date": customers_seen["first"].to_numpy(),
            "segment": np.where(
                customers_seen["country"] == "United Kingdom", "domestic", "international"
            ),
        }
    )
    lines = (
        data.groupby(["transaction_id", "product_id"], sort=True)
        .agg(quantity=("Quantity", "sum"), cents=("cents", "first"))
        .reset_index()
    )
    sales = pd.DataFrame(
        {
            "sale_id": np.arange(1, len(lines) + 1),
            "transaction_id": lines["transaction_id"],
            "product_id": lines["product_id"],
            "quantity": lines["quantity"],
            "unit_price": _money(lines["cents"]),
            "discount": "0.000",
            "line_total": _money(lines["quantity"] * lines["cents"]),
        }
    )
    days = pd.date_range(transactions["date"].min(), transactions["date"].max(), freq="D")
    iso = days.isocalendar()
    timeframe = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "year": days.year,
            "quarter": days.quarter,
            "month": days.month,
            "day": days.day,
            "day_of_week": iso["day"].to_numpy(),
            "week_of_year": iso["week"].to_numpy(),
            "is_weekend": np.where(iso["day"].to_numpy() >= 6, "true", "false"),
            "is_holiday": "false",
        }
    )
    raw_dir.mkdir(parents=True, exist_ok=True)
    tables = {
        "products": products,
        "customers": customers,
        "timeframe": timeframe,
        "transactions": transactions,
        "sales": sales,
    }
    for name, frame in tables.items():
        frame[list(CSV_COLUMNS[name])].to_csv(raw_dir / f"{name}.csv", index=False)
    return {name: len(frame) for name, frame in tables.items()}
