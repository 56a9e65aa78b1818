"""Association-rule mining (market-basket bundles), matching R arules ``apriori`` semantics.

Rules ``A => C`` have a single-item consequent by default (``max_consequent_len`` allows more, as
mlxtend does); thresholds are compared exactly on counts (see ``thresholds``), then significance
and redundancy filters apply (``quality``). ``engine="fast"`` is the numpy miner,
``engine="mlxtend"`` the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.mining.baskets import (
    Baskets,
    baskets_from_pairs,
    read_basket_file,
    read_sales_csv,
)
from clustr_etl.mining.budget import mine_within_budget
from clustr_etl.mining.filters import check_items_exist, rules_with_items, without_large_baskets
from clustr_etl.mining.output import write_rule_chunks, write_rule_text, write_rules_csv
from clustr_etl.mining.quality import FilterCounts, apply_quality_filters, filter_rule_set
from clustr_etl.mining.rules import FrameRules, RuleTable, build_rule_set
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from clustr_etl.mining.db_reader import read_baskets_from_db

MiningEngine = Literal["fast", "mlxtend"]
ENGINES: tuple[str, ...] = ("fast", "mlxtend")

__all__ = [
    "ENGINES",
    "Baskets",
    "FilterCounts",
    "MinedRules",
    "MiningEngine",
    "RuleTable",
    "RuleThresholds",
    "baskets_from_pairs",
    "mine_rules",
    "mine_rules_with_report",
    "read_basket_file",
    "read_baskets_from_db",
    "read_sales_csv",
    "write_rule_chunks",
    "write_rule_text",
    "write_rules_csv",
]


def __getattr__(name: str) -> Any:
    """``read_baskets_from_db`` on first use: mining files does not need SQLAlchemy."""
    if name == "read_baskets_from_db":
        from clustr_etl.mining.db_reader import read_baskets_from_db

        return read_baskets_from_db
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class MinedRules:
    """The rules, what the quality filters did, and the thresholds used (support may be raised)."""

    table: RuleTable
    quality: FilterCounts
    count_threshold: int
    thresholds: RuleThresholds | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rules(self) -> pd.DataFrame:
        """Every rule in one frame (``table.frames`` gives them a chunk at a time)."""
        return self.table.to_frame()


def mine_rules(
    baskets: Baskets,
    thresholds: RuleThresholds,
    engine: MiningEngine = "fast",
    progress: Progress = NO_PROGRESS,
) -> pd.DataFrame:
    """All rules ``A => C`` passing ``thresholds``: columns MINED_COLUMNS, deterministic order."""
    return mine_rules_with_report(baskets, thresholds, engine, progress).rules


def mine_rules_with_report(
    baskets: Baskets,
    thresholds: RuleThresholds,
    engine: MiningEngine = "fast",
    progress: Progress = NO_PROGRESS,
) -> MinedRules:
    """The rules and how many the significance test and the redundancy pruning dropped."""
    if engine not in ENGINES:
        raise ConfigError(
            f"unknown mining engine {engine!r}", "use --engine fast or --engine mlxtend"
        )
    if baskets.n_transactions == 0 or baskets.items.size == 0:
        raise InputFileError("no baskets to mine", "the input has no transactions with items")
    notes: list[str] = []
    baskets, large = without_large_baskets(baskets, thresholds.max_basket_size)
    if large:
        notes.append(
            f"{large:,} baskets of more than {thresholds.max_basket_size} items left out "
            "(--max-basket-size)"
        )
        if baskets.n_transactions == 0:
            raise InputFileError(
                "every basket is larger than --max-basket-size", "raise --max-basket-size"
            )
    check_items_exist(baskets, thresholds)
    if thresholds.top_k:
        return _top_k(baskets, thresholds, engine, notes, progress)
    fitted = mine_within_budget(baskets, thresholds, progress)  # mlxtend: the budget's pre-check
    thresholds = fitted.thresholds
    notes.extend([fitted.note] if fitted.note else [])
    min_count = thresholds.count_threshold(baskets.n_transactions)
    table: RuleTable
    if engine == "mlxtend":
        from clustr_etl.mining.reference import mine_rules_mlxtend

        with progress.task("mining rules (mlxtend)"):
            candidates = rules_with_items(mine_rules_mlxtend(baskets, thresholds), thresholds)
        with progress.task("testing rules"):
            rules, quality = apply_quality_filters(candidates, thresholds)
        table = FrameRules(rules)
    else:
        with progress.task("building rules"):
            built = build_rule_set(fitted.itemsets, baskets.labels, thresholds)
        with progress.task("testing rules"):
            table, quality = filter_rule_set(built.with_items(thresholds), thresholds)
    return MinedRules(table, quality, min_count, thresholds, notes)


def _top_k(
    baskets: Baskets,
    thresholds: RuleThresholds,
    engine: MiningEngine,
    notes: list[str],
    progress: Progress,
) -> MinedRules:
    """``--top-k``: the K best rules, searched by the fast miner (see ``topk``)."""
    if engine != "fast":
        raise ConfigError(f"--top-k is not available with --engine {engine}", "leave out --engine")
    from clustr_etl.mining.topk import mine_top_k

    top = mine_top_k(baskets, thresholds, progress)
    return MinedRules(
        FrameRules(top.rules), top.quality, top.floor, top.thresholds, [*notes, *top.notes]
    )
