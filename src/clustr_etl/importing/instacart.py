"""The Instacart Market Basket folder as canonical lines.

The source has no dates, prices or quantities, so (also written to import_report.json):

* dates: a user's orders are placed on a timeline that ends on ``ANCHOR`` (2017-12-31) with their
  last order: order ``n`` is dated ``ANCHOR - (sum of days_since_prior_order of the orders after
  n)``. The first order's empty ``days_since_prior_order`` is not needed; values are as given
  (Instacart caps them at 30). Dates are derived, not observed; ``order_dow`` and
  ``order_hour_of_day`` are not used.
* quantity: 1 per line (one line per product in an order);
* unit price: 1.00, a placeholder, so line_total counts items; products.unit_price is 1.00 too.
* customer: the ``user_id``; invoice: the ``order_id``; category: the product's department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clustr_etl.errors import InputFileError
from clustr_etl.importing import presets as p

ANCHOR = dt.date(2017, 12, 31)
LINE_FILES = ("order_products__prior.csv", "order_products__train.csv")
REQUIRED_FILES = ("orders.csv", "products.csv", "aisles.csv", "departments.csv")
COLUMNS = {
    "orders.csv": ["order_id", "user_id", "order_number", "days_since_prior_order"],
    "products.csv": ["product_id", "product_name", "department_id"],
    "departments.csv": ["department_id", "department"],
    "aisles.csv": ["aisle_id", "aisle"],
    "order_products": ["order_id", "product_id"],
}
NOTES = {
    "dates": "derived: each user's last order is dated 2017-12-31 and earlier orders go back by "
    "days_since_prior_order (capped at 30 by Instacart); order_dow/order_hour_of_day unused",
    "prices": "not in the source: unit_price is a 1.00 placeholder, so line_total counts items",
    "quantity": "not in the source: 1 per line (one line per product in an order)",
}


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise InputFileError(f"cannot read {path}: {err}") from None
    missing = [name for name in columns if name not in header]
    if missing:
        raise InputFileError(
            f"{path.name} has no column {', '.join(missing)} (found: {', '.join(header)})",
            f"the instacart preset expects {', '.join(columns)}",
        )
    return pd.read_csv(path, usecols=columns)


def order_dates(orders: pd.DataFrame) -> pd.Series:
    """Each order's derived date (see the module docstring), indexed like ``orders``."""
    ordered = orders.sort_values(["user_id", "order_number"])
    gap = ordered["days_since_prior_order"].fillna(0).astype(np.int64)
    # days from each order to the user's last one: the gaps of the later orders
    after = (
        gap.groupby(ordered["user_id"]).transform("sum") - gap.groupby(ordered["user_id"]).cumsum()
    )
    days = pd.to_timedelta(after.reindex(orders.index), unit="D")
    return pd.Timestamp(ANCHOR) - days


def read_instacart(sources: Sequence[Path]) -> tuple[pd.DataFrame, dict[str, Any]]:
    if len(sources) != 1 or not sources[0].is_dir():
        raise InputFileError(
            "the instacart preset reads one folder", "pass the folder holding orders.csv etc."
        )
    folder = sources[0]
    line_files = [folder / name for name in LINE_FILES if (folder / name).is_file()]
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if not line_files:
        missing.append(" or ".join(LINE_FILES))
    if missing:
        raise InputFileError(
            f"{folder} has no {', '.join(missing)}",
            f"the instacart folder needs {', '.join(REQUIRED_FILES)} and {' / '.join(LINE_FILES)}",
        )
    orders = _read(folder / "orders.csv", COLUMNS["orders.csv"])
    products = _read(folder / "products.csv", COLUMNS["products.csv"])
    departments = _read(folder / "departments.csv", COLUMNS["departments.csv"])
    _read(folder / "aisles.csv", COLUMNS["aisles.csv"])
    lines = pd.concat(
        [_read(path, COLUMNS["order_products"]) for path in line_files], ignore_index=True
    )
    orders["date"] = order_dates(orders)
    products = products.merge(departments, on="department_id", how="left")
    lines = lines.merge(orders, on="order_id", how="left").merge(
        products, on="product_id", how="left"
    )
    unknown = lines["user_id"].isna()
    if unknown.any():
        order = lines.loc[unknown, "order_id"].iloc[0]
        raise InputFileError(f"order {order} of the order_products files is not in orders.csv")
    canonical = pd.DataFrame(
        {
            p.INVOICE: lines["order_id"].astype(str).astype("string"),
            p.PRODUCT: lines["product_id"].astype(str).astype("string"),
            p.PRODUCT_NAME: lines["product_name"].astype("string").str.strip(),
            p.QUANTITY: np.ones(len(lines), dtype=np.int64),
            p.TIMESTAMP: lines["date"].to_numpy(dtype="datetime64[ns]"),
            p.UNIT_PRICE: np.ones(len(lines), dtype=np.float64),
            p.CUSTOMER: lines["user_id"].astype(np.int64).astype(str).astype("string"),
            p.CATEGORY: lines["department"].astype("string"),
        }
    )
    return canonical, {"instacart": NOTES, "source_files": [path.name for path in line_files]}
