"""The five tables from the kept lines: deterministic integer ids next to the retailer's own keys.

Ids are assigned in the sorted order of the natural keys (numbers numerically, then text), so the same
file imported with the same options always gets the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.importing import presets as p
from clustr_etl.importing.codes import (
    SortKeys,
    factorize,
    from_codes,
    most_frequent,
    ordered_ids,
)

NAME_LIMIT = 200  # products.name
GUEST_PREFIX = "guest:"
NON_MERCHANDISE_CATEGORY = "Non-merchandise"
UNCATEGORISED = "Uncategorised"
UNKNOWN_PLACE = "Unknown"


def natural_order(keys: SortKeys) -> list[SortKeys]:
    """Sort columns (first one first) putting numbers numerically before text: 9 < 10 < 85123A < C2.

    A number compares as its digits without leading zeros, by length then text; ties (7, 007)
    and text keys by the key itself.
    """
    points = keys.view(np.uint32).reshape(len(keys), -1)  # code points, 0 after a key's end
    decimal = ((points >= ord("0")) & (points <= ord("9"))) | (points == 0)
    number = decimal.all(axis=1) & (points[:, 0] != 0)
    digits = np.where(number, np.char.lstrip(keys, "0"), "")
    return [~number, np.char.str_len(digits), digits, keys]


def customer_order(keys: SortKeys) -> list[SortKeys]:
    """The retailer's customers first (natural order), then the guests."""
    return [np.char.startswith(keys, GUEST_PREFIX), *natural_order(keys)]


@dataclass
class Tables:
    products: pd.DataFrame
    customers: pd.DataFrame
    transactions: pd.DataFrame
    sales: pd.DataFrame
    guest_customers: int


def with_key(name: str, sku: str) -> str:
    """``NAME [SKU]`` within the name limit: a product name made unique by its key."""
    return f"{name[: NAME_LIMIT - len(sku) - 3]} [{sku}]"


def _unique_names(names: pd.Series, skus: pd.Series) -> pd.Series:
    """Names shared by several products get their key appended: ``NAME [SKU]`` (within the limit)."""
    shared = names.duplicated(keep=False)
    suffixed = [with_key(name, sku) for name, sku in zip(names[shared], skus[shared], strict=True)]
    names = names.str.slice(0, NAME_LIMIT)
    names[shared] = suffixed
    return names


def build_products(
    lines: pd.DataFrame, skus_in_order: list[str], is_non_merchandise: Callable[[str], bool]
) -> pd.DataFrame:
    skus = pd.Series(skus_in_order, dtype=object)
    names = most_frequent(lines[p.PRODUCT], lines[p.PRODUCT_NAME]).reindex(skus)
    names = names.where(names.notna(), skus.to_numpy()).astype(str).reset_index(drop=True)
    price = most_frequent(lines[p.PRODUCT], lines["unit_cents"]).reindex(skus).to_numpy()
    merchandise = np.array([not is_non_merchandise(sku) for sku in skus], dtype=bool)
    category: npt.NDArray[np.object_]
    if p.CATEGORY in lines:
        found = most_frequent(lines[p.PRODUCT], lines[p.CATEGORY]).reindex(skus)
        category = found.fillna(UNCATEGORISED).to_numpy(dtype=object)
    else:
        category = np.full(len(skus), UNCATEGORISED, dtype=object)
    category = np.where(merchandise, category, NON_MERCHANDISE_CATEGORY)
    return pd.DataFrame(
        {
            "product_id": np.arange(1, len(skus) + 1, dtype=np.int32),
            "name": _unique_names(names, skus),
            "category": category,
            "unit_cents": price.astype(np.int64),
            "sku": skus,
            "is_merchandise": merchandise,
        }
    )


def _customer_keys(lines: pd.DataFrame) -> pd.Series:
    """The customer of each line; lines without one belong to the guest of their invoice."""
    customer, customers = factorize(lines[p.CUSTOMER])
    invoice, invoices = factorize(lines[p.INVOICE])
    labels = np.concatenate(
        [np.asarray(customers, dtype=object), GUEST_PREFIX + np.asarray(invoices, dtype=object)]
    )
    codes = np.where(customer >= 0, customer, len(customers) + invoice)
    return from_codes(codes, pd.Series(labels, dtype=object), lines.index)


def build_tables(lines: pd.DataFrame, is_non_merchandise: Callable[[str], bool]) -> Tables:
    """Products, customers, transactions and sales (without the calendar) from the kept lines."""
    lines = lines.assign(unit_cents=np.rint(lines[p.UNIT_PRICE].to_numpy() * 100).astype(np.int64))
    line_pid, skus = ordered_ids(lines[p.PRODUCT], natural_order)
    products = build_products(lines, skus, is_non_merchandise)
    customer_key = _customer_keys(lines)
    line_cid, customer_keys = ordered_ids(customer_key, customer_order)
    line_tid, invoices = ordered_ids(lines[p.INVOICE], natural_order)
    first = np.flatnonzero(~pd.Series(line_tid).duplicated().to_numpy())  # first line of each
    first = first[np.argsort(line_tid[first])]
    transactions = pd.DataFrame(
        {
            "transaction_id": line_tid[first],
            "customer_id": line_cid[first],
            "date": lines[p.TIMESTAMP].to_numpy()[first].astype("datetime64[D]"),
            "invoice_no": invoices,
        }
    )
    sales = pd.DataFrame(
        {
            "sale_id": np.arange(1, len(lines) + 1, dtype=np.int64),
            "transaction_id": line_tid,
            "product_id": line_pid,
            "quantity": lines[p.QUANTITY].to_numpy(np.int64),
            "unit_cents": lines["unit_cents"].to_numpy(),
            "total_cents": lines["cents"].to_numpy(),
        }
    )
    customers = build_customers(lines, customer_key, customer_keys, transactions)
    guests = sum(key.startswith(GUEST_PREFIX) for key in customer_keys)
    return Tables(products, customers, transactions, sales, guest_customers=guests)


def build_customers(
    lines: pd.DataFrame,
    customer_key: pd.Series,
    customers_in_order: list[str],
    transactions: pd.DataFrame,
) -> pd.DataFrame:
    """Customers with the placeholders the schema requires (see README, "Real data")."""
    keys = pd.Series(customers_in_order, dtype=object)
    ids = np.arange(1, len(keys) + 1, dtype=np.int32)
    place_column = p.CITY if p.CITY in lines else (p.COUNTRY if p.COUNTRY in lines else None)
    place: npt.NDArray[np.object_]
    if place_column is not None:
        found = most_frequent(customer_key, lines[place_column]).reindex(keys)
        place = found.fillna(UNKNOWN_PLACE).to_numpy(dtype=object)
    else:
        place = np.full(len(keys), UNKNOWN_PLACE, dtype=object)
    first_day = transactions.groupby("customer_id")["date"].min().reindex(ids).to_numpy()
    guest = keys.str.startswith(GUEST_PREFIX).to_numpy()
    kind = np.where(guest, "guest", "customer")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": np.where(guest, "Guest", "Customer"),
            "last_name": keys.str.removeprefix(GUEST_PREFIX).to_numpy(),
            "email": [f"{k}-{n}@import.invalid" for k, n in zip(kind, ids.tolist(), strict=True)],
            "city": place,
            "signup_date": first_day,
            "segment": np.where(guest, "guest", "registered"),
            "external_id": keys.to_numpy(),
        }
    )
