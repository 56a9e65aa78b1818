"""Scoring mined rules against known (planted) bundles: the yardstick of the size table in README.

A rule counts as planted when all its items (A+C) belong to one planted bundle; a planted bundle is
recalled when some rule's A+C is exactly that bundle.
"""

from __future__ import annotations

import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR


def rule_item_sets(rules: pd.DataFrame) -> list[frozenset[str]]:
    """A+C of each rule (empty antecedents give no item)."""
    return [
        (frozenset(a.split(ITEM_SEPARATOR)) - {""}) | frozenset(c.split(ITEM_SEPARATOR))
        for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
    ]


def planted_precision(
    rules: pd.DataFrame, planted: list[frozenset[str]], top: int = 20
) -> float | None:
    """Share of the top min(top, len(rules)) rules by lift inside one planted bundle (None: no rule)."""
    best = rules.sort_values("lift", ascending=False, kind="stable").head(top)
    if best.empty:
        return None
    hits = [any(items <= bundle for bundle in planted) for items in rule_item_sets(best)]
    return sum(hits) / len(hits)


def planted_recall(rules: pd.DataFrame, planted: list[frozenset[str]]) -> float:
    """Share of the planted bundles found as some rule's A+C."""
    found = set(rule_item_sets(rules))
    return sum(bundle in found for bundle in planted) / len(planted) if planted else 1.0
