"""The per-case rule ranking that ``evaluation.rule_lists`` replaced, kept as the oracle of its tests:
every rule that fires on every case's context, ranked by (rule rank, popularity)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.evaluation.ranking import top_k_from_pairs
from clustr_etl.evaluation.recommenders import Context
from clustr_etl.evaluation.rule_lists import RULE_ORDER, item_matrix

Int64Array = npt.NDArray[np.int64]


class RuleRecommender:
    """The rules of one scope as sparse antecedent/consequent matrices over the training codes."""

    def __init__(self, rules: pd.DataFrame, vocabulary: dict[str, int], pop_rank: Int64Array):
        ordered = rules.sort_values(RULE_ORDER, ascending=False, kind="stable")
        n_items = pop_rank.size
        self.n_items = n_items
        self.n_rules = len(ordered)
        self.pop_rank = pop_rank
        self.antecedents = item_matrix(ordered["antecedents"], vocabulary, n_items)
        self.consequents = item_matrix(ordered["consequents"], vocabulary, n_items)
        self.antecedent_len = np.diff(self.antecedents.indptr).astype(np.int64)
        self.by_item = self.antecedents.T.tocsr()  # items x rules
        self.always_rules = np.flatnonzero(self.antecedent_len == 0)
        self._last: tuple[Context, int, Int64Array] | None = None

    def candidates(self, context: Context) -> tuple[Int64Array, Int64Array, Int64Array]:
        """(row, item, key) of every item some fired rule recommends; key = rule rank * n + popularity."""
        matched = (context.matrix @ self.by_item).tocoo()  # context items in each rule's antecedent
        fired = matched.data == self.antecedent_len[matched.col]
        rows = matched.row[fired].astype(np.int64)
        rules = matched.col[fired].astype(np.int64)
        if self.always_rules.size:
            rows = np.concatenate(
                [rows, np.repeat(np.arange(context.n_rows), self.always_rules.size)]
            )
            rules = np.concatenate([rules, np.tile(self.always_rules, context.n_rows)])
        indptr = self.consequents.indptr
        lengths = (indptr[rules + 1] - indptr[rules]).astype(np.int64)
        rows, rule_of = np.repeat(rows, lengths), np.repeat(rules, lengths)
        offsets = np.arange(rows.size, dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        items = self.consequents.indices[indptr[rule_of] + offsets].astype(np.int64)
        return rows, items, rule_of * self.n_items + self.pop_rank[items]

    def recommend(self, context: Context, k: int) -> Int64Array:
        if self._last is not None and self._last[0] is context and self._last[1] == k:
            return self._last[2]  # rules+popularity asks again for the same chunk
        rows, items, keys = self.candidates(context)
        top = top_k_from_pairs(rows, items, keys, k, context.in_basket)
        self._last = (context, k, top)
        return top
