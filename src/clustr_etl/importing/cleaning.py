"""Cleaning that loses nothing silently: every source line is kept or counted under one named reason.

Reasons are tested in the order of ``REASONS``; a line is counted under the first that applies, so
``source_rows == loaded_rows + sum(dropped)`` always holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.errors import InputFileError
from clustr_etl.importing import presets as p
from clustr_etl.importing.codes import factorize, label_mask, line_counts, relabel

REASONS: dict[str, str] = {
    "outside_country": "the line's country is not one of --country",
    "before_since": "the line is dated before --since",
    "after_until": "the line is dated after --until",
    "invoice_already_imported": "import --append: the invoice was imported before (overlapping exports)",
    "duplicate_line": "an exact copy of an earlier line (every column equal)",
    "missing_invoice": "no invoice number",
    "missing_product": "no product key",
    "credit_note": "a credit note (cancellation): the invoice number starts with the preset's prefix",
    "non_positive_quantity": "quantity zero or negative (a return or correction outside a credit note)",
    "non_positive_price": "unit price zero or negative (free samples, bad-debt adjustments)",
    "price_below_one_cent": "unit price that rounds to 0.00 in the schema (e.g. 0.001)",
}


@dataclass(frozen=True)
class Filters:
    countries: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    known_invoices: frozenset[str] = frozenset()  # import --append: invoices imported before


@dataclass
class Totals:
    rows: int = 0
    quantity: int = 0
    revenue_cents: int = 0

    def as_json(self) -> dict[str, object]:
        return {"rows": self.rows, "quantity": self.quantity, "revenue": self.revenue_cents / 100}


@dataclass
class Cleaned:
    """The kept lines (source order) and what happened to the others."""

    lines: pd.DataFrame
    source: Totals
    loaded: Totals
    dropped: dict[str, Totals] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)


def line_cents(lines: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Each line's revenue (quantity x unit price) in whole cents."""
    revenue = lines[p.QUANTITY].to_numpy(np.float64) * lines[p.UNIT_PRICE].to_numpy(np.float64)
    cents: npt.NDArray[np.int64] = np.rint(revenue * 100.0).astype(np.int64)
    return cents


def _totals(lines: pd.DataFrame, cents: np.ndarray, mask: np.ndarray) -> Totals:
    return Totals(
        rows=int(mask.sum()),
        quantity=int(lines[p.QUANTITY].to_numpy()[mask].sum()),
        revenue_cents=int(cents[mask].sum()),
    )


def _reason_masks(
    lines: pd.DataFrame, filters: Filters, credit_prefix: str | None
) -> dict[str, np.ndarray]:
    day = lines[p.TIMESTAMP].dt.normalize()
    masks: dict[str, np.ndarray] = {}
    if filters.countries:
        if p.COUNTRY not in lines:
            raise InputFileError("--country needs a country column", "map one in --mapping")
        wanted = {name.casefold() for name in filters.countries}
        masks["outside_country"] = ~label_mask(
            lines[p.COUNTRY], lambda countries: countries.str.casefold().isin(wanted)
        )
    if filters.since is not None:
        masks["before_since"] = (day < pd.Timestamp(filters.since)).to_numpy()
    if filters.until is not None:
        masks["after_until"] = (day > pd.Timestamp(filters.until)).to_numpy()
    if filters.known_invoices:
        masks["invoice_already_imported"] = label_mask(
            lines[p.INVOICE], lambda invoices: invoices.isin(filters.known_invoices)
        )
    masks["duplicate_line"] = exact_duplicates(lines)
    masks["missing_invoice"] = lines[p.INVOICE].isna().to_numpy()
    masks["missing_product"] = lines[p.PRODUCT].isna().to_numpy()
    if credit_prefix:
        masks["credit_note"] = label_mask(
            lines[p.INVOICE], lambda invoices: invoices.str.upper().str.startswith(credit_prefix)
        )
    masks["non_positive_quantity"] = (lines[p.QUANTITY] <= 0).to_numpy()
    price = lines[p.UNIT_PRICE].to_numpy()
    masks["non_positive_price"] = price <= 0
    masks["price_below_one_cent"] = (price > 0) & (np.rint(price * 100.0) < 1)
    return masks


def exact_duplicates(lines: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Lines equal in every column to an earlier line.

    Only lines sharing their (invoice, product) pair with another line can be copies; those few
    are compared on every column.
    """
    invoice, _ = factorize(lines[p.INVOICE])
    product, products = factorize(lines[p.PRODUCT])
    pair = (invoice + 1) * (len(products) + 1) + (product + 1)
    candidates = np.flatnonzero(pd.Series(pair).duplicated(keep=False).to_numpy())
    found = np.zeros(len(lines), dtype=np.bool_)
    if candidates.size:
        found[candidates] = lines.iloc[candidates].duplicated(keep="first").to_numpy()
    return found


def clean(lines: pd.DataFrame, filters: Filters, credit_prefix: str | None) -> Cleaned:
    """Split the lines into kept and dropped (per reason), with quantity and revenue totals."""
    cents = line_cents(lines)
    everything = np.ones(len(lines), dtype=bool)
    remaining = everything.copy()
    dropped: dict[str, Totals] = {}
    for reason, mask in _reason_masks(lines, filters, credit_prefix).items():
        hit = remaining & mask
        if hit.any():
            dropped[reason] = _totals(lines, cents, hit)
            remaining &= ~hit
    if not remaining.any():
        raise InputFileError(
            "no lines left to import: "
            + ", ".join(f"{reason} removed {totals.rows:,}" for reason, totals in dropped.items()),
            _empty_hint(filters, dropped),
        )
    kept = lines[remaining].reset_index(drop=True)
    kept["cents"] = cents[remaining]
    return Cleaned(
        lines=kept,
        source=_totals(lines, cents, everything),
        loaded=_totals(lines, cents, remaining),
        dropped=dropped,
    )


def _empty_hint(filters: Filters, dropped: dict[str, Totals]) -> str:
    options = {"outside_country": "--country", "before_since": "--since", "after_until": "--until"}
    given = [options[reason] for reason in dropped if reason in options]
    if given:
        return f"check {' and '.join(given)}"
    return "check the file and --preset"


def merge_case_variants(skus: pd.Series) -> tuple[pd.Series, int]:
    """Product keys that differ only in case become the most frequent spelling (ties: sorted first).

    Returns the merged keys (a categorical) and how many keys in use were merged into another
    spelling.
    """
    counts, labels = line_counts(skus)
    spelling = pd.DataFrame({"sku": np.asarray(labels, dtype=object).astype(str), "lines": counts})
    spelling["folded"] = spelling["sku"].str.upper()
    best = spelling.sort_values(["folded", "lines", "sku"], ascending=[True, False, True])
    canonical = spelling["folded"].map(best.drop_duplicates("folded").set_index("folded")["sku"])
    merged = int(((canonical != spelling["sku"]) & (spelling["lines"] > 0)).sum())
    if not merged:
        return skus, 0
    return relabel(skus, lambda _: canonical), merged
