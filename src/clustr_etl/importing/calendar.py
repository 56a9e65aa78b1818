"""The timeframe of imported data: every day from the first to the last transaction, with the
public holidays of the data's main country from the maintained ``holidays`` library."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import threading

import numpy as np
import pandas as pd
import pyarrow as pa

from clustr_etl.simulate.calendar import Calendar

# Country names of retail exports that are not the library's English names.
COUNTRY_ALIASES = {
    "eire": "IE",
    "usa": "US",
    "us": "US",
    "uk": "GB",
    "rsa": "ZA",
    "great britain": "GB",
    "england": "GB",
    "czech republic": "CZ",
}


def holiday_country_code(country: str | None) -> str | None:
    """The ISO code ``holidays`` knows for a country name (or code), or None."""
    if not country:
        return None
    from holidays.registry import COUNTRIES

    folded = country.strip().casefold()
    if folded in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[folded]
    snake = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    if snake in COUNTRIES:
        return str(COUNTRIES[snake][1])
    codes = {str(entry[1]).casefold(): str(entry[1]) for entry in COUNTRIES.values()}
    return codes.get(folded)


def preload_holidays() -> None:
    """Import the holidays library's country modules (about 0.1 s) in the background, so that
    it overlaps reading the source instead of following it."""
    threading.Thread(
        target=importlib.import_module, args=("holidays.countries",), daemon=True
    ).start()


def holiday_dates(code: str | None, years: range) -> set[dt.date]:
    if code is None:
        return set()
    import holidays

    return set(holidays.country_holidays(code, years=list(years)))


def build_timeframe(dates: pd.Series, country: str | None) -> tuple[pa.Table, str | None]:
    """The timeframe table spanning ``dates`` (every day), and the holiday country code used."""
    first, last = dates.min().date(), dates.max().date()
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    code = holiday_country_code(country)
    holidays_set = holiday_dates(code, range(first.year, last.year + 1))
    calendar = Calendar(
        start=first,
        dates=days,
        month=np.array([day.month for day in days], dtype=np.int8),
        iso_weekday=np.array([day.isoweekday() for day in days], dtype=np.int8),
        holiday=np.array([day in holidays_set for day in days], dtype=np.bool_),
    )
    return calendar.table(), code
