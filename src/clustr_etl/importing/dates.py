"""Dates and times as exports write them: ISO, day-first or month-first with ``/ . -``, 12- or
24-hour times (AM/PM), with or without seconds, Excel serial day numbers.

The order of day and month is decided once for the whole column: a value with a first part above 12
says day-first, one with a second part above 12 says month-first. A column where every value could be
either is refused (``dayfirst`` or ``date_format`` decides it); nothing is guessed silently. The work is
done on the column's distinct labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_DATE = (
    r"^\s*(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})"
    r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<p>[AaPp]\.?[Mm]\.?)?)?\s*$"
)
_SERIAL = r"^\s*\d{5}(?:\.\d+)?\s*$"  # Excel's day numbers: 1954-10-03 (20000) to 2119 (80000)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass(frozen=True)
class DateStyle:
    order: str  # "year-first", "day-first", "month-first" or "Excel serial"
    layout: str  # strptime-like description of the most common value, e.g. %d.%m.%Y %H:%M


@dataclass(frozen=True)
class Ambiguity:
    """Why the column cannot be read: the label at fault (position among labels) and the reason."""

    label: int
    message: str
    hint: str | None = None


def serials(labels: pd.Series) -> pd.Series | None:
    """Excel day numbers (1.5 = 1899-12-31 12:00) when every label is one, else None."""
    if not labels.str.fullmatch(_SERIAL).all():
        return None
    days = pd.to_numeric(labels.str.strip()).to_numpy(dtype=np.float64)
    return pd.Series(EXCEL_EPOCH + pd.to_timedelta(days * 86400, unit="s").round("s"))


def _order(
    labels: pd.Series, a: pd.Series, b: pd.Series, dayfirst: bool | None
) -> tuple[bool | None, Ambiguity | None]:
    """Whether the column is day-first (None: only year-first values), or why it cannot be told."""
    if dayfirst is not None or a.isna().all():
        return dayfirst, None
    says_day, says_month = (a > 12).fillna(False), (b > 12).fillna(False)
    if says_day.any() and says_month.any():
        day, month = int(np.flatnonzero(says_day)[0]), int(np.flatnonzero(says_month)[0])
        return None, Ambiguity(
            max(day, month),
            f"dates in both day-first ({labels.iloc[day]!r}) and month-first "
            f"({labels.iloc[month]!r}) order in one column",
            "one order per column: fix the cells, or set date_format",
        )
    if says_day.any() or says_month.any():
        return bool(says_day.any()), None
    first = int(np.flatnonzero(a.notna())[0])
    return None, Ambiguity(
        first,
        f"{labels.iloc[first]!r} and every other date of the column could be day-first or "
        "month-first (day and month both 12 or less)",
        "set dayfirst = true or false (or date_format) in the mapping's [options], "
        "or pass --dayfirst / --monthfirst",
    )


def _hours(parts: pd.DataFrame) -> pd.Series:
    hour = pd.to_numeric(parts["H"]).fillna(0)
    ampm = parts["p"].str[0].str.lower()
    twelve = ampm.notna()
    hour = hour.where(~twelve | hour.between(1, 12), np.nan)  # 0 PM or 13 AM: not a time
    return hour.where(~twelve, hour % 12 + np.where(ampm == "p", 12, 0))


def _layout(parts: pd.DataFrame, order: str) -> str:
    """The strptime layout of the most common shape of value, for the report."""
    sep = parts["sep"].dropna()
    s = str(sep.mode().iloc[0]) if len(sep) else "-"
    year = "%Y" if (parts["c"].str.len() == 4).any() or order == "year-first" else "%y"
    date = {
        "year-first": f"%Y{s}%m{s}%d",
        "day-first": f"%d{s}%m{s}{year}",
        "month-first": f"%m{s}%d{s}{year}",
    }[order]
    if parts["H"].isna().all():
        return date
    twelve = parts["p"].notna().any()
    clock = "%I:%M" if twelve else "%H:%M"
    clock += ":%S" if parts["S"].notna().any() else ""
    return f"{date} {clock}{' %p' if twelve else ''}"


def parse_labels(
    labels: pd.Series, *, dayfirst: bool | None
) -> tuple[pd.Series, DateStyle | None, Ambiguity | None]:
    """Timestamps of the distinct text ``labels`` (NaT when malformed), the style, or why not."""
    found = serials(labels)
    if found is not None:
        return found, DateStyle("Excel serial", "days since 1899-12-30"), None
    parts = labels.str.extract(_DATE)
    raw_a, raw_b, raw_c = (pd.to_numeric(parts[name]) for name in ("a", "b", "c"))
    year_first = (parts["a"].str.len() == 4).fillna(False)
    a, b = raw_a.where(~year_first), raw_b.where(~year_first)
    day_first, problem = _order(labels, a, b, dayfirst)
    if problem:
        return pd.Series(pd.NaT, index=labels.index), None, problem
    year = raw_c.where(parts["c"].str.len() != 2, raw_c + np.where(raw_c < 69, 2000, 1900))
    frame = pd.DataFrame(
        {
            "year": raw_a.where(year_first, year),
            "month": raw_b.where(year_first, b if day_first else a),
            "day": raw_c.where(year_first, a if day_first else b),
            "hour": _hours(parts),
            "minute": pd.to_numeric(parts["M"]).fillna(0),
            "second": pd.to_numeric(parts["S"]).fillna(0),
        }
    )
    frame = frame.where(frame.le(9999) & frame.ge(0))  # to_datetime refuses overflowing years
    stamps = pd.to_datetime(frame, errors="coerce")
    order = "day-first" if day_first else "month-first"
    style = DateStyle("year-first" if year_first.all() else order, "")
    style = DateStyle(style.order, _layout(parts, style.order))
    return pd.Series(stamps.to_numpy(), index=labels.index), style, None
