"""Numbers as a locale writes them: decimal comma or point, thousands separators, currency marks.

``1.234,56``, ``1,234.56``, ``1 234,56`` (space, no-break or narrow no-break space), ``1'234.56``,
``£3.95``, ``3,95 €``, ``EUR 3.95``. The decimal mark is decided once per column from the values that
show it (``3,95``; ``1.234,56``); values that could be either (``1,234``) follow that decision, or the
file's other number column, else the point. Work is done on the distinct labels of a column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

THOUSANDS = (".", ",", " ", "\u00a0", "\u202f", "'")
_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₹": "INR", "zł": "PLN", "kr": "SEK"}
_MARK = r"(?:[£$€¥₹]|zł|kr|[A-Z]{3})"
_SPACES = " \u00a0\u202f"
_NUMBER = (
    rf"^\s*(?P<sign>[-+]?)\s*(?P<pre>{_MARK})?\s*(?P<sign2>[-+]?)"
    rf"(?P<num>\d[\d.,'{_SPACES}]*?)\s*(?P<post>{_MARK})?\s*$"
)


@dataclass(frozen=True)
class NumberStyle:
    """What a number column holds: its decimal mark, thousands separators and currency, if any."""

    decimal: str
    thousands: str | None
    currency: str | None


@dataclass(frozen=True)
class Conflict:
    """A label that contradicts the column's style: its position among the labels, and why."""

    label: int
    message: str


def _decimal_votes(num: pd.Series) -> pd.Series:
    """Per label: "," or "." when the label shows its decimal mark, else missing."""
    has_dot, has_comma = num.str.contains(".", regex=False), num.str.contains(",", regex=False)
    last_comma = num.str.rfind(",") > num.str.rfind(".")
    vote = pd.Series(pd.NA, index=num.index, dtype=object)
    both = has_dot & has_comma
    vote[both] = np.where(last_comma[both], ",", ".")
    for mark, other, has in ((",", ".", has_comma & ~has_dot), (".", ",", has_dot & ~has_comma)):
        count = num.str.count(f"\\{mark}")
        digits_after = num.str.len() - num.str.rfind(mark) - 1
        vote[has & (count == 1) & (digits_after != 3)] = mark  # 3,95: a decimal mark
        vote[has & (count > 1)] = other  # 1.234.567: thousands, so the decimal is the other
        vote[has & (count == 1) & num.str.match(f"0\\{mark}")] = mark  # 0,001: never thousands
    return vote


def _currency(pre: pd.Series, post: pd.Series) -> pd.Series:
    mark = pre.fillna(post)
    return mark.map(lambda m: _SYMBOLS.get(m, m), na_action="ignore")


def _canonical(num: pd.Series, decimal: str, thousands: str | None) -> tuple[pd.Series, pd.Series]:
    """Each label as "1234.56" (missing when malformed) and the thousands separator it used."""
    marks = [thousands] if thousands else [t for t in THOUSANDS if t != decimal]
    dec = re.escape(decimal)
    group = "[" + "".join(re.escape(t) for t in marks) + "]"
    plain = num.str.fullmatch(rf"\d+(?:{dec}\d+)?")
    grouped = pd.Series(False, index=num.index)
    for mark in marks:
        grouped |= num.str.fullmatch(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+(?:{dec}\d+)?")
    used = num.str.extract(rf"^\d{{1,3}}({group})\d{{3}}")[0].where(grouped)
    text = num.str.replace(group, "", regex=True).str.replace(decimal, ".", regex=False)
    return text.where(plain | grouped), used


def parse_labels(
    labels: pd.Series, *, decimal: str | None, thousands: str | None, currency: str | None
) -> tuple[pd.Series, NumberStyle | None, Conflict | None]:
    """Floats of the distinct text ``labels`` (NaN when malformed), the style found, or a conflict."""
    parts = labels.str.extract(_NUMBER)
    num = parts["num"].str.rstrip(_SPACES)
    votes = _decimal_votes(num.fillna(""))
    seen = votes.dropna()
    if decimal is None and seen.nunique() > 1:
        first = seen.iloc[0]
        other = int(np.flatnonzero((votes != first).fillna(False).to_numpy())[0])
        return _nothing(labels), None, _mixed_decimals(labels, seen, other)
    chosen = decimal or (str(seen.iloc[0]) if len(seen) else ".")
    marks = _currency(parts["pre"], parts["post"])
    conflict = _currency_conflict(labels, marks, currency)
    if conflict:
        return _nothing(labels), None, conflict
    text, used = _canonical(num.fillna(""), chosen, thousands)
    sign = np.where((parts["sign"] == "-") | (parts["sign2"] == "-"), -1.0, 1.0)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    used_marks = used.dropna()
    style = NumberStyle(
        decimal=chosen,
        thousands=str(used_marks.iloc[0]) if len(used_marks) else thousands,
        currency=str(marks.dropna().iloc[0]) if marks.notna().any() else currency,
    )
    return pd.Series(values * sign, index=labels.index), style, None


def _nothing(labels: pd.Series) -> pd.Series:
    return pd.Series(np.nan, index=labels.index)


def _mixed_decimals(labels: pd.Series, seen: pd.Series, other: int) -> Conflict:
    first = labels.iloc[int(seen.index[0])]
    return Conflict(
        other,
        f"{labels.iloc[other]!r} writes the decimal mark differently from {first!r} "
        "(two number styles in one column)",
    )


def _currency_conflict(
    labels: pd.Series, marks: pd.Series, currency: str | None
) -> Conflict | None:
    found = marks.dropna()
    expected = _SYMBOLS.get(currency, currency) if currency else None
    if expected is None and found.nunique() > 1:
        expected = str(found.iloc[0])
    if expected is None:
        return None
    wrong = np.flatnonzero((marks.notna() & (marks != expected)).to_numpy())
    if not wrong.size:
        return None
    label = int(wrong[0])
    return Conflict(
        label,
        f"{labels.iloc[label]!r} is in {marks.iloc[label]} where the column's prices are in "
        f"{expected} (one currency per import)",
    )
