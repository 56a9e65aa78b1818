"""The reconciliation written to import_report.json: what was read, kept and dropped (with totals that
add up), and how every value the source lacks was filled."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from clustr_etl.importing.cleaning import Cleaned, Totals
from clustr_etl.importing.keys import GUEST_PREFIX, Tables
from clustr_etl.importing.presets import Preset

if TYPE_CHECKING:
    from clustr_etl.importing.importer import ImportOptions

# What the customers table holds where the source has no value (the schema requires one).
DERIVED_CUSTOMER_FIELDS = {
    "first_name": "'Customer' for a retailer's customer, 'Guest' for an invoice without customer",
    "last_name": "the retailer's customer key (or the guest invoice's number)",
    "email": "<kind>-<customer_id>@import.invalid (reserved .invalid domain: not an address)",
    "city": "the customer's most frequent city, else country, else 'Unknown'",
    "signup_date": "the date of the customer's first imported transaction",
    "segment": "'registered' (has a customer key) or 'guest'",
}
GUEST_ATTRIBUTION = (
    "each invoice without a customer key becomes one guest customer of its own "
    f"(external_id '{GUEST_PREFIX}<invoice>'): its lines stay one basket, and no shopper is merged "
    "with another"
)


def _sum_totals(values: list[Totals]) -> Totals:
    return Totals(
        rows=sum(t.rows for t in values),
        quantity=sum(t.quantity for t in values),
        revenue_cents=sum(t.revenue_cents for t in values),
    )


def import_report(
    *,
    options: ImportOptions,
    preset: Preset,
    encoding: str | None,
    cleaned: Cleaned,
    tables: Tables,
    timeframe: pa.Table,
    calendar: dict[str, Any],
    notes: dict[str, Any],
    reasons: dict[str, str],
) -> dict[str, Any]:
    products = tables.products
    non_merchandise = products.loc[~products["is_merchandise"], "sku"].tolist()
    holidays = int(pa.compute.sum(timeframe.column("is_holiday")).as_py() or 0)
    dates = timeframe.column("date")
    return {
        "preset": preset.name,
        "sources": [str(path) for path in options.sources],
        "encoding": encoding,
        "filters": {
            "countries": list(options.countries),
            "since": options.since.isoformat() if options.since else None,
            "until": options.until.isoformat() if options.until else None,
        },
        "source_rows": cleaned.source.rows,
        "loaded_rows": cleaned.loaded.rows,
        "dropped": {reason: totals.rows for reason, totals in cleaned.dropped.items()},
        "totals": {
            "source": cleaned.source.as_json(),
            "loaded": cleaned.loaded.as_json(),
            "dropped": _sum_totals(list(cleaned.dropped.values())).as_json(),
            "dropped_by_reason": {
                reason: totals.as_json() for reason, totals in cleaned.dropped.items()
            },
        },
        "reasons": reasons,
        "tables": {
            "products": len(products),
            "customers": len(tables.customers),
            "timeframe": timeframe.num_rows,
            "transactions": len(tables.transactions),
            "sales": len(tables.sales),
        },
        "keys": {
            "non_merchandise_products": non_merchandise,
            "registered_customers": len(tables.customers) - tables.guest_customers,
            "guest_customers": tables.guest_customers,
            "guest_attribution": GUEST_ATTRIBUTION,
            **notes,
        },
        "calendar": {
            **calendar,
            "first_day": str(dates[0].as_py()),
            "last_day": str(dates[-1].as_py()),
            "days": timeframe.num_rows,
            "holidays": holidays,
        },
        "derived_customer_fields": DERIVED_CUSTOMER_FIELDS,
        "prices": "unit_price is the line's price rounded to cents; line_total is quantity x the "
        "source price, rounded to cents; discount is 0 (the source has no discounts); "
        "products.unit_price is the product's most frequent line price",
    }


def realism_stats(tables: Tables, timeframe: pa.Table) -> dict[str, Any]:
    """The generator's realism statistics (README) measured on the imported data."""
    from clustr_etl.dataset.statistics import dataset_stats

    sales = tables.sales.assign(line_total=tables.sales["total_cents"] / 100.0, discount=0.0).drop(
        columns=["unit_cents", "total_cents"]
    )
    products = tables.products.assign(unit_price=tables.products["unit_cents"] / 100.0)
    data = {
        "sales": sales,
        "transactions": tables.transactions,
        "products": products,
        "customers": tables.customers,
        "timeframe": pd.DataFrame({"date": pd.to_datetime(timeframe.column("date").to_pandas())}),
    }
    with np.errstate(invalid="ignore", divide="ignore"):  # e.g. no November in the data
        stats = dataset_stats(data)
    # A ratio without a denominator (no November-December days...) is null, not NaN.
    return {key: round(v, 4) if math.isfinite(v) else None for key, v in stats.items()}
