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

[options]                     # all optional
encoding = "cp1252"
delimiter = ";"
date_format = "%d/%m/%Y"
sheet = "Sales"               # xlsx: the sheet to read (default: the first)
credit_note_prefix = "C"      # invoices starting with it are credit notes
non_merchandise = ["POST", "FEE"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from clustr_etl.errors import ConfigError
from clustr_etl.importing import presets as p

_ALIASES = {"date": p.TIMESTAMP}
_OPTIONS = (
    "encoding",
    "delimiter",
    "date_format",
    "sheet",
    "credit_note_prefix",
    "non_merchandise",
)


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str]
    encoding: str | None = None
    delimiter: str = ","
    date_format: str | None = None
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
        delimiter=str(options.get("delimiter", ",")),
        date_format=options.get("date_format"),
        sheet=options.get("sheet"),
        credit_note_prefix=options.get("credit_note_prefix"),
        non_merchandise=frozenset(str(code).upper() for code in options.get("non_merchandise", [])),
    )


def _hint() -> str:
    return (
        f"[columns] needs {', '.join(p.REQUIRED)} (date may replace timestamp) "
        f"and may name {', '.join(p.OPTIONAL)}"
    )
