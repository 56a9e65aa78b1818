"""The timeframe table, a fixed holiday set, and how busy each day is.

Holidays: the eleven US federal holidays on their actual (not observed) dates, computed for any
year: New Year's Day (Jan 1), Martin Luther King Jr. Day (3rd Monday of January), Washington's
Birthday (3rd Monday of February), Memorial Day (last Monday of May), Juneteenth (Jun 19),
Independence Day (Jul 4), Labor Day (1st Monday of September), Columbus Day (2nd Monday of
October), Veterans Day (Nov 11), Thanksgiving (4th Thursday of November), Christmas Day (Dec 25).

Busyness (calibrated on UCI Online Retail invoices, Dec 2010 - Nov 2011: November had 2.5x the
invoices of January, Nov-Dec share 1.35x their share of days; and on grocery practice of busy
weekends): a month profile with a November-December peak and a January dip, a weekday profile
with Saturday busiest, Black Friday and the pre-Christmas weeks as spikes, Thanksgiving and
Christmas Day as quiet days, and 6 % yearly growth.
"""

from __future__ import annotations

import calendar as std_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from clustr_etl.dataset.csv_writer import epoch_dates, flags, numbers

# January .. December; Nov-Dec carry the holiday season.
MONTH_FACTOR = (0.84, 0.86, 0.95, 0.96, 1.0, 0.97, 0.98, 1.0, 0.95, 1.0, 1.28, 1.42)
# Monday .. Sunday (ISO 1..7).
WEEKDAY_FACTOR = (0.86, 0.82, 0.9, 0.96, 1.1, 1.32, 1.12)
YEARLY_GROWTH = 0.06
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Extra discount probability multiplier in the sale season (Black Friday to year end).
SALE_SEASON_DISCOUNT = 1.6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 = last) given weekday (0 = Monday) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, std_calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@cache
def us_federal_holidays(year: int) -> dict[date, str]:
    """The US federal holidays of ``year`` on their actual dates."""
    return {
        date(year, 1, 1): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        _nth_weekday(year, 5, 0, -1): "Memorial Day",
        date(year, 6, 19): "Juneteenth",
        date(year, 7, 4): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        date(year, 11, 11): "Veterans Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        date(year, 12, 25): "Christmas Day",
    }


def is_holiday(day: date) -> bool:
    return day in us_federal_holidays(day.year)


@dataclass(frozen=True)
class Calendar:
    """The days of the timeframe as parallel arrays (index 0 = start date)."""

    start: date
    dates: list[date]
    month: npt.NDArray[np.int8]
    iso_weekday: npt.NDArray[np.int8]
    holiday: npt.NDArray[np.bool_]

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def epoch_day0(self) -> int:
        """Days from 1970-01-01 to the start date (for Arrow date32 columns)."""
        return (self.start - date(1970, 1, 1)).days

    def table(self) -> pa.Table:
        """The timeframe table: one row per day, ISO weekday (1 = Monday) and ISO week."""
        iso = [day.isocalendar() for day in self.dates]
        columns = {
            "date": epoch_dates(np.array([day.toordinal() - EPOCH_ORDINAL for day in self.dates])),
            "year": numbers([day.year for day in self.dates], np.int16, pa.int16()),
            "quarter": numbers(
                [(day.month - 1) // 3 + 1 for day in self.dates], np.int8, pa.int8()
            ),
            "month": numbers(self.month, np.int8, pa.int8()),
            "day": numbers([day.day for day in self.dates], np.int8, pa.int8()),
            "day_of_week": numbers(self.iso_weekday, np.int8, pa.int8()),
            "week_of_year": numbers([week.week for week in iso], np.int8, pa.int8()),
            "is_weekend": flags(self.iso_weekday >= 6),
            "is_holiday": flags(self.holiday),
        }
        return pa.table(columns)

    def busyness(self) -> npt.NDArray[np.float64]:
        """Relative expected transactions per day (seasonality x weekday x events x growth)."""
        weights = np.empty(self.n_days, dtype=np.float64)
        for index, day in enumerate(self.dates):
            weight = MONTH_FACTOR[day.month - 1] * WEEKDAY_FACTOR[day.isoweekday() - 1]
            weights[index] = weight * _event_factor(day)
        years = np.arange(self.n_days, dtype=np.float64) / 365.25
        return weights * (1.0 + YEARLY_GROWTH) ** years

    def discount_factor(self) -> npt.NDArray[np.float64]:
        """Multiplier of the discount probability per day (sale season from Black Friday on)."""
        factors = np.ones(self.n_days, dtype=np.float64)
        for index, day in enumerate(self.dates):
            black_friday = _nth_weekday(day.year, 11, 3, 4) + timedelta(days=1)
            if black_friday <= day <= date(day.year, 12, 31):
                factors[index] = SALE_SEASON_DISCOUNT
        return factors


def _event_factor(day: date) -> float:
    thanksgiving = _nth_weekday(day.year, 11, 3, 4)
    if day == thanksgiving:
        return 0.45
    if day == thanksgiving + timedelta(days=1):  # Black Friday
        return 2.6
    if day.month == 12 and day.day == 25:
        return 0.15
    if day.month == 12 and 10 <= day.day <= 23:
        return 1.3
    if day.month == 12 and day.day in (24, 26):
        return 1.25
    if day.month == 1 and day.day == 1:
        return 0.4
    return 1.0


def build_calendar(start: date, days: int) -> Calendar:
    dates = [start + timedelta(days=offset) for offset in range(days)]
    return Calendar(
        start=start,
        dates=dates,
        month=np.array([day.month for day in dates], dtype=np.int8),
        iso_weekday=np.array([day.isoweekday() for day in dates], dtype=np.int8),
        holiday=np.array([is_holiday(day) for day in dates], dtype=np.bool_),
    )
