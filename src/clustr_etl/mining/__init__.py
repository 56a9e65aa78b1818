"""Association-rule mining (market-basket bundles), matching R arules ``apriori`` semantics.

Rules ``A => {c}`` have a single-item consequent; thresholds are compared exactly on counts (see
``thresholds``). ``engine="fast"`` is the numpy miner, ``engine="mlxtend"`` the reference.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.mining.baskets import (
    Baskets,
    baskets_from_pairs,
    read_basket_file,
    read_sales_csv,
)
from clustr_etl.mining.db_reader import read_baskets_from_db
from clustr_etl.mining.itemsets import mine_frequent_itemsets
from clustr_etl.mining.output import write_rules_csv
from clustr_etl.mining.rules import RULE_COLUMNS, rules_from_itemsets
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress

MiningEngine = Literal["fast", "mlxtend"]
ENGINES: tuple[str, ...] = ("fast", "mlxtend")

__all__ = [
    "ENGINES",
    "RULE_COLUMNS",
    "Baskets",
    "MiningEngine",
    "RuleThresholds",
    "baskets_from_pairs",
    "mine_rules",
    "read_basket_file",
    "read_baskets_from_db",
    "read_sales_csv",
    "write_rules_csv",
]


def mine_rules(
    baskets: Baskets,
    thresholds: RuleThresholds,
    engine: MiningEngine = "fast",
    progress: Progress = NO_PROGRESS,
) -> pd.DataFrame:
    """All rules ``A => {c}`` passing ``thresholds``: columns RULE_COLUMNS, deterministic order."""
    if engine not in ENGINES:
        raise ConfigError(
            f"unknown mining engine {engine!r}", "use --engine fast or --engine mlxtend"
        )
    if baskets.n_transactions == 0 or baskets.items.size == 0:
        raise InputFileError("no baskets to mine", "the input has no transactions with items")
    if engine == "mlxtend":
        from clustr_etl.mining.reference import mine_rules_mlxtend

        with progress.task("mining rules (mlxtend)"):
            return mine_rules_mlxtend(baskets, thresholds)
    min_count = thresholds.min_count(baskets.n_transactions)
    itemsets = mine_frequent_itemsets(baskets, min_count, thresholds.max_len, progress)
    with progress.task("building rules"):
        return rules_from_itemsets(itemsets, baskets.labels, thresholds)
