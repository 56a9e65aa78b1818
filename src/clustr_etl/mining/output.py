"""Writing the rules table as CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from clustr_etl.dataset.rule_columns import ordered_columns
from clustr_etl.errors import InputFileError


def _text(value: object) -> str:
    """Missing values (None, NaN, pd.NA) as empty fields, anything else as ``str``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _column_texts(column: pd.Series) -> list[str]:
    """One column as CSV fields; whole numeric columns through ``map`` (millions of rules)."""
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float)
        texts = list(map(repr, values.tolist()))  # repr of a float: the shortest round trip
        for position in np.flatnonzero(np.isnan(values)).tolist():
            texts[position] = ""
        return texts
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return list(map(str, column.tolist()))
    return [_text(v) for v in column.tolist()]


WRITE_ROWS = (
    100_000  # rules formatted at a time: text for millions of rules at once takes gigabytes
)


def write_rules_csv(rules: pd.DataFrame, path: str | Path) -> None:
    """Write the DataFrame's columns in the rule-column order (``rule_columns``), floats with full
    precision and conviction inf as ``inf``; WRITE_ROWS rows are formatted at a time."""
    write_rule_chunks(
        (rules.iloc[start : start + WRITE_ROWS] for start in range(0, max(len(rules), 1), WRITE_ROWS)),
        path,
    )


def write_rule_chunks(chunks: Iterable[pd.DataFrame], path: str | Path) -> None:
    """``write_rules_csv`` of rules given a chunk at a time (the header from the first chunk):
    only one chunk's text is in memory."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            columns: list[str] | None = None
            for part in chunks:
                if columns is None:
                    columns = ordered_columns(list(part.columns))
                    writer.writerow(columns)
                for start in range(0, len(part), WRITE_ROWS):
                    rows = part.iloc[start : start + WRITE_ROWS]
                    texts = [_column_texts(rows[name]) for name in columns]
                    writer.writerows(zip(*texts, strict=True))
    except OSError as err:
        raise InputFileError(
            f"cannot write rules to {path}: {err.strerror}", "check --output"
        ) from None
