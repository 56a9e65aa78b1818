"""Writing the rules table as CSV."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from clustr_etl.dataset.rule_columns import ordered_columns
from clustr_etl.errors import InputFileError


def _float_text(value: float) -> str:
    """Full precision (shortest repr that round-trips); infinities as ``inf``/``-inf``; NaN empty."""
    if math.isnan(value):
        return ""
    return repr(float(value))


def _text(value: object) -> str:
    """Missing values (None, NaN, pd.NA) as empty fields, anything else as ``str``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def write_rules_csv(rules: pd.DataFrame, path: str | Path) -> None:
    """Write the DataFrame's columns in the rule-column order (``rule_columns``), floats with full
    precision and conviction inf as ``inf``."""
    path = Path(path)
    columns = ordered_columns(list(rules.columns))
    texts: list[list[str]] = []
    for name in columns:
        column = rules[name]
        if pd.api.types.is_float_dtype(column.dtype):
            texts.append([_float_text(v) for v in column.to_numpy(dtype=float).tolist()])
        else:
            texts.append([_text(v) for v in column.tolist()])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(zip(*texts, strict=True))
    except OSError as err:
        raise InputFileError(
            f"cannot write rules to {path}: {err.strerror}", "check --output"
        ) from None
