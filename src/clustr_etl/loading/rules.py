"""Loading mined association rules: bundle_rules and bundle_rule_items replaced in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from clustr_etl.backends import backend_for
from clustr_etl.errors import DataValidationError
from clustr_etl.loading.sources import FrameSource
from clustr_etl.loading.tables import require_tables
from clustr_etl.models import RULE_TABLES
from clustr_etl.progress import NO_PROGRESS

if TYPE_CHECKING:
    import pandas as pd

KEY_SEPARATOR = "|"
NAME_COLUMNS = ("antecedent_names", "consequent_names")
FLOAT_COLUMNS = ("support", "confidence", "lift", "leverage")
INT_COLUMNS = ("antecedent_count", "consequent_count", "rule_count", "n_transactions")
RULE_COLUMNS = (
    "rule_id",
    "antecedents",
    "consequents",
    *NAME_COLUMNS,
    *FLOAT_COLUMNS,
    "conviction",
    *INT_COLUMNS,
)
ITEM_COLUMNS = ("rule_id", "side", "item_key")


def load_rules(
    engine: Engine,
    rules: pd.DataFrame,
    *,
    run_id: int | None = None,
    schema_checked: bool = False,
) -> int:
    """Replace all bundle rules (and their items) by ``rules``; rule_id is 1..n in frame order.

    ``run_id`` (the etl_runs row of the command doing this) is stored in every rule's run_id. Written
    like the data tables: one transaction through the backend's bulk path (COPY / batched insert).
    """
    frame = rules_frame(rules).assign(run_id=run_id)  # [ops helper] run ledger link
    items = items_frame(frame)
    if not schema_checked:
        require_tables(engine, RULE_TABLES)
    sources = [FrameSource("bundle_rules", frame), FrameSource("bundle_rule_items", items)]
    backend_for(engine).replace_tables(engine, sources, NO_PROGRESS)
    return len(frame)


def rules_frame(rules: pd.DataFrame) -> pd.DataFrame:
    """The rules as bundle_rules rows: checked, numbered, conviction inf -> NULL (NaN)."""
    import pandas as pd  # imported here: loading data tables does not need pandas

    required = ["antecedents", "consequents", *FLOAT_COLUMNS, "conviction", *INT_COLUMNS]
    missing = [name for name in required if name not in rules.columns]
    if missing:
        raise DataValidationError(
            f"the rules lack column {', '.join(missing)}",
            "they come from clustr_etl.mining.mine_rules",
        )
    frame = pd.DataFrame({"rule_id": np.arange(1, len(rules) + 1, dtype=np.int64)})
    for name in ("antecedents", "consequents"):
        frame[name] = rules[name].fillna("").astype(str).to_numpy()
    # An empty antecedent is a legal rule ({} => {c}, mined with --min-len 1); a consequent is not.
    _refuse((frame["consequents"].str.strip() == "").to_numpy(), "consequents", "is empty")
    for name in NAME_COLUMNS:
        frame[name] = rules[name].to_numpy() if name in rules.columns else None
    for name in FLOAT_COLUMNS:
        values = pd.to_numeric(rules[name], errors="coerce").to_numpy(dtype=np.float64)
        _refuse(~np.isfinite(values), name, "is not a finite number")
        frame[name] = values
    conviction = pd.to_numeric(rules["conviction"], errors="coerce").to_numpy(dtype=np.float64)
    _refuse(np.isnan(conviction) | (conviction == -np.inf), "conviction", "is not a number")
    frame["conviction"] = np.where(np.isinf(conviction), np.nan, conviction)
    for name in INT_COLUMNS:
        values = pd.to_numeric(rules[name], errors="coerce").to_numpy(dtype=np.float64)
        _refuse(~np.isfinite(values) | (values != np.round(values)), name, "is not a whole number")
        frame[name] = values.astype(np.int64)
    return frame[list(RULE_COLUMNS)]


def _refuse(bad: npt.NDArray[np.bool_], column: str, problem: str) -> None:
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"rule {row + 1}: column {column} {problem}",
            "the rules were not loaded; nothing was changed",
        )


def items_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per item per side of every rule."""
    import pandas as pd

    parts = []
    for side, column in (("antecedent", "antecedents"), ("consequent", "consequents")):
        keys = frame[column].str.split(KEY_SEPARATOR).explode()
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": frame["rule_id"].to_numpy()[keys.index.to_numpy()],
                    "side": side,
                    "item_key": keys.to_numpy(),
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
