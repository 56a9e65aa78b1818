"""The recommenders compared on the same cases: rules, popularity, co-occurrence, random, rules+popularity.

Every method gets a case's context (the basket without the hidden item) and returns up to ``k`` items,
never one already in the basket:

* ``popularity``: the training window's most sold products (most training baskets), best first.
* ``rules``: the rules whose antecedent lies inside the context recommend their consequent items. An
  item ranks by its best such rule: higher confidence first, then higher lift, then higher support,
  then the rules table's own order; items from the same rule (or tied) break by popularity. Rules with
  an empty antecedent (``--min-len 1``) fire on every basket. No rule fires: an empty list.
* ``rules+popularity``: the rules' list, filled up to ``k`` with popular items not yet in it.
* ``cooccurrence``: items by the number of training baskets they share with the context's items
  (summed over the context items, no thresholds), ties by popularity; never-co-bought items are left out.
* ``random``: ``k`` items drawn uniformly from the training catalogue (seeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clustr_etl.evaluation.ranking import (
    PAD,
    first_k_valid,
    top_k_dense,
    top_k_dense_desc,
)
from clustr_etl.mining.baskets import Baskets

Int64Array = npt.NDArray[np.int64]
NOT_RECOMMENDED = np.iinfo(np.int64).max
DENSE_ITEMS = 5000  # co-occurrence counts as a dense float32 matrix up to here (100 MB)


@dataclass(frozen=True)
class BasketSums:
    """Each context as its whole basket minus the one line left out (for products with many rows
    per basket: ``times`` multiplies each basket once)."""

    baskets: sp.csr_matrix  # the chunk's baskets x items, 0/1 float32 (known items)
    basket_of_row: Int64Array
    left_out: Int64Array  # per row: the item removed from the basket (< 0: unknown, none)


@dataclass(frozen=True)
class Context:
    """The contexts of a chunk of cases: (row, item) pairs, a 0/1 matrix and a mask of the items."""

    rows: Int64Array
    codes: Int64Array
    n_rows: int
    n_items: int
    matrix: sp.csr_matrix
    group: Int64Array  # per row: the index of the case's customer group
    in_basket: npt.NDArray[np.bool_]  # rows x items: true for the context's items

    sums: BasketSums | None = None

    @property
    def longest(self) -> int:
        return int(np.bincount(self.rows, minlength=1).max()) if self.rows.size else 0

    def times(self, dense: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """``matrix @ dense`` (rows x columns), the same numbers computed once per basket."""
        if self.sums is None:
            return np.asarray(self.matrix.astype(np.float32) @ dense)
        sums = self.sums
        product = np.asarray(sums.baskets @ dense)[sums.basket_of_row]
        known = np.flatnonzero(sums.left_out >= 0)
        product[known] -= dense[sums.left_out[known]]
        return product


class Recommender(Protocol):
    def recommend(self, context: Context, k: int) -> Int64Array: ...


def popularity_ranks(train: Baskets) -> tuple[Int64Array, Int64Array]:
    """Per item its popularity rank (0 = in most training baskets; ties by code) and the items in that order."""
    counts = np.bincount(train.items, minlength=len(train.labels))
    order = np.lexsort((np.arange(counts.size), -counts)).astype(np.int64)
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size, dtype=np.int64)
    return ranks, order


@dataclass
class Popularity:
    order: Int64Array  # items, most popular first

    def recommend(self, context: Context, k: int) -> Int64Array:
        width = min(self.order.size, k + context.longest)
        candidates = np.broadcast_to(self.order[:width], (context.n_rows, width))
        rows = np.arange(context.n_rows)[:, None]
        return first_k_valid(candidates, ~context.in_basket[rows, candidates], k)


@dataclass
class RandomItems:
    """Uniform draws with replacement, repeats and basket items skipped (rows short of ``k``
    items, in tiny catalogues, draw a full random order instead)."""

    n_items: int
    rng: np.random.Generator

    def recommend(self, context: Context, k: int) -> Int64Array:
        n_rows = context.n_rows
        width = 2 * (k + context.longest)
        if 4 * width > self.n_items:  # long baskets or a small catalogue: a full random order
            return self._shuffled(context, np.arange(n_rows), k)
        draws = self.rng.integers(0, self.n_items, size=(n_rows, width))
        order = np.argsort(draws, axis=1, kind="stable")
        ranked = np.take_along_axis(draws, order, axis=1)
        repeated_sorted = np.zeros(draws.shape, dtype=bool)
        repeated_sorted[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
        repeated = np.empty_like(repeated_sorted)
        np.put_along_axis(repeated, order, repeated_sorted, axis=1)
        rows = np.arange(n_rows)[:, None]
        top = first_k_valid(draws, ~repeated & ~context.in_basket[rows, draws], k)
        available = np.minimum(k, self.n_items - context.in_basket.sum(axis=1))
        short = np.flatnonzero((top != PAD).sum(axis=1) < available)
        if short.size:
            top[short] = self._shuffled(context, short, k)
        return top

    def _shuffled(self, context: Context, rows: Int64Array, k: int) -> Int64Array:
        keys = self.rng.random((rows.size, self.n_items))
        keys[context.in_basket[rows]] = np.inf
        ranks = np.full(keys.shape, NOT_RECOMMENDED, dtype=np.int64)
        finite = np.isfinite(keys)
        ranks[finite] = (keys[finite] * 2.0**53).astype(np.int64)
        return top_k_dense(ranks, k, NOT_RECOMMENDED)


@dataclass
class RulesThenPopularity:
    rules: Recommender
    popularity: Popularity

    def recommend(self, context: Context, k: int) -> Int64Array:
        first = self.rules.recommend(context, k)
        fill = self.popularity.recommend(context, 2 * k)
        taken = (fill[:, :, None] == first[:, None, :]).any(axis=2)
        merged = np.concatenate([first, fill], axis=1)
        valid = np.concatenate([first != PAD, (fill != PAD) & ~taken], axis=1)
        return first_k_valid(merged, valid, k)


class CoOccurrence:
    """Training co-purchase counts (items x items, the diagonal left out; dense up to
    ``DENSE_ITEMS`` items)."""

    def __init__(self, train: Baskets, pop_rank: Int64Array):
        n_items = pop_rank.size
        rows = np.repeat(np.arange(train.n_transactions), np.diff(train.indptr))
        data = np.ones(rows.size, dtype=np.int64)
        baskets = sp.csr_matrix((data, (rows, train.items)), shape=(train.n_transactions, n_items))
        counts = (baskets.T @ baskets).tocsr()
        counts.setdiag(0)
        counts.eliminate_zeros()
        self.counts: sp.csr_matrix | npt.NDArray[np.float32] = (
            counts.toarray().astype(np.float32) if n_items <= DENSE_ITEMS else counts
        )
        self.tie_break = 1.0 - (pop_rank + 1.0) / (n_items + 1.0)

    def recommend(self, context: Context, k: int) -> Int64Array:
        if isinstance(self.counts, np.ndarray):
            product = context.times(self.counts)
        else:
            product = np.asarray((context.matrix @ self.counts).toarray(), dtype=np.float32)
        # Whole counts, ties broken by popularity: count + (1 - (rank + 1) / (n + 1)), best first.
        scores = np.add(product, self.tie_break[None, :], dtype=np.float64)
        scores[context.in_basket] = 0.0
        top = top_k_dense_desc(scores, k)
        best = np.take_along_axis(scores, np.maximum(top, 0), axis=1)
        top[best < 1.0] = PAD  # never bought with the basket's items
        return top


@dataclass
class ByGroup:
    """Per case the recommender of its customer group (``--by segment``)."""

    recommenders: dict[int, Recommender]

    def recommend(self, context: Context, k: int) -> Int64Array:
        top = np.full((context.n_rows, k), PAD, dtype=np.int64)
        for group, recommender in self.recommenders.items():
            chosen = np.flatnonzero(context.group == group)
            if chosen.size:
                top[chosen] = recommender.recommend(_rows_of(context, chosen), k)
        return top


def _rows_of(context: Context, chosen: Int64Array) -> Context:
    new_row = np.full(context.n_rows, -1, dtype=np.int64)
    new_row[chosen] = np.arange(chosen.size, dtype=np.int64)
    keep = new_row[context.rows] >= 0
    rows, codes = new_row[context.rows[keep]], context.codes[keep]
    sums = context.sums
    if sums is not None:
        sums = BasketSums(sums.baskets, sums.basket_of_row[chosen], sums.left_out[chosen])
    return Context(
        rows,
        codes,
        chosen.size,
        context.n_items,
        context.matrix[chosen],
        context.group[chosen],
        context.in_basket[chosen],
        sums,
    )
