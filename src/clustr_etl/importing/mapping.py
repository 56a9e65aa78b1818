"""The TOML mapping of the `lines` preset: which source column holds each canonical column.

[columns]
invoice = "order_id"          # required: invoice, product, product_name, quantity,
product = "sku"               #   timestamp (or date), unit_price, customer
product_name = "title"
quantity = "qty"
date = "day"
unit_price = "price"
customer = "client"
category = "department"       # optional: category, country, city

[options]                     # all optional: found in the data when not given
encoding = "cp1252"
delimiter = ";"
decimal = ","                 # the decimal mark of prices and quantities ("." or ",")
thousands = "."               # the thousands separator (".", ",", " ", "'", no-break spaces)
currency = "EUR"              # prices in another currency are refused
dayfirst = true               # 01.02.2023 is 1 February (false: 2 January)
date_format = "%d/%m/%Y"      # strptime layout (instead of dayfirst)
sheet = "Sales"               # xlsx: the sheet to read (default: the first)
credit_note_prefix = "C"      # invoices starting with it are credit notes
non_merchandise = ["POST", "FEE"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clustr_etl.errors import ConfigError
from clustr_etl.importing import presets as p
from clustr_etl.importing.formats import Formats, checked

_ALIASES = {"date": p.TIMESTAMP}
_OPTIONS = (
    "encoding",
    "delimiter",
    "decimal",
    "thousands",
    "currency",
    "dayfirst",
    "date_format",
    "sheet",
    "credit_note_prefix",
    "non_merchandise",
)


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]
    encoding: str | None = None
    formats: Formats = field(default_factory=Formats)
    sheet: str | None = None
    credit_note_prefix: str | None = None
    non_merchandise: frozenset[str] = field(default_factory=frozenset)


def read_mapping(path: Path) -> Mapping:
    if not path.is_file():
        raise ConfigError(f"mapping file {path} not found", "check --mapping")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"mapping file {path} is not valid TOML: {err}") from None
    table = document.get("columns")
    if not isinstance(table, dict):
        raise ConfigError(f"mapping file {path} has no [columns] table", _hint())
    columns: dict[str, str] = {}
    known = {*p.REQUIRED, *p.OPTIONAL, *_ALIASES}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"mapping file {path}: unknown key columns.{key}", _hint())
        if not isinstance(value, str) or not value:
            raise ConfigError(f"mapping file {path}: columns.{key} must be a column name")
        columns[_ALIASES.get(str(key), str(key))] = value
    missing = [key for key in p.REQUIRED if key not in columns]
    if missing:
        raise ConfigError(f"mapping file {path} names no column for {', '.join(missing)}", _hint())
    options = document.get("options", {})
    unknown = [key for key in options if key not in _OPTIONS]
    if unknown:
        raise ConfigError(
            f"mapping file {path}: unknown option {', '.join(unknown)}",
            f"options are {', '.join(_OPTIONS)}",
        )
    return Mapping(
        columns=columns,
        encoding=options.get("encoding"),
        formats=_formats(path, options),
        sheet=options.get("sheet"),
        credit_note_prefix=options.get("credit_note_prefix"),
        non_merchandise=frozenset(str(code).upper() for code in options.get("non_merchandise", [])),
    )


def _formats(path: Path, options: dict[str, Any]) -> Formats:
    dayfirst = options.get("dayfirst")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ConfigError(f"mapping file {path}: dayfirst must be true or false")
    text = {
        name: None if options.get(name) is None else str(options[name])
        for name in ("delimiter", "decimal", "thousands", "currency", "date_format")
    }
    return checked(Formats(dayfirst=dayfirst, **text), f"mapping file {path}")


def _hint() -> str:
    return (
        f"[columns] needs {', '.join(p.REQUIRED)} (date may replace timestamp) "
        f"and may name {', '.join(p.OPTIONAL)}"
    )
