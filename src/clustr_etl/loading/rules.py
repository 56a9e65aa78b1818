"""Loading mined association rules: bundle_rules and bundle_rule_items replaced in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from clustr_etl.dataset.rule_columns import (
    DEFAULT_SCOPE,
    ITEM_COLUMNS,
    ITEM_SEPARATOR,
    RULE_COLUMN_SPECS,
    STORED_COLUMNS,
    RuleColumn,
)
from clustr_etl.errors import DataValidationError
from clustr_etl.loading.sources import FrameChunksSource, StreamSource
from clustr_etl.loading.tables import require_tables
from clustr_etl.progress import NO_PROGRESS
from clustr_etl.store.backends import LockWait, backend_for
from clustr_etl.store.backends.types import Rows
from clustr_etl.store.models import RULE_TABLES

if TYPE_CHECKING:
    import pandas as pd


LOAD_ROWS = 100_000  # rules checked and sent to the database at a time
RuleFrames = Callable[[], Iterator["pd.DataFrame"]]
RowStreams = tuple[
    Callable[[], Iterator[bytes | memoryview]], Callable[[], Iterator[tuple[Rows, int]]]
]


def load_rules(
    engine: Engine,
    rules: pd.DataFrame,
    *,
    run_id: int | None = None,
    schema_checked: bool = False,
    wait: LockWait | None = None,
) -> int:
    """Replace all bundle rules (and their items) by ``rules``; rule_id is 1..n in frame order.

    ``run_id`` (the etl_runs row of the command doing this) is stored in every rule's run_id. Written
    like the data tables: one transaction through the backend's bulk path (COPY / batched insert).
    """

    def chunks() -> Iterator[pd.DataFrame]:
        for start in range(0, max(len(rules), 1), LOAD_ROWS):
            yield rules.iloc[start : start + LOAD_ROWS]

    return load_rule_chunks(engine, chunks, run_id=run_id, schema_checked=schema_checked, wait=wait)


def load_rule_chunks(
    engine: Engine,
    chunks: RuleFrames,
    *,
    run_id: int | None = None,
    schema_checked: bool = False,
    wait: LockWait | None = None,
    total: int = 0,
) -> int:
    """``load_rules`` of rules given a chunk at a time: ``chunks()`` is called once for
    bundle_rules and once for bundle_rule_items, and only one chunk is in memory. A chunk that
    fails the checks rolls the whole load back (the previous rules stay)."""
    if not schema_checked:
        require_tables(engine, RULE_TABLES)
    loaded = [0]

    def numbered() -> Iterator[pd.DataFrame]:
        loaded[0] = 0
        for chunk in chunks():
            frame = rules_frame(chunk, first_id=loaded[0] + 1).assign(run_id=run_id)
            loaded[0] += len(frame)
            yield frame

    def items() -> Iterator[pd.DataFrame]:
        for frame in numbered():
            yield items_frame(frame)

    sources = [
        FrameChunksSource("bundle_rules", (*STORED_COLUMNS, "run_id"), numbered, total),
        FrameChunksSource("bundle_rule_items", ITEM_COLUMNS, items, total),
    ]
    backend_for(engine).replace_tables(engine, sources, NO_PROGRESS, wait or LockWait())
    return loaded[0]


def load_rule_rows(
    engine: Engine,
    rules: RowStreams,
    items: RowStreams,
    *,
    total: int,
    schema_checked: bool = False,
    wait: LockWait | None = None,
) -> int:
    """``load_rule_chunks`` of rows the caller made and checked (with ``rules_frame``): the
    bundle_rules rows (columns STORED_COLUMNS + run_id) and the bundle_rule_items rows
    (ITEM_COLUMNS), each as (CSV text, Python row batches) callables; ``total`` rules."""
    if not schema_checked:
        require_tables(engine, RULE_TABLES)
    sources = [
        StreamSource("bundle_rules", (*STORED_COLUMNS, "run_id"), *rules, total),
        StreamSource("bundle_rule_items", ITEM_COLUMNS, *items, total),
    ]
    backend_for(engine).replace_tables(engine, sources, NO_PROGRESS, wait or LockWait())
    return total


def rules_frame(rules: pd.DataFrame, first_id: int = 1) -> pd.DataFrame:
    """The rules as bundle_rules rows: checked, numbered from ``first_id``, conviction inf -> NULL
    (NaN).

    Optional columns a frame lacks are NULL (scope: 'all')."""
    import pandas as pd  # imported here: loading data tables does not need pandas

    missing = [c.name for c in RULE_COLUMN_SPECS if c.required and c.name not in rules.columns]
    if missing:
        raise DataValidationError(
            f"the rules lack column {', '.join(missing)}",
            "they come from clustr_etl.mining.mine_rules",
        )
    frame = pd.DataFrame({"rule_id": np.arange(first_id, first_id + len(rules), dtype=np.int64)})
    for column in RULE_COLUMN_SPECS:
        if column.name in rules.columns:
            frame[column.name] = _checked(rules[column.name], column, first_id)
        else:
            frame[column.name] = DEFAULT_SCOPE if column.name == "scope" else None
    # An empty antecedent is a legal rule ({} => {c}, mined with --min-len 1); a consequent is not.
    _refuse(
        (frame["consequents"].str.strip() == "").to_numpy(), "consequents", "is empty", first_id
    )
    return frame[list(STORED_COLUMNS)]


def _checked(values: pd.Series, column: RuleColumn, first_id: int = 1) -> npt.NDArray[Any]:
    """One column's values as stored: keys as text, floats finite (conviction inf -> NaN), ints whole."""
    import pandas as pd

    if column.kind == "key":
        return values.fillna("").astype(str).to_numpy()
    if column.kind == "date":  # ISO text: the same on both backends
        return np.asarray(
            [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in values],
            dtype=object,
        )
    if column.kind == "text":
        return values.to_numpy()
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if column.kind == "int":
        bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
        _refuse(bad, column.name, "is not a whole number", first_id)
        return numbers.astype(np.int64)
    if column.finite:
        optional_missing = np.isnan(numbers) & (not column.required)
        _refuse(
            ~np.isfinite(numbers) & ~optional_missing,
            column.name,
            "is not a finite number",
            first_id,
        )
        return numbers
    _refuse(np.isnan(numbers) | (numbers == -np.inf), column.name, "is not a number", first_id)
    return np.where(np.isinf(numbers), np.nan, numbers)


def _refuse(bad: npt.NDArray[np.bool_], column: str, problem: str, first_id: int = 1) -> None:
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"rule {row + first_id}: column {column} {problem}",
            "the rules were not loaded; nothing was changed",
        )


def items_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per item per side of every rule."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for side, column in (("antecedent", "antecedents"), ("consequent", "consequents")):
        # split with pyarrow: no Python list per rule
        lists = pc.split_pattern(pa.array(frame[column], type=pa.large_string()), ITEM_SEPARATOR)
        owners = pc.list_parent_indices(lists).to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": frame["rule_id"].to_numpy()[owners],
                    "side": side,
                    "item_key": pc.list_flatten(lists).to_numpy(zero_copy_only=False),
                }
            )
        )
    items = pd.concat(parts, ignore_index=True)
    items = items[~((items["side"] == "antecedent") & (items["item_key"] == ""))]
    repeated = items.duplicated(list(ITEM_COLUMNS))
    if repeated.any():
        rule_id = int(items["rule_id"].to_numpy()[int(np.argmax(repeated.to_numpy()))])
        raise DataValidationError(
            f"rule {rule_id}: an item key appears twice on one side", "nothing was changed"
        )
    _refuse((items["item_key"].str.strip() == "").to_numpy(), "item key", "is empty")
    return items
