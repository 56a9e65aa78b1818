"""Basket-completion cases: every test basket with at least 2 items hides each item in turn.

Items are coded in the training vocabulary (the training baskets' labels); a test item never sold
in the training window gets ``UNKNOWN``: it can be hidden (every method misses it) but gives no
evidence as context. A case's context is the rest of its basket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clustr_etl.evaluation.recommenders import BasketSums
from clustr_etl.mining.baskets import Baskets

Int64Array = npt.NDArray[np.int64]
UNKNOWN = -2  # never equal to a padding (-1) in a recommendation list
MIN_BASKET_ITEMS = 2


@dataclass(frozen=True)
class TestBaskets:
    """Test baskets as CSR arrays of training codes (``UNKNOWN`` for unseen items), with a group id."""

    indptr: Int64Array
    codes: Int64Array
    group: Int64Array  # one per basket: the index of its customer group (0 without --by)

    @property
    def n_baskets(self) -> int:
        return int(self.indptr.size) - 1


@dataclass(frozen=True)
class Cases:
    """One case per hidden item: its basket and the position of the hidden line in ``codes``."""

    baskets: TestBaskets
    basket: Int64Array
    position: Int64Array

    @property
    def n_cases(self) -> int:
        return int(self.basket.size)

    @property
    def hidden(self) -> Int64Array:
        return self.baskets.codes[self.position]

    def subset(self, rows: slice) -> Cases:
        return Cases(self.baskets, self.basket[rows], self.position[rows])


def coded_baskets(
    parts: list[Baskets], vocabulary: dict[str, int], groups: list[int] | None = None
) -> TestBaskets:
    """Concatenate test baskets (one part per customer group) in training codes."""
    indptrs: list[Int64Array] = []
    codes: list[Int64Array] = []
    group: list[Int64Array] = []
    offset = 0
    for index, part in enumerate(parts):
        lookup = np.asarray([vocabulary.get(label, UNKNOWN) for label in part.labels], np.int64)
        codes.append(lookup[part.items] if part.items.size else np.zeros(0, np.int64))
        indptrs.append(part.indptr[1:] + offset)
        offset += int(part.indptr[-1])
        group.append(np.full(part.n_transactions, groups[index] if groups else index, np.int64))
    return TestBaskets(
        np.concatenate([np.zeros(1, np.int64), *indptrs]),
        np.concatenate(codes) if codes else np.zeros(0, np.int64),
        np.concatenate(group) if group else np.zeros(0, np.int64),
    )


def build_cases(baskets: TestBaskets, max_cases: int | None, seed: int) -> Cases:
    """Every (basket, hidden item) of the baskets with >= 2 items; a seeded sample of ``max_cases``."""
    sizes = np.diff(baskets.indptr)
    eligible = np.flatnonzero(sizes >= MIN_BASKET_ITEMS)
    counts = sizes[eligible]
    basket = np.repeat(eligible, counts)
    starts = np.repeat(baskets.indptr[eligible], counts)
    within = np.arange(basket.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    position = starts + within
    if max_cases is not None and max_cases < basket.size:
        chosen = np.sort(np.random.default_rng(seed).choice(basket.size, max_cases, replace=False))
        basket, position = basket[chosen], position[chosen]
    return Cases(baskets, basket.astype(np.int64), position.astype(np.int64))


def context_pairs(cases: Cases) -> tuple[Int64Array, Int64Array]:
    """(case row, item code) of every known context item: the basket without the hidden line."""
    indptr = cases.baskets.indptr
    sizes = indptr[cases.basket + 1] - indptr[cases.basket]
    rows = np.repeat(np.arange(cases.n_cases, dtype=np.int64), sizes)
    offsets = np.arange(rows.size, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    lines = np.repeat(indptr[cases.basket], sizes) + offsets
    keep = lines != np.repeat(cases.position, sizes)
    rows, codes = rows[keep], cases.baskets.codes[lines[keep]]
    known = codes >= 0
    return rows[known], codes[known]


def context_matrix(rows: Int64Array, codes: Int64Array, n_rows: int, n_items: int) -> sp.csr_matrix:
    """The contexts as a 0/1 sparse matrix (cases x items)."""
    data = np.ones(rows.size, dtype=np.int64)
    return sp.csr_matrix((data, (rows, codes)), shape=(n_rows, n_items))


def basket_sums(cases: Cases, n_items: int) -> BasketSums:
    """The chunk's distinct baskets as a 0/1 matrix, each case's basket and its hidden item."""
    local, basket_of_row = sorted_unique(cases.basket)
    indptr = cases.baskets.indptr
    sizes = indptr[local + 1] - indptr[local]
    rows = np.repeat(np.arange(local.size, dtype=np.int64), sizes)
    offsets = np.arange(rows.size, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    codes = cases.baskets.codes[np.repeat(indptr[local], sizes) + offsets]
    known = codes >= 0
    data = np.ones(int(known.sum()), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows[known], codes[known])), shape=(local.size, n_items))
    return BasketSums(matrix, basket_of_row.astype(np.int64), cases.hidden)


def sorted_unique(values: Int64Array) -> tuple[Int64Array, Int64Array]:
    """The distinct values of a non-decreasing array and each element's index among them."""
    if values.size == 0:
        return values, np.zeros(0, dtype=np.int64)
    starts = np.empty(values.size, dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return values[starts], np.cumsum(starts, dtype=np.int64) - 1
