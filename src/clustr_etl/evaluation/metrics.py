"""Per-case accuracy and beyond-accuracy figures, summed per test basket (the bootstrap's unit).

With one hidden item per case: HR@k = 1 when it is in the top k; MRR@10 = 1 / position (1-based) when
in the top 10, else 0; NDCG@10 = 1 / log2(position + 1) when in the top 10, else 0 (the ideal DCG is 1).
``coverage`` is the share of cases with a non-empty list, ``popularity_rank`` the mean training
popularity rank (1 = most sold) of the recommended items, ``catalogue_coverage`` the share of the
training catalogue recommended at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from clustr_etl.evaluation.ranking import PAD

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
K_VALUES = (1, 5, 10)
LIST_LENGTH = 10
# Metrics that are means over cases (numerator per basket / cases per basket).
CASE_METRICS: tuple[str, ...] = ("hr@1", "hr@5", "hr@10", "mrr@10", "ndcg@10", "coverage")
METRICS: tuple[str, ...] = (*CASE_METRICS, "catalogue_coverage", "popularity_rank")


def case_metrics(top: Int64Array, hidden: Int64Array) -> dict[str, FloatArray]:
    """Each case-mean metric for each case (rows of ``top``: its list, -1 padded)."""
    found = top == hidden[:, None]
    hit = found.any(axis=1)
    position = np.where(hit, found.argmax(axis=1), LIST_LENGTH)  # 0-based
    values = {f"hr@{k}": (position < k).astype(np.float64) for k in K_VALUES}
    in_list = position < LIST_LENGTH
    values["mrr@10"] = np.where(in_list, 1.0 / (position + 1), 0.0)
    values["ndcg@10"] = np.where(in_list, 1.0 / np.log2(position + 2), 0.0)
    values["coverage"] = (top[:, 0] != PAD).astype(np.float64)
    return values


@dataclass
class MethodTotals:
    """One method's figures summed per test basket, and which (basket, item) it recommended."""

    n_baskets: int
    sums: dict[str, FloatArray] = field(default_factory=dict)
    rank_sum: FloatArray = field(default_factory=lambda: np.zeros(0))
    recommended: FloatArray = field(default_factory=lambda: np.zeros(0))
    pairs: list[Int64Array] = field(default_factory=list)  # basket * n_items + item

    def __post_init__(self) -> None:
        self.sums = {name: np.zeros(self.n_baskets) for name in CASE_METRICS}
        self.rank_sum = np.zeros(self.n_baskets)
        self.recommended = np.zeros(self.n_baskets)

    def add(
        self, basket: Int64Array, top: Int64Array, hidden: Int64Array, pop_rank: Int64Array
    ) -> None:
        for name, values in case_metrics(top, hidden).items():
            self.sums[name] += np.bincount(basket, weights=values, minlength=self.n_baskets)
        shown = top != PAD
        ranks = np.where(shown, pop_rank[np.where(shown, top, 0)] + 1, 0).sum(axis=1)
        self.rank_sum += np.bincount(basket, weights=ranks, minlength=self.n_baskets)
        self.recommended += np.bincount(basket, weights=shown.sum(axis=1), minlength=self.n_baskets)
        rows = np.repeat(basket, shown.sum(axis=1))
        self.pairs.append(rows * pop_rank.size + top[shown])

    def basket_items(self) -> Int64Array:
        """Distinct ``basket * n_items + item`` pairs recommended."""
        if not self.pairs:
            return np.zeros(0, dtype=np.int64)
        merged = np.sort(np.concatenate(self.pairs))
        if merged.size:
            fresh = np.empty(merged.size, dtype=bool)
            fresh[0] = True
            np.not_equal(merged[1:], merged[:-1], out=fresh[1:])
            merged = merged[fresh]
        self.pairs = [merged]
        return merged
