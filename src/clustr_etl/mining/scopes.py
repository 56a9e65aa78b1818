"""Mining every scope (all baskets, then each customer group) into one rules table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from clustr_etl.dataset.rule_columns import DEFAULT_SCOPE
from clustr_etl.mining import MinedRules, MiningEngine, mine_rules_with_report
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
    parts = [
        scoped(
            mine_rules_with_report(scope.baskets, thresholds, engine, progress),
            thresholds,
            scope.baskets.n_transactions,
            scope=scope.name,
            since=scope.since,
            until=scope.until,
        )
        for scope in selected.scopes
    ]
    return ScopedRules(
        pd.concat([part.rules for part in parts], ignore_index=True),
        [note for part in parts for note in part.notes],
        [warning for part in parts for warning in part.warnings],
    )


def scoped(
    mined: MinedRules,
    thresholds: RuleThresholds,
    n_transactions: int,
    *,
    scope: str = DEFAULT_SCOPE,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ScopedRules:
    """One scope's rules with its ``scope``, ``since`` and ``until`` columns and its summary."""
    frame = mined.rules
    frame.insert(0, "scope", scope)
    frame["since"] = since
    frame["until"] = until
    used = mined.thresholds or thresholds  # the support may have been raised to fit --max-rules
    summary = summarize(scope, used, n_transactions, mined.quality, len(frame))
    prefix = "" if scope == DEFAULT_SCOPE else f"{scope}: "
    notes = [f"{prefix}{note}" for note in mined.notes]
    return ScopedRules(frame, [*summary.notes, *notes], summary.warnings)
