"""Association rules ``A => C`` from frequent itemsets: exact filtering, measures and ordering.

Every frequent itemset S with min_len <= |S| <= max_len gives one candidate rule per non-empty
proper subset C of S with |C| <= max_consequent_len (A = S \\ C; every split of S when
max_consequent_len >= |S| - 1, as mlxtend's ``association_rules``); a single item also gives
``{} => {c}``. Counts are looked up exactly (A and C are frequent subsets of S), thresholds are
compared on integers (see ``thresholds``) and the measures come from the counts (``measures``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR, MINED_COLUMNS
from clustr_etl.mining.itemsets import FrequentItemsets
from clustr_etl.mining.measures import rule_measures
from clustr_etl.mining.thresholds import RuleThresholds, exact_fraction, fraction_at_least

Int64Array = npt.NDArray[np.int64]

SORT_COLUMNS = ["lift", "confidence", "support", "antecedents", "consequents"]
SORT_ASCENDING = [False, False, False, True, True]


def passes_thresholds(
    rule_count: Int64Array,
    antecedent_count: Int64Array,
    consequent_count: Int64Array,
    n_transactions: int,
    thresholds: RuleThresholds,
) -> npt.NDArray[np.bool_]:
    """Exact confidence and lift checks (support is already guaranteed by the itemset miner)."""
    confident = fraction_at_least(
        rule_count, antecedent_count, exact_fraction(thresholds.min_confidence)
    )
    lifted = fraction_at_least(
        rule_count * n_transactions,
        antecedent_count * consequent_count,
        exact_fraction(thresholds.min_lift),
        strict=True,
    )
    return confident & lifted


def rules_frame(
    antecedents: Sequence[str] | npt.NDArray[np.object_],
    consequents: Sequence[str] | npt.NDArray[np.object_],
    rule_count: Int64Array,
    antecedent_count: Int64Array,
    consequent_count: Int64Array,
    n_transactions: int,
) -> pd.DataFrame:
    """The rules table (columns MINED_COLUMNS) in the documented deterministic order."""
    n = n_transactions
    r = np.asarray(rule_count, dtype=np.int64)
    a = np.asarray(antecedent_count, dtype=np.int64)
    c = np.asarray(consequent_count, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "antecedents": pd.Series(np.asarray(antecedents, dtype=object), dtype=object),
            "consequents": pd.Series(np.asarray(consequents, dtype=object), dtype=object),
            **rule_measures(r, a, c, n),
            "antecedent_count": a,
            "consequent_count": c,
            "rule_count": r,
            "n_transactions": np.full(r.shape[0], n, dtype=np.int64),
        },
        columns=list(MINED_COLUMNS),
    )
    ordered = frame.sort_values(SORT_COLUMNS, ascending=SORT_ASCENDING, kind="stable")
    return ordered.reset_index(drop=True)


def rules_from_itemsets(
    itemsets: FrequentItemsets, labels: list[str], thresholds: RuleThresholds
) -> pd.DataFrame:
    """All rules A => C passing the thresholds, from the complete set of frequent itemsets."""
    levels = itemsets.levels
    n = itemsets.n_transactions
    drop = _subset_ids(itemsets)
    antecedents: list[npt.NDArray[np.object_]] = []
    consequents: list[npt.NDArray[np.object_]] = []
    counts: list[tuple[Int64Array, Int64Array, Int64Array]] = []
    for size in range(max(thresholds.min_len, 1), min(thresholds.max_len, len(levels) - 1) + 1):
        r = levels[size].counts
        for cons_positions in _consequent_positions(size, thresholds.max_consequent_len):
            ante_positions = tuple(i for i in range(size) if i not in cons_positions)
            ante_ids = _kept_subset_ids(itemsets, drop, size, ante_positions)
            cons_ids = _kept_subset_ids(itemsets, drop, size, cons_positions)
            a = levels[len(ante_positions)].counts[ante_ids]
            c = levels[len(cons_positions)].counts[cons_ids]
            keep = passes_thresholds(r, a, c, n, thresholds)
            if not keep.any():
                continue
            antecedents.append(_itemset_keys(itemsets, labels, len(ante_positions), ante_ids[keep]))
            consequents.append(_itemset_keys(itemsets, labels, len(cons_positions), cons_ids[keep]))
            counts.append((r[keep], a[keep], c[keep]))
    if not counts:
        empty = np.zeros(0, dtype=np.int64)
        return rules_frame([], [], empty, empty, empty, n)
    return rules_frame(
        np.concatenate(antecedents),
        np.concatenate(consequents),
        np.concatenate([part[0] for part in counts]),
        np.concatenate([part[1] for part in counts]),
        np.concatenate([part[2] for part in counts]),
        n,
    )


def _consequent_positions(size: int, max_consequent_len: int) -> list[tuple[int, ...]]:
    """Positions (within an itemset of ``size`` items) of each consequent to try."""
    if size == 1:
        return [(0,)]  # {} => {c}
    longest = min(max_consequent_len, size - 1)
    return [
        combo
        for length in range(1, longest + 1)
        for combo in itertools.combinations(range(size), length)
    ]


def _kept_subset_ids(
    itemsets: FrequentItemsets, drop: list[Int64Array], size: int, kept: tuple[int, ...]
) -> Int64Array:
    """Ids (at level len(kept)) of the subsets keeping positions ``kept`` of every level-``size`` set."""
    level = itemsets.levels[size]
    if len(kept) == 1 and size > 1:  # a single item: its level-1 id is its miner code
        return level.itemsets[:, kept[0]].astype(np.int64)
    removed = [i for i in range(size) if i not in kept]
    if len(removed) == 1:
        return drop[size][:, removed[0]]
    ids = np.arange(level.keys.size, dtype=np.int64)
    current = size
    for position in reversed(removed):  # highest first: lower positions stay where they are
        ids = drop[current][ids, position]
        current -= 1
    return ids


def _subset_ids(itemsets: FrequentItemsets) -> list[Int64Array]:
    """``drop[k][j, i]``: id at level k-1 of itemset j of level k without its i-th item."""
    levels = itemsets.levels
    drop: list[Int64Array] = [np.zeros((1, 0), dtype=np.int64)]
    if len(levels) > 1:
        drop.append(np.zeros((levels[1].keys.size, 1), dtype=np.int64))
    for size in range(2, len(levels)):
        level = levels[size]
        parents = level.keys // itemsets.n_items
        last = level.itemsets[:, -1].astype(np.int64)
        columns = [
            itemsets.lookup(size - 1, drop[size - 1][parents, i], last) for i in range(size - 1)
        ]
        columns.append(parents)
        drop.append(np.column_stack(columns).astype(np.int64))
    return drop


def _itemset_keys(
    itemsets: FrequentItemsets, labels: list[str], size: int, ids: Int64Array
) -> npt.NDArray[np.object_]:
    """``"key|key|..."`` for itemsets ``ids`` of level ``size``, keys in canonical (code) order."""
    unique_ids, inverse = np.unique(ids, return_inverse=True)
    codes = np.sort(itemsets.item_codes[itemsets.levels[size].itemsets[unique_ids]], axis=1)
    texts = np.asarray(
        [ITEM_SEPARATOR.join([labels[c] for c in row]) for row in codes.tolist()], dtype=object
    )
    return texts[inverse]
