"""Writing the rules table as CSV (``dataset.rule_csv`` formats the fields)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    write_rule_text(_csv_chunks(chunks), path)


def _csv_chunks(chunks: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    columns: list[str] | None = None
    for part in chunks:
        if columns is None:
            columns = ordered_columns(list(part.columns))
            yield header_line(columns).encode()
        for start in range(0, len(part), WRITE_ROWS):
            yield csv_text(part.iloc[start : start + WRITE_ROWS], columns).encode()


def write_rule_text(chunks: Iterable[bytes | memoryview], path: str | Path) -> None:
    """Write the rules CSV given as UTF-8 text a chunk at a time (header first); a chunk is written
    by a thread while the next one is made (both release the GIL), so two are in memory."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle, ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future[int] | None = None
            for text in chunks:
                if pending is not None:
                    pending.result()
                pending = writer.submit(handle.write, text)
            if pending is not None:
                pending.result()
    except OSError as err:
        raise InputFileError(
            f"cannot write rules to {path}: {err.strerror}", "check --output"
        ) from None
