"""Reference engine: mlxtend ``fpgrowth`` + ``association_rules`` on a sparse DataFrame.

Slow and memory hungry on big data (mlxtend densifies internally), but an independent oracle.
mlxtend is given a support slightly below the exact count threshold (so float rounding cannot drop
an itemset), and the exact integer checks of ``thresholds`` are applied afterwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy import sparse

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.rules import passes_thresholds, rules_frame
from clustr_etl.mining.thresholds import RuleThresholds


def mine_rules_mlxtend(baskets: Baskets, thresholds: RuleThresholds) -> pd.DataFrame:
    n = baskets.n_transactions
    min_count = thresholds.count_threshold(n)
    matrix = sparse.csr_matrix(
        (np.ones(baskets.items.size, dtype=bool), baskets.items, baskets.indptr),
        shape=(n, len(baskets.labels)),
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix)  # type: ignore[attr-defined]
    frequent = fpgrowth(onehot, min_support=(min_count - 0.5) / n, max_len=thresholds.max_len)
    frequent["count"] = np.rint(frequent["support"].to_numpy() * n).astype(np.int64)
    frequent = frequent[frequent["count"] >= min_count]
    counts = {
        frozenset(s): int(c) for s, c in zip(frequent["itemsets"], frequent["count"], strict=True)
    }
    antecedents: list[frozenset[int]] = []
    consequents: list[frozenset[int]] = []
    if thresholds.min_len <= 1:
        for itemset in counts:
            if len(itemset) == 1:
                antecedents.append(frozenset())
                consequents.append(itemset)
    if len(frequent) and thresholds.max_len >= 2 and frequent["itemsets"].map(len).max() >= 2:
        rules = association_rules(
            frequent[["support", "itemsets"]],
            num_itemsets=n,
            metric="confidence",
            min_threshold=0.0,
        )
        for ante, cons in zip(rules["antecedents"], rules["consequents"], strict=True):
            size = len(ante) + len(cons)
            if (
                len(cons) <= thresholds.max_consequent_len
                and thresholds.min_len <= size <= thresholds.max_len
            ):
                antecedents.append(frozenset(ante))
                consequents.append(frozenset(cons))
    counts[frozenset()] = n
    r = np.asarray(
        [counts[a | c] for a, c in zip(antecedents, consequents, strict=True)], dtype=np.int64
    )
    a = np.asarray([counts[ante] for ante in antecedents], dtype=np.int64)
    c = np.asarray([counts[cons] for cons in consequents], dtype=np.int64)
    keep = passes_thresholds(r, a, c, n, thresholds)
    labels = baskets.labels
    ante_keys = [ITEM_SEPARATOR.join(labels[i] for i in sorted(ante)) for ante in antecedents]
    cons_keys = [ITEM_SEPARATOR.join(labels[i] for i in sorted(cons)) for cons in consequents]
    return rules_frame(
        np.asarray(ante_keys, dtype=object)[keep],
        np.asarray(cons_keys, dtype=object)[keep],
        r[keep],
        a[keep],
        c[keep],
        n,
    )
