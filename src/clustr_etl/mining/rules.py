"""Association rules ``A => {c}`` from frequent itemsets: exact filtering, metrics and ordering.

Every frequent itemset S with min_len <= |S| <= max_len gives one candidate rule per item c of S:
A = S \\ {c}. Counts are looked up exactly (the antecedent is a frequent subset), thresholds are
compared on integers (see ``thresholds``), and metrics are computed from the counts:

support = n(S)/N, confidence = n(S)/n(A), lift = n(S)*N / (n(A)*n(c)),
leverage = (n(S)*N - n(A)*n(c)) / N^2, conviction = n(A)*(N - n(c)) / (N*(n(A) - n(S))) (inf if n(A) = n(S)).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.mining.itemsets import FrequentItemsets
from clustr_etl.mining.thresholds import RuleThresholds, exact_fraction, fraction_at_least

Int64Array = npt.NDArray[np.int64]

ITEM_SEPARATOR = "|"
RULE_COLUMNS: tuple[str, ...] = (
    "antecedents",
    "consequents",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "antecedent_count",
    "consequent_count",
    "rule_count",
    "n_transactions",
)
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
    """The rules table (columns RULE_COLUMNS) in the documented deterministic order."""
    n = n_transactions
    r = np.asarray(rule_count, dtype=np.int64)
    a = np.asarray(antecedent_count, dtype=np.int64)
    c = np.asarray(consequent_count, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(a == r, np.inf, (a * (n - c)) / (n * (a - r)))
    frame = pd.DataFrame(
        {
            "antecedents": pd.Series(np.asarray(antecedents, dtype=object), dtype=object),
            "consequents": pd.Series(np.asarray(consequents, dtype=object), dtype=object),
            "support": r / n,
            "confidence": r / a,
            "lift": (r * n) / (a * c),
            "leverage": (r * n - a * c) / float(n * n),
            "conviction": conviction.astype(np.float64),
            "antecedent_count": a,
            "consequent_count": c,
            "rule_count": r,
            "n_transactions": np.full(r.shape[0], n, dtype=np.int64),
        },
        columns=list(RULE_COLUMNS),
    )
    ordered = frame.sort_values(SORT_COLUMNS, ascending=SORT_ASCENDING, kind="stable")
    return ordered.reset_index(drop=True)


def rules_from_itemsets(
    itemsets: FrequentItemsets, labels: list[str], thresholds: RuleThresholds
) -> pd.DataFrame:
    """All rules A => {c} passing the thresholds, from the complete set of frequent itemsets."""
    levels = itemsets.levels
    n = itemsets.n_transactions
    drop = _subset_ids(itemsets)
    item_counts = levels[1].counts
    antecedents: list[npt.NDArray[np.object_]] = []
    consequents: list[npt.NDArray[np.object_]] = []
    counts: list[tuple[Int64Array, Int64Array, Int64Array]] = []
    item_labels = np.asarray([labels[code] for code in itemsets.item_codes.tolist()], dtype=object)
    for size in range(max(thresholds.min_len, 1), min(thresholds.max_len, len(levels) - 1) + 1):
        level = levels[size]
        for position in range(size):
            ante_ids = drop[size][:, position]
            items = level.itemsets[:, position].astype(np.int64)
            r, a, c = level.counts, levels[size - 1].counts[ante_ids], item_counts[items]
            keep = passes_thresholds(r, a, c, n, thresholds)
            if not keep.any():
                continue
            antecedents.append(_itemset_keys(itemsets, labels, size - 1, ante_ids[keep]))
            consequents.append(item_labels[items[keep]])
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
