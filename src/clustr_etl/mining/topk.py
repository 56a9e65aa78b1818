"""The K best rules by lift, confidence or support (``--top-k``), without building every rule.

Learnt from SPMF's TopKRules (Fournier-Viger, Wu and Tseng, 2012): the best K rules found so far
set an internal minimum that every later candidate has to reach, raised as the set fills.

* The itemsets are mined level by level (``mine_frequent_itemsets``); after each level its rules are
  evaluated in chunks, on counts only, and merged into a pool of at most K rules. No rule table,
  no rule text is built except for the K rules kept.
* **support**: a rule's support is its itemset's count, which only falls as itemsets grow, so the
  count floor of the next levels is raised to the K-th best count (exact, as in TopKRules): the
  default --min-support is not used, --min-count is the starting floor.
* **lift, confidence**: no bound falls with the itemset's size (a longer antecedent can be rarer,
  raising both), so the itemsets are mined at the usual floor (--min-count, --min-support or the
  default support raised to fit --max-rules, exactly as without --top-k). The K-th best value
  still prunes candidates before any p-value or text is computed. (``lift <= N / count(A) <=
  N / floor`` holds for every rule, found or not, so it never stops the levels early.)

Ties are broken as the rules table orders rules (lift, confidence, support, antecedents,
consequents: ``rules.SORT_COLUMNS``), so the result is exactly the head of all rules passing the
other thresholds sorted by (measure, SORT_COLUMNS). The significance test is per rule here:
Fisher p < max_p / K (Bonferroni over the K rules reported, which also passes Holm over them);
--prune-redundant then drops redundant rules among the K.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.errors import ConfigError
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.budget import BudgetExceeded, LevelBudget, budget_error, mine_within_budget
from clustr_etl.mining.itemsets import FrequentItemsets, mine_frequent_itemsets
from clustr_etl.mining.measures import fisher_greater
from clustr_etl.mining.quality import FilterCounts, apply_quality_filters
from clustr_etl.mining.rules import (
    SORT_ASCENDING,
    SORT_COLUMNS,
    consequent_positions,
    passes_thresholds,
    rules_frame,
)
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
MEASURES = ("lift", "confidence", "support")
# Itemsets of one level whose rules are evaluated together (bounds the arrays of one chunk).
ROWS_PER_CHUNK = 1 << 17


@dataclass(frozen=True)
class TopRules:
    """The K best rules (columns MINED_COLUMNS, best first), what was dropped, the floor used."""

    rules: pd.DataFrame
    quality: FilterCounts
    floor: int
    thresholds: RuleThresholds
    notes: list[str] = field(default_factory=list)


def ranking_columns(measure: str) -> tuple[list[str], list[bool]]:
    """The sort of the top-k result: the measure first, then the rules table's own order."""
    return [measure, *SORT_COLUMNS], [False, *SORT_ASCENDING]


def mine_top_k(
    baskets: Baskets, thresholds: RuleThresholds, progress: Progress = NO_PROGRESS
) -> TopRules:
    """The ``thresholds.top_k`` best rules by ``thresholds.top_k_by`` among those passing the
    thresholds and filters (raises ``MiningBudgetError`` when the itemsets do not fit)."""
    measure = thresholds.top_k_by
    if measure not in MEASURES:
        raise ConfigError(f"unknown --top-k-by {measure!r}", "use lift, confidence or support")
    n = baskets.n_transactions
    pool = RulePool(baskets, thresholds)
    notes: list[str] = []
    if measure == "support":
        floor = int(thresholds.min_count)
        if not thresholds.support_is_automatic:
            floor = thresholds.count_threshold(n)
        budget = LevelBudget(thresholds, floor)
        search = LevelSearch(pool, budget)
        try:
            mine_frequent_itemsets(baskets, floor, thresholds.max_len, progress, budget, search)
        except BudgetExceeded as exceeded:
            raise budget_error(baskets, thresholds, budget.min_count, exceeded) from None
        used = thresholds
        notes.append(_floor_note(thresholds, floor, search.floor))
    else:
        search = LevelSearch(pool)
        fitted = mine_within_budget(baskets, thresholds, progress, search)
        used = fitted.thresholds
        floor = used.count_threshold(n)
        notes.extend([fitted.note] if fitted.note else [])
        del fitted
        notes.append(
            f"top {thresholds.top_k:,} rules by {measure} at {floor:,}+ baskets "
            f"(no count bound for {measure}: floor not raised)"
        )
    with progress.task("naming the best rules"):
        best = pool.frame(measure)
    tested = len(best)
    if len(best) < thresholds.top_k:
        notes.append(f"only {len(best):,} rules pass the thresholds (fewer than --top-k)")
    redundant = 0
    if thresholds.prune_redundant and len(best):
        best, counts = apply_quality_filters(best, dataclasses.replace(thresholds, max_p=1.0))
        redundant = counts.redundant
    quality = FilterCounts(tested=tested, not_significant=0, redundant=redundant)
    return TopRules(best, quality, search.floor, used, notes)


def _floor_note(thresholds: RuleThresholds, start: int, final: int) -> str:
    head = f"top {thresholds.top_k:,} rules by support"
    if final > start:
        return f"{head}; internal count floor raised from {start:,} to {final:,} baskets"
    return f"{head}; internal count floor stayed at {start:,} baskets"


class LevelSearch:
    """``mine_frequent_itemsets``' ``after_level``: evaluates each level's rules into the pool and
    returns the count floor of the next level."""

    def __init__(self, pool: RulePool, budget: LevelBudget | None = None) -> None:
        self.pool = pool
        self.budget = budget
        self.floor = 0

    def __call__(self, itemsets: FrequentItemsets, size: int, min_count: int) -> int:
        thresholds = self.pool.thresholds
        if size == 1:  # a new attempt (the budget may have raised the support): start afresh
            self.pool.clear()
        self.floor = min_count
        if max(thresholds.min_len, 1) <= size <= thresholds.max_len:
            self.pool.add_level(itemsets, size)
        if self.pool.measure == "support" and self.pool.full:
            self.floor = max(min_count, self.pool.kth_count())
            if self.budget is not None:
                self.budget.min_count = self.floor
        return self.floor


class RulePool:
    """At most K rules (counts and item codes), in ranking order; rule text only at the end."""

    def __init__(self, baskets: Baskets, thresholds: RuleThresholds) -> None:
        self.thresholds = thresholds
        self.k = int(thresholds.top_k)
        self.measure = thresholds.top_k_by
        self.n = baskets.n_transactions
        self.labels = baskets.labels
        self.width = int(thresholds.max_len)
        self.tokens = TextOrder(baskets.labels)
        self.consequent = _label_code(baskets.labels, thresholds.consequent)
        self.item = _label_code(baskets.labels, thresholds.item)
        self.max_p = float(thresholds.max_p) / max(self.k, 1)
        self.clear()

    def clear(self) -> None:
        self.counts = np.zeros((0, 3), dtype=np.int64)  # rule, antecedent, consequent
        self.antecedents = np.zeros((0, self.width), dtype=np.int32)  # label codes, -1 padded
        self.consequents = np.zeros((0, self.width), dtype=np.int32)

    @property
    def full(self) -> bool:
        return self.counts.shape[0] >= self.k

    def kth_count(self) -> int:
        return int(self.counts[self.k - 1, 0])

    def kth_value(self) -> float:
        r, a, c = self.counts[self.k - 1]
        return float(
            _measures(np.asarray([r]), np.asarray([a]), np.asarray([c]), self.n)[self.measure][0]
        )

    def add_level(self, itemsets: FrequentItemsets, size: int) -> None:
        """Evaluate every rule of the level's itemsets, a chunk of itemsets at a time."""
        level = itemsets.levels[size]
        for lo in range(0, level.counts.size, ROWS_PER_CHUNK):
            rows = level.itemsets[lo : lo + ROWS_PER_CHUNK]
            r = level.counts[lo : lo + ROWS_PER_CHUNK]
            if self.full and self.measure == "support":
                keep = r >= self.kth_count()
                rows, r = rows[keep], r[keep]
            labels = itemsets.item_codes[rows]
            if self.item is not None:
                has = (labels == self.item).any(axis=1)
                rows, r, labels = rows[has], r[has], labels[has]
            for cons in consequent_positions(size, int(self.thresholds.max_consequent_len)):
                if r.size:
                    self._add_split(itemsets, rows, r, labels, cons)

    def _add_split(
        self,
        itemsets: FrequentItemsets,
        rows: Int32Array,
        r: Int64Array,
        labels: Int32Array,
        cons: tuple[int, ...],
    ) -> None:
        size = rows.shape[1]
        ante = tuple(i for i in range(size) if i not in cons)
        if self.consequent is not None:
            if len(cons) != 1:
                return
            wanted = labels[:, cons[0]] == self.consequent
            rows, r, labels = rows[wanted], r[wanted], labels[wanted]
        a = subset_counts(itemsets, rows[:, ante])
        c = subset_counts(itemsets, rows[:, cons])
        keep = passes_thresholds(r, a, c, self.n, self.thresholds)
        if self.full:
            keep &= _measures(r, a, c, self.n)[self.measure] >= self.kth_value()
        if not keep.any():
            return
        found = Rules(
            np.column_stack([r[keep], a[keep], c[keep]]),
            self._padded(labels[keep][:, ante]),
            self._padded(labels[keep][:, cons]),
        )
        if self.full:  # only rules ranked before the K-th can enter
            found = found.take(self._ranked_before_kth(found))
        if self.thresholds.tests_significance and found.counts.shape[0]:
            r, a, c = found.counts[:, 0], found.counts[:, 1], found.counts[:, 2]
            found = found.take(fisher_greater(r, a, c, self.n) < self.max_p)
        if found.counts.shape[0]:
            self._merge(found)

    def _padded(self, codes: Int32Array) -> Int32Array:
        """Label codes in text (canonical) order, padded with -1 to the pool's width."""
        out = np.full((codes.shape[0], self.width), -1, dtype=np.int32)
        out[:, : codes.shape[1]] = np.sort(codes, axis=1)
        return out

    def _merge(self, found: Rules) -> None:
        """Keep the K best of the pool and ``found``."""
        merged = Rules(
            np.concatenate([self.counts, found.counts]),
            np.concatenate([self.antecedents, found.antecedents]),
            np.concatenate([self.consequents, found.consequents]),
        )
        columns = [self._key(merged, j) for j in range(self.n_keys)]
        order = np.lexsort(columns[::-1])[: self.k]
        self.counts = merged.counts[order]
        self.antecedents = merged.antecedents[order]
        self.consequents = merged.consequents[order]

    @property
    def n_keys(self) -> int:
        return 4 + 2 * self.width

    def _key(self, rules: Rules, j: int) -> npt.NDArray[np.float64] | Int64Array:
        """Key ``j`` of the ranking, smaller first: (measure, lift, confidence, support)
        descending, then the antecedent and the consequent text ascending, a token per item (as
        ``rules_frame`` sorts the text columns)."""
        if j < 4:
            name = (self.measure, "lift", "confidence", "support")[j]
            r, a, c = rules.counts[:, 0], rules.counts[:, 1], rules.counts[:, 2]
            return -_measures(r, a, c, self.n)[name]
        side = rules.antecedents if j - 4 < self.width else rules.consequents
        return self.tokens.column(side, (j - 4) % self.width)

    def _ranked_before_kth(self, rules: Rules) -> npt.NDArray[np.bool_]:
        """Which rules sort strictly before the pool's K-th: key by key, on the rules still tied."""
        row = slice(self.k - 1, self.k)
        kth = Rules(self.counts[row], self.antecedents[row], self.consequents[row])
        before = np.zeros(rules.counts.shape[0], dtype=bool)
        tied = np.arange(rules.counts.shape[0])
        for j in range(self.n_keys):
            column = self._key(rules, j)
            limit = self._key(kth, j)[0]
            before[tied[column < limit]] = True
            same = column == limit
            if not same.all():  # copy only the rules still tied
                tied, rules = tied[same], rules.take(same)
            if not tied.size:
                break
        return before

    def frame(self, measure: str) -> pd.DataFrame:
        """The pool as a rules table (columns MINED_COLUMNS), best first."""
        texts = [self._texts(self.antecedents), self._texts(self.consequents)]
        rules = rules_frame(
            texts[0], texts[1], self.counts[:, 0], self.counts[:, 1], self.counts[:, 2], self.n
        )
        columns, ascending = ranking_columns(measure)
        ordered = rules.sort_values(columns, ascending=ascending, kind="stable")
        return ordered.reset_index(drop=True)

    def _texts(self, codes: Int32Array) -> npt.NDArray[np.object_]:
        labels = self.labels
        return np.asarray(
            [ITEM_SEPARATOR.join(labels[c] for c in row if c >= 0) for row in codes.tolist()],
            dtype=object,
        )


class TextOrder:
    """Sort keys that order ``"key|key|..."`` texts as Python compares strings, from label codes.

    Each item of a text becomes a token: ``label + "|"`` when more follow, ``label + "\\0"`` for
    the last one. No token is a prefix of another, so comparing token ranks one by one (-1 for
    none, as the empty text) orders the texts exactly, without building them.
    """

    def __init__(self, labels: list[str]) -> None:
        tokens = [label + ITEM_SEPARATOR for label in labels] + [label + "\0" for label in labels]
        rank = np.empty(len(tokens), dtype=np.int64)
        rank[np.asarray(sorted(range(len(tokens)), key=tokens.__getitem__), dtype=np.int64)] = (
            np.arange(len(tokens), dtype=np.int64)
        )
        self.inner = rank[: len(labels)]
        self.last = rank[len(labels) :]

    def column(self, codes: Int32Array, j: int) -> Int64Array:
        """The token rank at position ``j`` of each -1-padded row of label codes (-1: none)."""
        lengths = (codes >= 0).sum(axis=1)
        code = np.maximum(codes[:, j], 0)
        inner = np.where(j < lengths - 1, self.inner[code], -1)
        return np.where(j == lengths - 1, self.last[code], inner)


@dataclass(frozen=True)
class Rules:
    """Rules as counts (rule, antecedent, consequent) and -1-padded label codes of each side."""

    counts: Int64Array
    antecedents: Int32Array
    consequents: Int32Array

    def take(self, rows: npt.NDArray[np.bool_]) -> Rules:
        return Rules(self.counts[rows], self.antecedents[rows], self.consequents[rows])


def subset_counts(itemsets: FrequentItemsets, codes: Int32Array) -> Int64Array:
    """Counts of the itemsets given as rows of miner codes (ascending); no column: the empty set."""
    if codes.shape[1] == 0:
        return np.full(codes.shape[0], itemsets.n_transactions, dtype=np.int64)
    ids = codes[:, 0].astype(np.int64)
    for column in range(1, codes.shape[1]):
        ids = itemsets.lookup(column + 1, ids, codes[:, column].astype(np.int64))
    return itemsets.levels[codes.shape[1]].counts[ids]


def _measures(r: Int64Array, a: Int64Array, c: Int64Array, n: int) -> dict[str, FloatArray]:
    """Support, confidence and lift, computed exactly as ``rule_measures`` does (same floats)."""
    rf, af, cf = r.astype(np.float64), a.astype(np.float64), c.astype(np.float64)
    return {"support": rf / n, "confidence": rf / af, "lift": (rf * n) / (af * cf)}


def _label_code(labels: list[str], key: str | None) -> int | None:
    if key is None:
        return None
    return labels.index(key) if key in labels else -1
