"""Presets: the column names, encodings, sheets and quirks of the supported export layouts.

Every reader turns its source into one *lines* frame with the canonical columns below; cleaning,
keys and the writer only ever see canonical names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Canonical columns of the lines frame (what a mapping names with these keys).
INVOICE = "invoice"
PRODUCT = "product"
PRODUCT_NAME = "product_name"
QUANTITY = "quantity"
TIMESTAMP = "timestamp"
UNIT_PRICE = "unit_price"
CUSTOMER = "customer"
CATEGORY = "category"
COUNTRY = "country"
CITY = "city"

REQUIRED = (INVOICE, PRODUCT, PRODUCT_NAME, QUANTITY, TIMESTAMP, UNIT_PRICE, CUSTOMER)
OPTIONAL = (CATEGORY, COUNTRY, CITY)

# UCI Online Retail's non-merchandise stock codes (postage, fees, discounts, manual lines, samples,
# bad-debt adjustments, charity commission, cushion pads sold to match, gift vouchers).
ONLINE_RETAIL_NON_MERCHANDISE = frozenset(
    {"POST", "DOT", "C2", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS"}
)
ONLINE_RETAIL_NON_MERCHANDISE_PATTERN = re.compile(r"^GIFT_\d+", re.IGNORECASE)


@dataclass(frozen=True)
class Preset:
    """How to read one layout: source column of each canonical column, and its quirks."""

    name: str
    description: str
    columns: dict[str, str]  # canonical -> source column name
    encodings: tuple[str, ...] = ("utf-8", "cp1252")  # tried in order unless --encoding
    sheets: tuple[str, ...] = ()  # xlsx: sheets to read (all of them); empty = the first sheet
    credit_note_prefix: str | None = None  # invoices starting with it are credit notes
    non_merchandise: frozenset[str] = field(default_factory=frozenset)
    non_merchandise_pattern: re.Pattern[str] | None = None

    def is_non_merchandise(self, sku: str) -> bool:
        if sku.upper() in self.non_merchandise:
            return True
        pattern = self.non_merchandise_pattern
        return pattern is not None and pattern.match(sku) is not None


ONLINE_RETAIL = Preset(
    name="online-retail",
    description="UCI Online Retail (CSV, gzip CSV or the original .xlsx)",
    columns={
        INVOICE: "InvoiceNo",
        PRODUCT: "StockCode",
        PRODUCT_NAME: "Description",
        QUANTITY: "Quantity",
        TIMESTAMP: "InvoiceDate",
        UNIT_PRICE: "UnitPrice",
        CUSTOMER: "CustomerID",
        COUNTRY: "Country",
    },
    sheets=("Online Retail",),
    credit_note_prefix="C",
    non_merchandise=ONLINE_RETAIL_NON_MERCHANDISE,
    non_merchandise_pattern=ONLINE_RETAIL_NON_MERCHANDISE_PATTERN,
)

ONLINE_RETAIL_II = Preset(
    name="online-retail-ii",
    description="UCI Online Retail II (.xlsx with two sheets, or CSV)",
    columns={
        INVOICE: "Invoice",
        PRODUCT: "StockCode",
        PRODUCT_NAME: "Description",
        QUANTITY: "Quantity",
        TIMESTAMP: "InvoiceDate",
        UNIT_PRICE: "Price",
        CUSTOMER: "Customer ID",
        COUNTRY: "Country",
    },
    sheets=("Year 2009-2010", "Year 2010-2011"),
    credit_note_prefix="C",
    non_merchandise=ONLINE_RETAIL_NON_MERCHANDISE | {"ADJUST", "ADJUST2", "TEST001", "TEST002"},
    non_merchandise_pattern=ONLINE_RETAIL_NON_MERCHANDISE_PATTERN,
)

INSTACART = Preset(
    name="instacart",
    description="Instacart Market Basket folder (orders.csv, order_products__*.csv, products.csv, ...)",
    columns={},
    encodings=("utf-8",),
)

LINES = Preset(
    name="lines",
    description="any invoice-line file (CSV, gzip CSV, Parquet, xlsx) with a TOML --mapping",
    columns={},
)

PRESETS: dict[str, Preset] = {
    preset.name: preset for preset in (ONLINE_RETAIL, ONLINE_RETAIL_II, INSTACART, LINES)
}
