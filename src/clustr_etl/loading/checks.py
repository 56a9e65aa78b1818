"""Row rules of the data tables, mirroring the CHECK constraints of ``clustr_etl.store.models``.

The database enforces the constraints too; these give the user a line number before anything is changed.
``tests/test_loading_validation.py`` asserts that every CHECK constraint of the models has a rule here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Values = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RowRule:
    constraint: str  # the CheckConstraint name in models.py
    column: str
    ok: Callable[[Values], Mask]
    requirement: str  # completes "must be ..."


def _positive(values: Values) -> Mask:
    return values > 0


def _non_negative(values: Values) -> Mask:
    return values >= 0


def _fraction(values: Values) -> Mask:
    return (values >= 0) & (values < 1)


def _between(low: int, high: int) -> Callable[[Values], Mask]:
    def ok(values: Values) -> Mask:
        return (values >= low) & (values <= high)

    return ok


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "products": (RowRule("unit_price_positive", "unit_price", _positive, "> 0"),),
    "customers": (),
    "timeframe": (
        RowRule("quarter_range", "quarter", _between(1, 4), "between 1 and 4"),
        RowRule("month_range", "month", _between(1, 12), "between 1 and 12"),
        RowRule("day_range", "day", _between(1, 31), "between 1 and 31"),
        RowRule("day_of_week_iso", "day_of_week", _between(1, 7), "between 1 and 7 (ISO weekday)"),
        RowRule("week_of_year_range", "week_of_year", _between(1, 53), "between 1 and 53"),
    ),
    "transactions": (),
    "sales": (
        RowRule("quantity_positive", "quantity", _positive, "> 0"),
        RowRule("unit_price_positive", "unit_price", _positive, "> 0"),
        RowRule("discount_range", "discount", _fraction, ">= 0 and < 1"),
        RowRule("line_total_nonnegative", "line_total", _non_negative, ">= 0"),
    ),
}
