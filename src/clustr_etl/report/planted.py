"""Planted bundles (generated data): which were found as rules, planted strength vs mined lift."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd

from clustr_etl.dataset.layout import PLANTED_FILE
from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.report.facts import PlantedBundle


def read_planted(raw_dir: Path) -> list[PlantedBundle]:
    """The planted bundles of ``<raw>/planted_bundles.csv``; none when the file is absent or bad."""
    path = raw_dir / PLANTED_FILE
    if not path.is_file():
        return []
    try:
        frame = pd.read_csv(path, dtype={"product_ids": str})
        return [
            PlantedBundle(
                int(str(bundle)), tuple(str(ids).split(ITEM_SEPARATOR)), float(str(strength))
            )
            for bundle, ids, strength in zip(
                frame["bundle_id"], frame["product_ids"], frame["strength"], strict=True
            )
        ]
    except (OSError, ValueError, KeyError, AttributeError, pd.errors.ParserError):
        return []


def candidate_keys(planted: list[PlantedBundle]) -> tuple[set[str], set[str]]:
    """Every antecedent and consequent key a rule made of one bundle's items can have, whatever
    the order the miner joined the keys in (a superset: callers check the exact item sets)."""
    antecedents: set[str] = set()
    consequents: set[str] = set()
    for bundle in planted:
        for size in range(1, len(bundle.product_ids)):
            for keys in itertools.permutations(bundle.product_ids, size):
                antecedents.add(ITEM_SEPARATOR.join(keys))
                consequents.add(ITEM_SEPARATOR.join(keys))
    return antecedents, consequents


def _items(keys: str) -> frozenset[str]:
    return frozenset(str(keys).split(ITEM_SEPARATOR))


def bundle_results(
    planted: list[PlantedBundle], matches: pd.DataFrame, names: dict[str, str]
) -> list[dict[str, object]]:
    """Per bundle: its products, planted strength, whether a rule has exactly its items, the best
    such rule's lift, and the mined lift of its weakest item pair (what ``strength`` plants)."""
    by_items: dict[frozenset[str], list[float]] = {}
    for antecedents, consequents, lift in zip(
        matches["antecedents"], matches["consequents"], matches["lift"], strict=True
    ):
        by_items.setdefault(_items(antecedents) | _items(consequents), []).append(float(lift))
    results: list[dict[str, object]] = []
    for bundle in planted:
        items = frozenset(bundle.product_ids)
        whole = by_items.get(items, [])
        pair_lifts = [
            max(by_items[frozenset(pair)]) if frozenset(pair) in by_items else math.nan
            for pair in itertools.combinations(bundle.product_ids, 2)
        ]
        weakest = min(pair_lifts) if pair_lifts and not any(map(math.isnan, pair_lifts)) else None
        results.append(
            {
                "bundle": bundle.bundle_id,
                "products": [names.get(key, key) for key in bundle.product_ids],
                "strength": bundle.strength,
                "found": bool(whole),
                "best_lift": max(whole) if whole else None,
                "weakest_pair_lift": weakest,
            }
        )
    return results
