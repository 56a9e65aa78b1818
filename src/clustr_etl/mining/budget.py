"""The rule budget (``--max-rules``): mining stops as soon as the itemsets counted so far would give
more candidate rules than the budget, level by level, before any rule is built.

A candidate rule is one (itemset, consequent) split the rule builder would test: an itemset of k
items with ``min_len <= k <= max_len`` gives ``sum C(k, j)`` for ``1 <= j <= min(max_consequent_len,
k - 1)`` (a single item gives ``{} => {c}`` when ``min_len`` is 1). The rules kept after confidence,
lift and significance are at most that many.

When no support was set (``min_support`` is None) the default support is raised instead, to the
smallest two-digit support whose itemsets fit half the budget (deeper levels need room too), and
mining starts again; a support the user set is never changed: :class:`MiningBudgetError` says why
the result is too large and what to do.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import numpy as np
import numpy.typing as npt

from clustr_etl.errors import MiningBudgetError
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.itemsets import (
    AfterArray,
    AfterLevel,
    FrequentItemsets,
    mine_frequent_itemsets,
)
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
# Share of the budget the levels counted so far may use when the support is raised.
HEADROOM = 0.5
# Candidate itemsets (occurrences) one level may generate before its count is even attempted when
# that many could exceed the budget: counting them takes tens of seconds and gigabytes.
MAX_CANDIDATES_PER_LEVEL = 30_000_000


def rules_per_itemset(size: int, thresholds: RuleThresholds) -> int:
    """Candidate rules one frequent itemset of ``size`` items gives."""
    if not max(thresholds.min_len, 1) <= size <= thresholds.max_len:
        return 0
    if size == 1:
        return 1
    longest = min(thresholds.max_consequent_len, size - 1)
    return sum(math.comb(size, j) for j in range(1, longest + 1))


class BudgetExceeded(Exception):  # internal: mine_within_budget turns it into a line
    """The levels counted so far (or the next one, by a bound) give more candidate rules than the budget."""

    def __init__(
        self,
        counts: list[Int64Array],
        candidates: int,
        *,
        work: tuple[int, int] | None = None,
        count_for_work: int = 0,
    ) -> None:
        super().__init__(f"{candidates} candidate rules")
        self.counts = counts  # counts[k - 1]: counts of the frequent itemsets of k items
        self.candidates = candidates
        self.work = work  # (size, candidate itemsets) of the level not counted
        self.count_for_work = count_for_work  # a basket count that makes that level countable


class LevelBudget:
    """The itemset miner's ``check_level``: adds up candidate rules, raises over the limit."""

    def __init__(self, thresholds: RuleThresholds, min_count: int) -> None:
        self.thresholds = thresholds
        self.min_count = min_count
        self.counts: list[Int64Array] = []
        self.candidates = 0

    def before_counting(
        self, size: int, parent_counts: Int64Array, occ_set: Int32Array, n_after: AfterArray
    ) -> None:
        """Refuse a level whose candidates are too many to count and could exceed the budget
        (each frequent itemset needs ``min_count`` of them)."""
        limit = self.thresholds.max_rules
        work = int(n_after.sum(dtype=np.int64))
        if not limit or work <= MAX_CANDIDATES_PER_LEVEL:
            return
        most = self.candidates + work // self.min_count * rules_per_itemset(size, self.thresholds)
        if most <= limit:
            return
        per_set = np.bincount(occ_set, weights=n_after, minlength=parent_counts.size)
        count = smallest_count_within(parent_counts, per_set, MAX_CANDIDATES_PER_LEVEL)
        raise BudgetExceeded(self.counts, self.candidates, work=(size, work), count_for_work=count)

    def counted(self, size: int, counts: Int64Array) -> None:
        self.counts.append(counts)
        self.candidates += counts.size * rules_per_itemset(size, self.thresholds)
        if self.thresholds.max_rules and self.candidates > self.thresholds.max_rules:
            raise BudgetExceeded(self.counts, self.candidates)


@dataclass(frozen=True)
class FittedItemsets:
    """The frequent itemsets, the thresholds they were mined with, and a note when support was raised."""

    itemsets: FrequentItemsets
    thresholds: RuleThresholds
    note: str | None = None


def mine_within_budget(
    baskets: Baskets,
    thresholds: RuleThresholds,
    progress: Progress = NO_PROGRESS,
    after_level: AfterLevel | None = None,
) -> FittedItemsets:
    """The frequent itemsets within ``thresholds.max_rules``: raise the support when it was not set,
    else stop with :class:`MiningBudgetError` (``after_level``: see ``mine_frequent_itemsets``)."""
    current = thresholds
    n = baskets.n_transactions
    while True:
        min_count = current.count_threshold(n)
        try:
            itemsets = mine_frequent_itemsets(
                baskets,
                min_count,
                current.max_len,
                progress,
                LevelBudget(current, min_count),
                after_level,
            )
        except BudgetExceeded as exceeded:
            if not thresholds.support_is_automatic:
                raise budget_error(baskets, current, min_count, exceeded) from None
            count = max(count_to_fit(exceeded.counts, current), exceeded.count_for_work)
            raised = raised_support(current, n, count)
            if raised.count_threshold(n) <= min_count:  # every basket already: nothing to raise
                raise budget_error(baskets, current, min_count, exceeded) from None
            current = raised
            continue
        note = None
        if current is not thresholds:
            note = (
                f"support raised from {thresholds.support:g} to {current.support:g} so the rules fit "
                f"the budget of {thresholds.max_rules:,} (--max-rules); set --min-support to choose"
            )
        return FittedItemsets(itemsets, current, note)


def count_to_fit(counts: list[Int64Array], thresholds: RuleThresholds) -> int:
    """The smallest basket count whose itemsets (of the levels counted) give at most HEADROOM of the budget."""
    values = np.concatenate(counts)
    weights = np.concatenate(
        [
            np.full(c.size, rules_per_itemset(k, thresholds), dtype=np.int64)
            for k, c in enumerate(counts, 1)
        ]
    )
    return smallest_count_within(values, weights, thresholds.max_rules * HEADROOM)


def smallest_count_within(
    counts: Int64Array, weights: npt.NDArray[np.float64] | Int64Array, target: float
) -> int:
    """The smallest count ``c`` such that the weights of the entries with ``count >= c`` add up to
    at most ``target``."""
    order = np.argsort(counts, kind="stable")
    values, ordered = counts[order], weights[order]
    at_or_above = np.cumsum(ordered[::-1])[::-1]
    fits = np.flatnonzero(at_or_above <= target)
    if not fits.size:
        return int(values[-1]) + 1
    first = int(fits[0])
    smallest = int(values[first])
    if first > 0 and values[first - 1] == smallest:
        smallest += 1  # ties: entries of exactly this count before ``first`` do not fit
    return smallest


def raised_support(thresholds: RuleThresholds, n: int, count: int) -> RuleThresholds:
    """The thresholds with the smallest two-significant-digit support reaching ``count`` baskets
    (always more baskets than now, so the loop ends)."""
    count = max(count, thresholds.count_threshold(n) + 1)
    if count > n:
        count = n
    exact = Decimal(count) / Decimal(n)
    step = Decimal(1).scaleb(exact.adjusted() - 1)  # two significant digits
    support = (exact / step).to_integral_value(rounding=ROUND_CEILING) * step
    return dataclasses.replace(thresholds, min_support=float(min(support, Decimal(1))))


def budget_error(
    baskets: Baskets, thresholds: RuleThresholds, min_count: int, exceeded: BudgetExceeded
) -> MiningBudgetError:
    """Why the rules do not fit and what to do, in one line."""
    limit = f"--max-rules {thresholds.max_rules:,}"
    shared = shared_basket_error(baskets, thresholds, min_count)
    if shared is not None:
        return shared
    if exceeded.work is not None:
        size, work = exceeded.work
        return MiningBudgetError(
            f"at {min_count:,} baskets per rule, the {exceeded.counts[-1].size:,} frequent itemsets "
            f"of {size - 1} items extend to {work:,} candidate itemsets of {size} items, too many "
            f"to count within {limit}",
            "raise --min-support or --min-count, lower --max-len, "
            "or set --max-rules 0 to count them all",
        )
    n_itemsets = sum(c.size for c in exceeded.counts[1:])
    return MiningBudgetError(
        f"at {min_count:,} baskets per rule, {n_itemsets:,} itemsets of up to "
        f"{len(exceeded.counts)} items are frequent ({exceeded.candidates:,} candidate rules so far, "
        f"over {limit})",
        "raise --min-support or --min-count, lower --max-len, or set --max-rules 0 to get all of them",
    )


def shared_basket_error(
    baskets: Baskets, thresholds: RuleThresholds, min_count: int
) -> MiningBudgetError | None:
    """The error naming identical baskets when they alone take more than half the budget."""
    shared = shared_basket(baskets, min_count)
    if shared is None:
        return None
    group, size = shared
    longest = min(size, thresholds.max_len)
    itemsets = sum(math.comb(size, k) for k in range(2, longest + 1))
    rules = sum(
        math.comb(size, k) * rules_per_itemset(k, thresholds) for k in range(2, longest + 1)
    )
    if 2 * rules <= thresholds.max_rules:
        return None
    who = (
        f"{group:,} baskets share the same {size:,} items"
        if group > 1
        else f"1 basket has {size:,} items"
    )
    return MiningBudgetError(
        f"{who}, so every combination of them is frequent ({_amount(itemsets)} itemsets, "
        f"{_amount(rules)} candidate rules, over --max-rules {thresholds.max_rules:,})",
        f"raise --min-count above {group}, lower --max-len, leave such baskets out with "
        f"--max-basket-size {size - 1}, or set --max-rules 0 to get all of them",
    )


def _amount(number: int) -> str:
    """``5,242,860``, or ``about 2.7e+33`` past a trillion."""
    return f"{number:,}" if number < 10**12 else f"about {float(number):.1e}"


def shared_basket(baskets: Baskets, min_count: int) -> tuple[int, int] | None:
    """(baskets, items) of the largest basket content (frequent items only) repeated in at least
    ``min_count`` baskets, or None."""
    item_counts = np.bincount(baskets.items, minlength=len(baskets.labels))
    frequent = item_counts[baskets.items] >= min_count
    rows = np.repeat(np.arange(baskets.n_transactions), np.diff(baskets.indptr))[frequent]
    if rows.size == 0:
        return None
    rng = np.random.default_rng(0)
    hashes = rng.integers(1, 2**63, size=len(baskets.labels), dtype=np.uint64)
    basket_hash = np.zeros(baskets.n_transactions, dtype=np.uint64)
    np.add.at(basket_hash, rows, hashes[baskets.items[frequent]])
    sizes = np.bincount(rows, minlength=baskets.n_transactions)
    keep = sizes >= 2
    if not keep.any():
        return None
    pairs = np.stack([basket_hash[keep], sizes[keep].astype(np.uint64)], axis=1)
    distinct, repeats = np.unique(pairs, axis=0, return_counts=True)
    common = repeats >= min_count
    if not common.any():
        return None
    best = int(np.argmax(np.where(common, distinct[:, 1], 0)))
    return int(repeats[best]), int(distinct[best, 1])
