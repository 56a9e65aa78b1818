"""Mining every scope (all baskets, then each customer group) into one rules table."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from clustr_etl.mining import MiningEngine, mine_rules_with_report
from clustr_etl.mining.selection import SelectedBaskets
from clustr_etl.mining.summary import summarize
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress


@dataclass
class ScopedRules:
    rules: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def mine_scopes(
    selected: SelectedBaskets,
    thresholds: RuleThresholds,
    engine: MiningEngine = "fast",
    progress: Progress = NO_PROGRESS,
) -> ScopedRules:
    """The rules of each scope with its ``scope``, ``since`` and ``until`` (scope 'all' first)."""
    frames = []
    result = ScopedRules(pd.DataFrame())
    for scope in selected.scopes:
        mined = mine_rules_with_report(scope.baskets, thresholds, engine, progress)
        frame = mined.rules
        frame.insert(0, "scope", scope.name)
        frame["since"] = scope.since
        frame["until"] = scope.until
        frames.append(frame)
        summary = summarize(
            scope.name, thresholds, scope.baskets.n_transactions, mined.quality, len(frame)
        )
        result.notes += summary.notes
        result.warnings += summary.warnings
    result.rules = pd.concat(frames, ignore_index=True)
    return result
