"""The formats of an import: given (mapping ``[options]``, CLI options) or found in the data, and the
one-line account of what was found, for the summary and import_report.json."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from clustr_etl.errors import ConfigError
from clustr_etl.importing.dates import DateStyle
from clustr_etl.importing.dialect import shown_delimiter
from clustr_etl.importing.numbers import THOUSANDS, NumberStyle

DECIMALS = (".", ",")


@dataclass(frozen=True)
class Formats:
    """What the user fixed; None lets the import find it in the data."""

    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    currency: str | None = None
    dayfirst: bool | None = None
    date_format: str | None = None

    @property
    def plain_numbers(self) -> bool:
        """Whether Arrow's fast parse of ``1234.5`` may be tried first."""
        return self.decimal != "," and not self.thousands and not self.currency

    def over(self, other: Formats) -> Formats:
        """These formats, the unset ones taken from ``other`` (CLI options over the mapping)."""
        unset = {
            f.name: getattr(other, f.name) for f in fields(self) if getattr(self, f.name) is None
        }
        return replace(self, **unset)


def checked(formats: Formats, where: str) -> Formats:
    """``formats`` with their values checked (``where``: the option's origin, for the message)."""
    tab = {"tab": "\t", "\\t": "\t"}
    delimiter = tab.get(formats.delimiter or "", formats.delimiter)
    if delimiter is not None and len(delimiter) != 1:
        raise ConfigError(
            f"{where}: delimiter {formats.delimiter!r} is not one character", "e.g. ';' or tab"
        )
    if formats.decimal is not None and formats.decimal not in DECIMALS:
        raise ConfigError(f"{where}: decimal {formats.decimal!r} is not '.' or ','")
    if formats.thousands is not None and formats.thousands not in THOUSANDS:
        raise ConfigError(
            f"{where}: thousands {formats.thousands!r} is not one of {' '.join(map(repr, THOUSANDS))}"
        )
    if formats.thousands is not None and formats.thousands == formats.decimal:
        raise ConfigError(f"{where}: thousands and decimal are both {formats.decimal!r}")
    return replace(formats, delimiter=delimiter)


def found_formats(number: NumberStyle | None, dates: DateStyle | None) -> dict[str, str]:
    """The number and date formats found in the data (nothing when plain: 1234.5, ISO dates)."""
    found: dict[str, str] = {}
    if number is not None:
        found["decimal"] = number.decimal
        if number.thousands:
            found["thousands"] = number.thousands
        if number.currency:
            found["currency"] = number.currency
    if dates is not None:
        found["dates"] = dates.order
        found["date_format"] = dates.layout
    return found


def describe(found: dict[str, Any]) -> str:
    """E.g. "delimiter ';', cp1252, decimal ',', dates day-first %d.%m.%Y %H:%M"."""
    spaces = {" ": "space", "\u00a0": "no-break space", "\u202f": "narrow no-break space"}
    parts = []
    if "delimiter" in found:
        parts.append(f"delimiter {shown_delimiter(found['delimiter'])}")
    if "encoding" in found:
        parts.append(str(found["encoding"]))
    if "header_line" in found:
        parts.append(f"header on line {found['header_line']}")
    if "decimal" in found:
        parts.append(f"decimal {found['decimal']!r}")
    if "thousands" in found:
        parts.append(f"thousands {spaces.get(found['thousands'], repr(found['thousands']))}")
    if "currency" in found:
        parts.append(f"currency {found['currency']}")
    if "dates" in found:
        parts.append(f"dates {found['dates']} {found['date_format']}")
    return ", ".join(parts) or "plain CSV (UTF-8, ',', decimal '.', ISO dates)"
