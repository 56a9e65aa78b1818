"""Association rules ``A => C`` from frequent itemsets: exact filtering, measures and ordering.

Every frequent itemset S with min_len <= |S| <= max_len gives one candidate rule per non-empty
proper subset C of S with |C| <= max_consequent_len (A = S \\ C; every split of S when
max_consequent_len >= |S| - 1, as mlxtend's ``association_rules``); a single item also gives
``{} => {c}``. Counts are looked up exactly (A and C are frequent subsets of S), thresholds are
compared on integers (see ``thresholds``) and the measures come from the counts (``measures``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clustr_etl.dataset.csv_fields import joined_columns
from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR, MINED_COLUMNS
from clustr_etl.dataset.rule_csv import distinct_rows
from clustr_etl.mining.itemsets import FrequentItemsets
from clustr_etl.mining.measures import rule_measures, sort_measures
from clustr_etl.mining.thresholds import RuleThresholds, exact_fraction, fraction_at_least

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
IdArray = npt.NDArray[np.signedinteger[Any]]  # int32 where the values fit

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


class RuleTable(Protocol):
    """Rules in their final order, offered a chunk of rows at a time."""

    def __len__(self) -> int: ...

    def frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rules table ``chunk_rows`` rows at a time (one empty frame when there are none)."""
        ...

    def head(self, rows: int) -> pd.DataFrame:
        """The first ``rows`` rules."""
        ...

    def to_frame(self) -> pd.DataFrame: ...


@dataclass(frozen=True)
class FrameRules:
    """A rules table already in memory (the mlxtend and Spark engines) as a RuleTable."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        yield self.frame.iloc[:chunk_rows]
        for start in range(chunk_rows, len(self.frame), chunk_rows):
            yield self.frame.iloc[start : start + chunk_rows]

    def head(self, rows: int) -> pd.DataFrame:
        return self.frame.iloc[:rows]

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def measured_frame(
    antecedents: Sequence[str] | npt.NDArray[np.object_],
    consequents: Sequence[str] | npt.NDArray[np.object_],
    rule_count: IdArray,
    antecedent_count: IdArray,
    consequent_count: IdArray,
    n_transactions: int,
) -> pd.DataFrame:
    """The rules table (columns MINED_COLUMNS) of these rules, in the order given."""
    n = n_transactions
    r = np.asarray(rule_count, dtype=np.int64)
    a = np.asarray(antecedent_count, dtype=np.int64)
    c = np.asarray(consequent_count, dtype=np.int64)
    return pd.DataFrame(
        {
            "antecedents": pd.Series(np.asarray(antecedents, dtype=object), dtype=object),
            "consequents": pd.Series(np.asarray(consequents, dtype=object), dtype=object),
            **distinct_measures(r, a, c, n),
            "antecedent_count": a,
            "consequent_count": c,
            "rule_count": r,
            "n_transactions": np.full(r.shape[0], n, dtype=np.int64),
        },
        columns=list(MINED_COLUMNS),
    )


def distinct_measures(r: Int64Array, a: Int64Array, c: Int64Array, n: int) -> dict[str, FloatArray]:
    """``rule_measures``, computed once per distinct (n(AC), n(A), n(C)): rules of identical
    baskets share a few (the Fisher test is the costly measure)."""
    if r.size == 0:
        return rule_measures(r, a, c, n)
    first, rows = distinct_rows([r, a, c])
    measures = rule_measures(r[first], a[first], c[first], n)
    return {name: values[rows] for name, values in measures.items()}


def rules_frame(
    antecedents: Sequence[str] | npt.NDArray[np.object_],
    consequents: Sequence[str] | npt.NDArray[np.object_],
    rule_count: Int64Array,
    antecedent_count: Int64Array,
    consequent_count: Int64Array,
    n_transactions: int,
) -> pd.DataFrame:
    """The rules table (columns MINED_COLUMNS) in the documented deterministic order."""
    frame = measured_frame(
        antecedents, consequents, rule_count, antecedent_count, consequent_count, n_transactions
    )
    ordered = frame.sort_values(SORT_COLUMNS, ascending=SORT_ASCENDING, kind="stable")
    return ordered.reset_index(drop=True)


def rules_from_itemsets(
    itemsets: FrequentItemsets, labels: list[str], thresholds: RuleThresholds
) -> pd.DataFrame:
    """All rules A => C passing the thresholds, from the complete set of frequent itemsets."""
    return build_rule_set(itemsets, labels, thresholds).to_frame()


def build_rule_set(
    itemsets: FrequentItemsets, labels: list[str], thresholds: RuleThresholds
) -> RuleSet:
    """All rules A => C passing the thresholds, as numbers (itemset ids and counts), in the
    documented order; names are joined only when rows are asked for (``RuleSet.frames``)."""
    catalog = ItemsetCatalog(itemsets, labels)
    levels = itemsets.levels
    n = itemsets.n_transactions
    drop = subset_ids(itemsets)
    compact = np.int32 if max(catalog.counts.size, n) < np.iinfo(np.int32).max else np.int64
    antecedents: list[IdArray] = []
    consequents: list[IdArray] = []
    counts: list[IdArray] = []
    for size in range(max(thresholds.min_len, 1), min(thresholds.max_len, len(levels) - 1) + 1):
        r = levels[size].counts
        for cons_positions in consequent_positions(size, thresholds.max_consequent_len):
            ante_positions = tuple(i for i in range(size) if i not in cons_positions)
            ante_ids = _keptsubset_ids(itemsets, drop, size, ante_positions)
            cons_ids = _keptsubset_ids(itemsets, drop, size, cons_positions)
            a = levels[len(ante_positions)].counts[ante_ids]
            c = levels[len(cons_positions)].counts[cons_ids]
            keep = passes_thresholds(r, a, c, n, thresholds)
            if not keep.any():
                continue
            ante_offset = catalog.offsets[len(ante_positions)]
            cons_offset = catalog.offsets[len(cons_positions)]
            antecedents.append((ante_ids[keep] + ante_offset).astype(compact))
            consequents.append((cons_ids[keep] + cons_offset).astype(compact))
            counts.append(r[keep].astype(compact))
    del drop
    rules = RuleSet(catalog, _joined(antecedents), _joined(consequents), _joined(counts))
    return rules.take(rules.documented_order())


def _dense_ranks(order: Int64Array, keys: tuple[FloatArray, ...]) -> Int64Array:
    """By row: the rank of its key tuple among the distinct tuples, ``order`` sorting them."""
    changed = np.zeros(order.size, dtype=bool)
    changed[:1] = True
    for key in keys:
        ordered = key[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.cumsum(changed) - 1
    return ranks


def _joined(parts: list[IdArray]) -> IdArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


class ItemsetCatalog:
    """Every frequent itemset under one global id (level offset + id in its level): counts and names."""

    def __init__(self, itemsets: FrequentItemsets, labels: list[str]) -> None:
        self.itemsets = itemsets
        self.labels = labels
        sizes = [level.counts.size for level in itemsets.levels]
        self.offsets: list[int] = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.counts: Int64Array = np.concatenate([level.counts for level in itemsets.levels])
        self._keys: pa.Array | None = None
        self._items: tuple[Int64Array, npt.NDArray[np.int32]] | None = None

    @property
    def n_transactions(self) -> int:
        return self.itemsets.n_transactions

    def names(self, ids: IdArray) -> npt.NDArray[np.object_]:
        """``"key|key|..."`` of the itemsets ``ids`` (global), keys in canonical (code) order."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._keys is not None:
            return np.asarray(self._keys.take(pa.array(ids)).to_pylist(), dtype=object)
        unique_ids, inverse = np.unique(ids, return_inverse=True)  # only these itemsets' texts
        labels = pa.array(self.labels, type=pa.large_string())
        texts = np.empty(unique_ids.size, dtype=object)
        bounds = np.searchsorted(unique_ids, self.offsets)
        for size, level in enumerate(self.itemsets.levels):
            lo, hi = int(bounds[size]), int(bounds[size + 1])
            if lo < hi:
                rows = level.itemsets[unique_ids[lo:hi] - self.offsets[size]]
                codes = np.sort(self.itemsets.item_codes[rows], axis=1)
                texts[lo:hi] = joined_columns(labels, codes, ITEM_SEPARATOR).to_pylist()
        return texts[inverse.reshape(-1)]

    def key_texts(self) -> pa.Array:
        """By global id: ``"key|key|..."`` of every itemset (one string array, kept)."""
        if self._keys is None:
            self._keys = self.item_texts(
                pa.array(self.labels, type=pa.large_string()), ITEM_SEPARATOR
            )
        return self._keys

    def item_texts(self, labels: pa.Array, separator: str) -> pa.Array:
        """By global id: the itemset's ``labels`` (one per item position) joined by ``separator``,
        in canonical (code) order."""
        parts = [
            joined_columns(
                labels, np.sort(self.itemsets.item_codes[level.itemsets], axis=1), separator
            )
            for level in self.itemsets.levels
        ]
        return pa.concat_arrays(parts)

    def item_lists(self) -> tuple[Int64Array, npt.NDArray[np.int32]]:
        """Every itemset's items by global id: item positions (in ``labels``, canonical order) of
        itemset g at ``codes[indptr[g]:indptr[g + 1]]`` (kept)."""
        if self._items is None:
            levels = self.itemsets.levels
            sizes = np.concatenate(
                [np.full(level.counts.size, k) for k, level in enumerate(levels)]
            )
            indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            codes = [
                np.sort(self.itemsets.item_codes[level.itemsets], axis=1).ravel()
                for level in levels
            ]
            self._items = (indptr, np.concatenate(codes).astype(np.int32))
        return self._items

    def name_ranks(self) -> npt.NDArray[np.int32]:
        """By global id: the rank of the itemset's name among all names (string order, as pandas
        sorts: UTF-8 bytes order as code points), so rules sort on integers."""
        order = pc.sort_indices(self.key_texts()).to_numpy()
        ranks = np.empty(order.size, dtype=np.int32)
        ranks[order] = np.arange(order.size, dtype=np.int32)
        return ranks

    def containing(self, label: str) -> npt.NDArray[np.bool_]:
        """By global id: whether the itemset holds the item ``label``."""
        position = self.labels.index(label) if label in self.labels else -1
        codes = np.flatnonzero(self.itemsets.item_codes == position)
        parts = [
            np.isin(level.itemsets, codes).any(axis=1)
            if level.itemsets.shape[1]
            else np.zeros(level.counts.size, dtype=bool)
            for level in self.itemsets.levels
        ]
        return np.concatenate(parts)

    def single(self, label: str) -> int:
        """Global id of the itemset ``{label}``, -1 when the item is not frequent."""
        position = self.labels.index(label) if label in self.labels else -1
        codes = np.flatnonzero(self.itemsets.item_codes == position)
        return int(codes[0]) + self.offsets[1] if codes.size else -1


class RuleSet:
    """Rules as numbers: antecedent and consequent (global itemset ids of ``catalog``) and n(AC)."""

    def __init__(
        self,
        catalog: ItemsetCatalog,
        antecedents: IdArray,
        consequents: IdArray,
        rule_counts: IdArray,
    ) -> None:
        self.catalog = catalog
        self.antecedents = antecedents
        self.consequents = consequents
        self.rule_counts = rule_counts

    def __len__(self) -> int:
        return int(self.rule_counts.size)

    @property
    def antecedent_counts(self) -> Int64Array:
        return self.catalog.counts[self.antecedents]

    @property
    def consequent_counts(self) -> Int64Array:
        return self.catalog.counts[self.consequents]

    def take(self, rows: npt.NDArray[np.bool_] | Int64Array) -> RuleSet:
        """The rules at ``rows`` (a mask or positions), in that order."""
        return RuleSet(
            self.catalog, self.antecedents[rows], self.consequents[rows], self.rule_counts[rows]
        )

    def documented_order(self) -> Int64Array:
        """Positions in the order of ``rules_frame``: lift, confidence, support descending, then
        the antecedent and consequent names ascending (their ranks: no string per rule). The
        measures are ranked once per distinct count tuple (rules of identical baskets share few)."""
        n = self.catalog.n_transactions
        r = self.rule_counts.astype(np.int64)
        a = self.antecedent_counts
        c = self.consequent_counts
        first, tuple_of = distinct_rows([r, a, c])
        measures = sort_measures(r[first], a[first], c[first], n)
        for values in measures:
            np.negative(values, out=values)  # descending
        lift, confidence, support = measures
        by_measures = np.lexsort((support, confidence, lift))
        # equal measures share a rank: the names decide between them
        tuple_rank = _dense_ranks(by_measures, (lift, confidence, support))
        ranks = self.catalog.name_ranks().astype(np.int64)
        names = ranks[self.antecedents] * (int(ranks.size) + 1) + ranks[self.consequents]
        order = np.lexsort((names, tuple_rank[tuple_of]))
        return order.astype(np.int64)

    def frame(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Rows ``start:stop`` as the rules table (columns MINED_COLUMNS)."""
        part = self.take(np.arange(start, len(self) if stop is None else stop))
        ids = np.concatenate([part.antecedents, part.consequents])
        names = self.catalog.names(ids)
        return measured_frame(
            names[: len(part)],
            names[len(part) :],
            part.rule_counts,
            part.antecedent_counts,
            part.consequent_counts,
            self.catalog.n_transactions,
        )

    def frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rules table ``chunk_rows`` rows at a time (one empty frame when there are none)."""
        yield self.frame(0, min(chunk_rows, len(self)))
        for start in range(chunk_rows, len(self), chunk_rows):
            yield self.frame(start, min(start + chunk_rows, len(self)))

    def head(self, rows: int) -> pd.DataFrame:
        return self.frame(0, min(rows, len(self)))

    def to_frame(self) -> pd.DataFrame:
        return self.frame()

    def with_items(self, thresholds: RuleThresholds) -> RuleSet:
        """The rules whose consequent is ``--consequent`` and that contain ``--item``."""
        keep = np.ones(len(self), dtype=bool)
        if thresholds.consequent is not None:
            keep &= self.consequents == self.catalog.single(thresholds.consequent)
        if thresholds.item is not None:
            contains = self.catalog.containing(thresholds.item)
            keep &= contains[self.antecedents] | contains[self.consequents]
        return self if keep.all() else self.take(keep)


def consequent_positions(size: int, max_consequent_len: int) -> list[tuple[int, ...]]:
    """Positions (within an itemset of ``size`` items) of each consequent to try."""
    if size == 1:
        return [(0,)]  # {} => {c}
    longest = min(max_consequent_len, size - 1)
    return [
        combo
        for length in range(1, longest + 1)
        for combo in itertools.combinations(range(size), length)
    ]


def _keptsubset_ids(
    itemsets: FrequentItemsets, drop: list[Int64Array], size: int, kept: tuple[int, ...]
) -> Int64Array:
    """Ids (at level len(kept)) of the subsets keeping positions ``kept`` of every level-``size`` set."""
    level = itemsets.levels[size]
    if len(kept) == 1 and size > 1:  # a single item: its level-1 id is its miner code
        return level.itemsets[:, kept[0]].astype(np.int64)
    removed = [i for i in range(size) if i not in kept]
    if len(removed) == 1:
        return drop[size][:, removed[0]]
    return subsets_of(drop, np.arange(level.keys.size, dtype=np.int64), size, kept)


def subsets_of(
    drop: list[Int64Array], ids: Int64Array, size: int, kept: tuple[int, ...]
) -> Int64Array:
    """Ids (at level len(kept)) of the subsets keeping positions ``kept`` of the level-``size``
    itemsets ``ids`` (``drop`` from ``subset_ids``)."""
    current = size
    for position in reversed([i for i in range(size) if i not in kept]):  # highest first
        ids = drop[current][ids, position]
        current -= 1
    return ids


def subset_ids(itemsets: FrequentItemsets) -> list[Int64Array]:
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
