"""The ``rules`` recommender, scored per test basket instead of per case.

A case's context is its basket without the hidden item ``h``, so the rules that fire on it are the
rules that fire on the whole basket minus those whose antecedent holds ``h``. The rules are grouped
by antecedent (each antecedent's consequent items in rank order, an item's best rule only) and the
antecedents that fire are found once per basket (a sparse product over the basket's items), not once
per case: a 32-item basket has 32 cases but one enumeration.

Per basket the consequent items outside the basket form one list sorted by key (``rule rank * n +
popularity rank``, the key of the per-case ranking). A case reads the start of that list, skips the
entries whose antecedent holds ``h`` and keeps each item's first entry: once it has ``k`` distinct
items (or the list ends), every item further down has a larger key, so the top ``k`` are exact.
Otherwise it reads four times further. The hidden item itself is the only basket item a context can
be offered: its key is its best entry over the basket's antecedents (an antecedent never holds its
own consequent). So the lists equal those of ranking every fired rule of every case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.evaluation.ranking import top_k_from_pairs
from clustr_etl.evaluation.recommenders import BasketSums, Context

Int64Array = npt.NDArray[np.int64]
RULE_ORDER = ["confidence", "lift", "support"]
NO_ITEM = -3  # never an item code, an antecedent padding (-1) or an unknown item (-2)
FIRST_READ = 4  # a case first reads FIRST_READ * k entries of its basket's list


def item_matrix(keys: pd.Series, vocabulary: dict[str, int], n_items: int) -> sp.csr_matrix:
    """One row per rule: its items (``a|b|c``) as 0/1 over the training codes (empty keys: no item)."""
    lists = [[vocabulary[key] for key in text.split(ITEM_SEPARATOR) if key] for text in keys]
    lengths = np.asarray([len(items) for items in lists], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.asarray([c for items in lists for c in items], dtype=np.int64)
    data = np.ones(indices.size, dtype=np.int64)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(lists), n_items))
    matrix.sum_duplicates()  # sorted item codes per row
    return matrix


def expand(indptr: Int64Array, rows: Int64Array) -> tuple[Int64Array, Int64Array]:
    """For CSR ``indptr`` and selected ``rows``: each selected row's entry positions and whose they are."""
    lengths = (indptr[rows + 1] - indptr[rows]).astype(np.int64)
    owner = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
    offsets = np.arange(owner.size, dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    return np.repeat(indptr[rows], lengths) + offsets, owner


@dataclass(frozen=True)
class _BasketLists:
    """A chunk's baskets: their consequent items outside the basket (sorted by key per basket)
    and the best key of each basket item some fired rule recommends."""

    indptr: Int64Array  # per basket, into the arrays below
    antecedent: Int64Array
    item: Int64Array
    key: Int64Array
    inside: Int64Array  # sorted basket * n_items + item
    inside_key: Int64Array


class RuleRecommender:
    """The rules of one scope, grouped by antecedent, ranked as described in ``recommenders``."""

    def __init__(self, rules: pd.DataFrame, vocabulary: dict[str, int], pop_rank: Int64Array):
        ordered = rules.sort_values(RULE_ORDER, ascending=False, kind="stable")
        n_items = pop_rank.size
        self.n_items = n_items
        # Parse each distinct text once: 263,411 rules of Online Retail have 40,241 antecedents.
        text_of_rule, texts = pd.factorize(ordered["antecedents"])
        text_antecedent, first_text = self._distinct_antecedents(
            item_matrix(pd.Series(texts), vocabulary, n_items)
        )
        distinct = item_matrix(pd.Series(texts[first_text]), vocabulary, n_items)
        rule_antecedent = text_antecedent[text_of_rule]
        consequent_of_rule, consequent_texts = pd.factorize(ordered["consequents"])
        consequents = item_matrix(pd.Series(consequent_texts), vocabulary, n_items)
        self.antecedent_len = np.diff(distinct.indptr).astype(np.int64)
        self.by_item = distinct.T.tocsr()  # items x antecedents
        self.always = np.flatnonzero(self.antecedent_len == 0)  # the empty antecedent, if any
        width = int(self.antecedent_len.max()) if self.antecedent_len.size else 0
        self.antecedent_items = np.full((first_text.size, max(width, 1)), -1, dtype=np.int64)
        positions, owner = expand(distinct.indptr.astype(np.int64), np.arange(first_text.size))
        column = positions - distinct.indptr[owner]
        self.antecedent_items[owner, column] = distinct.indices[positions]
        # Each antecedent's consequent items, best key first, an item's best rule only.
        positions, rule = expand(consequents.indptr.astype(np.int64), consequent_of_rule)
        items = consequents.indices[positions].astype(np.int64)
        keys = rule * n_items + pop_rank[items]
        owners = rule_antecedent[rule]
        order = np.lexsort((keys, items, owners))
        owners, items, keys = owners[order], items[order], keys[order]
        best = np.ones(owners.size, dtype=bool)
        best[1:] = (owners[1:] != owners[:-1]) | (items[1:] != items[:-1])
        owners, items, keys = owners[best], items[best], keys[best]
        order = np.lexsort((keys, owners))
        self.items, self.keys = items[order], keys[order]
        self.indptr = np.searchsorted(owners[order], np.arange(first_text.size + 1)).astype(
            np.int64
        )
        self._last: tuple[Context, int, Int64Array] | None = None

    @staticmethod
    def _distinct_antecedents(antecedents: sp.csr_matrix) -> tuple[Int64Array, Int64Array]:
        """Per row the index of its item set among the distinct ones, and each one's first row."""
        indptr, indices = antecedents.indptr, antecedents.indices
        texts = [indices[indptr[r] : indptr[r + 1]].tobytes() for r in range(indptr.size - 1)]
        codes, _ = pd.factorize(pd.Series(texts, dtype=object))
        codes = codes.astype(np.int64)
        first = np.full(int(codes.max()) + 1 if codes.size else 0, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(codes.size - 1, -1, -1, dtype=np.int64)
        return codes, first

    def recommend(self, context: Context, k: int) -> Int64Array:
        if self._last is not None and self._last[0] is context and self._last[1] == k:
            return self._last[2]  # rules+popularity asks again for the same chunk
        sums = context.sums or _own_baskets(context)
        used, basket = np.unique(sums.basket_of_row, return_inverse=True)
        present = sums.baskets[used]
        lists = self._basket_lists(present)
        hidden = sums.left_out
        row = np.arange(context.n_rows, dtype=np.int64)
        # The hidden item is out of the context unless the basket holds it twice (then it stays).
        out = hidden >= 0
        out[out] = ~context.in_basket[row[out], hidden[out]]
        excluded = np.where(out, hidden, NO_ITEM)
        rows, items, keys = self._hits(lists, basket, hidden, out)
        parts = [(rows, items, keys)]
        pending, read = row, FIRST_READ * k
        while pending.size:
            done, found = self._read(lists, basket[pending], excluded[pending], read, k)
            positions, owner = found
            parts.append((pending[owner], lists.item[positions], lists.key[positions]))
            pending, read = pending[~done], read * 4
        top = top_k_from_pairs(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            k,
            context.in_basket,
        )
        self._last = (context, k, top)
        return top

    def _basket_lists(self, present: sp.csr_matrix) -> _BasketLists:
        n_baskets, n_items = present.shape
        ones = present.copy()
        ones.data = np.ones(ones.data.size, dtype=np.int64)
        matched = (ones @ self.by_item).tocoo()  # basket items in each antecedent
        fired = matched.data == self.antecedent_len[matched.col]
        baskets = matched.row[fired].astype(np.int64)
        antecedents = matched.col[fired].astype(np.int64)
        if self.always.size:
            baskets = np.concatenate([baskets, np.arange(n_baskets, dtype=np.int64)])
            antecedents = np.concatenate([antecedents, np.repeat(self.always, n_baskets)])
        positions, owner = expand(self.indptr, antecedents)
        baskets, antecedents = baskets[owner], antecedents[owner]
        items, keys = self.items[positions], self.keys[positions]
        member = (ones.toarray() > 0)[baskets, items]  # baskets x items: at most the chunk's cells
        inside = baskets[member] * n_items + items[member]
        order = np.lexsort((keys[member], inside))
        inside, inside_key = inside[order], keys[member][order]
        first = np.ones(inside.size, dtype=bool)
        first[1:] = inside[1:] != inside[:-1]
        outside = ~member
        baskets, antecedents = baskets[outside], antecedents[outside]
        items, keys = items[outside], keys[outside]
        order = np.lexsort((keys, items, baskets))
        baskets, antecedents, items, keys = (a[order] for a in (baskets, antecedents, items, keys))
        keep = self._alternatives(baskets * n_items + items, antecedents)
        baskets, antecedents, items, keys = (a[keep] for a in (baskets, antecedents, items, keys))
        order = np.lexsort((keys, baskets))
        indptr = np.searchsorted(baskets[order], np.arange(n_baskets + 1)).astype(np.int64)
        return _BasketLists(
            indptr, antecedents[order], items[order], keys[order], inside[first], inside_key[first]
        )

    def _alternatives(self, group: Int64Array, antecedents: Int64Array) -> npt.NDArray[np.bool_]:
        """The entries a case can need, of entries grouped by (basket, item), best key first.

        A case that hides ``h`` takes an item's first entry whose antecedent lacks ``h``: the
        group's first entry, or (``h`` in its antecedent A1) the first entry lacking ``h``. So per
        group the first entry and, for each item of A1, the first later entry without it.
        """
        starts = np.ones(group.size, dtype=bool)
        starts[1:] = group[1:] != group[:-1]
        start_of = np.maximum.accumulate(np.where(starts, np.arange(group.size), 0))
        first = self.antecedent_items[antecedents[start_of]]  # entries x width: A1's items
        own = self.antecedent_items[antecedents]
        lacks = (first >= 0) & ~(first[:, :, None] == own[:, None, :]).any(axis=2)
        lacks[starts] = False
        seen = np.cumsum(lacks, axis=0)
        before = seen[start_of] - lacks[start_of]  # counts up to the group's start, exclusive
        needed: npt.NDArray[np.bool_] = starts | (lacks & (seen - before == 1)).any(axis=1)
        return needed

    def _hits(
        self,
        lists: _BasketLists,
        basket: Int64Array,
        hidden: Int64Array,
        out: npt.NDArray[np.bool_],
    ) -> tuple[Int64Array, Int64Array, Int64Array]:
        """(row, hidden item, key) for the rows whose hidden item some fired rule recommends."""
        rows = np.flatnonzero(out)
        wanted = basket[rows] * self.n_items + hidden[rows]
        at = np.minimum(np.searchsorted(lists.inside, wanted), max(lists.inside.size - 1, 0))
        found = lists.inside.size > 0
        hit = (lists.inside[at] == wanted) if found else np.zeros(rows.size, dtype=bool)
        return rows[hit], hidden[rows[hit]], lists.inside_key[at[hit]]

    def _read(
        self, lists: _BasketLists, basket: Int64Array, excluded: Int64Array, read: int, k: int
    ) -> tuple[npt.NDArray[np.bool_], tuple[Int64Array, Int64Array]]:
        """The first ``read`` entries of each row's basket list that do not use ``excluded``:
        whether the row is done (``k`` distinct items, or its list ended) and (entry, row) pairs."""
        length = lists.indptr[basket + 1] - lists.indptr[basket]
        shown = np.minimum(length, read)
        owner = np.repeat(np.arange(basket.size, dtype=np.int64), shown)
        offsets = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(shown) - shown, shown)
        positions = lists.indptr[basket][owner] + offsets
        uses = (self.antecedent_items[lists.antecedent[positions]] == excluded[owner, None]).any(1)
        positions, owner = positions[~uses], owner[~uses]
        pairs = np.unique(owner * self.n_items + lists.item[positions])
        distinct = np.bincount(pairs // self.n_items, minlength=basket.size)
        done = (distinct >= k) | (shown == length)
        keep = done[owner]
        return done, (positions[keep], owner[keep])


def _own_baskets(context: Context) -> BasketSums:
    """Each context as its own basket with nothing left out."""
    rows = np.arange(context.n_rows, dtype=np.int64)
    no_item = np.full(context.n_rows, NO_ITEM, dtype=np.int64)
    return BasketSums(context.matrix.astype(np.float32).tocsr(), rows, no_item)
