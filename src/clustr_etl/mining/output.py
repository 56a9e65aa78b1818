"""Writing the rules table as CSV (``dataset.rule_csv`` formats the fields)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from clustr_etl.dataset.rule_columns import ordered_columns
from clustr_etl.dataset.rule_csv import csv_text, header_line
from clustr_etl.errors import InputFileError

WRITE_ROWS = (
    100_000  # rules formatted at a time: text for millions of rules at once takes gigabytes
)


def write_rules_csv(rules: pd.DataFrame, path: str | Path) -> None:
    """Write the DataFrame's columns in the rule-column order (``rule_columns``), floats with full
    precision and conviction inf as ``inf``; WRITE_ROWS rows are formatted at a time."""
    starts = range(0, max(len(rules), 1), WRITE_ROWS)
    write_rule_chunks((rules.iloc[start : start + WRITE_ROWS] for start in starts), path)


def write_rule_chunks(chunks: Iterable[pd.DataFrame], path: str | Path) -> None:
    """``write_rules_csv`` of rules given a chunk at a time (the header from the first chunk):
    only one chunk's text is in memory."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            columns: list[str] | None = None
            for part in chunks:
                if columns is None:
                    columns = ordered_columns(list(part.columns))
                    handle.write(header_line(columns))
                for start in range(0, len(part), WRITE_ROWS):
                    handle.write(csv_text(part.iloc[start : start + WRITE_ROWS], columns))
    except OSError as err:
        raise InputFileError(
            f"cannot write rules to {path}: {err.strerror}", "check --output"
        ) from None
