"""Fast frequent-itemset miner (numpy only): level-wise prefix extension over occurrence lists.

Frequent items get miner codes in ascending order of frequency, and every basket keeps only its
frequent items, sorted by code, in one flat array. An *occurrence* of a frequent k-itemset S is
(position in the flat array of S's last item, id of S); extending it with each later item x of the
same basket yields the candidate S+{x}, whose key is ``id(S) * F + x``. Counting keys with
``bincount`` gives the exact count of every prefix extension, so no candidate pruning is needed for
correctness, and candidate generation is a handful of vectorised numpy operations.

Levels are identified by their sorted keys: the id of an itemset is its index in ``keys``, which
also makes "id of S+{x}" a ``searchsorted`` lookup (used to find rule antecedents).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clustr_etl.mining.baskets import Baskets
from clustr_etl.progress import NO_PROGRESS, Progress

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
# Called with (size, counts) once each level is counted, before it is kept; may raise to stop mining.
LevelCheck = Callable[[int, Int64Array], None]

# Candidates generated per chunk (bounds memory: a few arrays of this many int64 values).
CANDIDATE_CHUNK = 1 << 20
# Largest key space counted with one bincount (a dense int64 array of this many counters).
MAX_DENSE_KEYS = 1 << 22


@dataclass(frozen=True)
class ItemsetLevel:
    """Frequent itemsets of one size k: rows of miner codes (ascending), counts and prefix keys."""

    itemsets: Int32Array  # shape (n, k)
    counts: Int64Array  # shape (n,)
    keys: Int64Array  # shape (n,), sorted: parent_id * n_items + last_item


@dataclass(frozen=True)
class FrequentItemsets:
    """All frequent itemsets by size; ``levels[0]`` is the empty set (count = N)."""

    levels: list[ItemsetLevel]
    item_codes: Int32Array  # miner code -> code in the Baskets labels
    n_items: int  # F, the number of frequent items
    n_transactions: int

    def lookup(self, size: int, parent_ids: Int64Array, last_items: Int64Array) -> Int64Array:
        """Ids at level ``size`` of (itemset ``parent_ids`` at level size-1) + {last_item} (must exist)."""
        wanted = parent_ids * self.n_items + last_items
        keys = self.levels[size].keys
        found = np.searchsorted(keys, wanted)
        if wanted.size and not np.array_equal(keys[np.minimum(found, keys.size - 1)], wanted):
            raise AssertionError("a subset of a frequent itemset is missing (miner bug)")
        return found.astype(np.int64)


def mine_frequent_itemsets(
    baskets: Baskets,
    min_count: int,
    max_len: int,
    progress: Progress = NO_PROGRESS,
    check_level: LevelCheck | None = None,
) -> FrequentItemsets:
    """Every itemset with at least ``min_count`` baskets and at most ``max_len`` items, exactly counted.

    ``check_level`` sees each level's counts as soon as they are known (a budget raises there).
    """
    n_transactions = baskets.n_transactions
    item_counts = np.bincount(baskets.items, minlength=len(baskets.labels)).astype(np.int64)
    frequent = np.flatnonzero(item_counts >= min_count)
    item_codes = frequent[np.argsort(item_counts[frequent], kind="stable")].astype(np.int32)
    n_items = int(item_codes.size)
    empty = ItemsetLevel(
        itemsets=np.zeros((1, 0), dtype=np.int32),
        counts=np.asarray([n_transactions], dtype=np.int64),
        keys=np.zeros(1, dtype=np.int64),
    )
    singles = ItemsetLevel(
        itemsets=np.arange(n_items, dtype=np.int32)[:, None],
        counts=item_counts[item_codes],
        keys=np.arange(n_items, dtype=np.int64),
    )
    levels = [empty, singles]
    if check_level is not None:
        check_level(1, singles.counts)
    result = FrequentItemsets(levels, item_codes, n_items, n_transactions)
    if max_len < 2 or n_items < 2:
        return result
    with progress.task("mining itemsets", total=max_len) as advance:
        advance(1)
        codes, ends = _frequent_items_per_basket(baskets, item_codes)
        occ_pos = np.arange(codes.size, dtype=np.int32)
        occ_set = codes
        for size in range(2, max_len + 1):
            previous = levels[-1]
            keys, counts, occ_pos, occ_set = _extend(
                codes, ends, occ_pos, occ_set, previous.keys.size, n_items, min_count
            )
            advance(1)
            if keys.size == 0:
                break
            if check_level is not None:
                check_level(size, counts)
            parents = keys // n_items
            last = (keys - parents * n_items).astype(np.int32)
            itemsets = np.hstack([previous.itemsets[parents], last[:, None]])
            levels.append(ItemsetLevel(itemsets=itemsets, counts=counts, keys=keys))
    return result


def _frequent_items_per_basket(
    baskets: Baskets, item_codes: Int32Array
) -> tuple[Int32Array, Int32Array]:
    """Flat miner codes of the frequent items, sorted within each basket, and each one's basket end.

    Baskets with fewer than two frequent items cannot hold a pair and are left out.
    """
    n_items = max(int(item_codes.size), 1)
    recode = np.full(len(baskets.labels), -1, dtype=np.int32)
    recode[item_codes] = np.arange(item_codes.size, dtype=np.int32)
    codes = recode[baskets.items]
    keep = codes >= 0
    rows = np.repeat(np.arange(baskets.n_transactions, dtype=np.int32), np.diff(baskets.indptr))
    rows, codes = rows[keep], codes[keep]
    del keep
    sizes = np.bincount(rows, minlength=baskets.n_transactions)
    useful = sizes[rows] >= 2
    rows, codes = rows[useful], codes[useful]
    del useful
    combined = rows.astype(np.int64) * n_items
    combined += codes
    combined.sort(kind="stable")  # rows are non-decreasing, so each row keeps its place
    combined -= rows.astype(np.int64) * n_items
    flat = combined.astype(np.int32)
    del combined
    starts = np.flatnonzero(np.diff(rows, prepend=-1) != 0)
    bounds = np.append(starts, rows.size)
    ends = np.repeat(bounds[1:], np.diff(bounds)).astype(np.int32)
    return flat, ends


def _extend(
    codes: Int32Array,
    ends: Int32Array,
    occ_pos: Int32Array,
    occ_set: Int32Array,
    n_sets: int,
    n_items: int,
    min_count: int,
) -> tuple[Int64Array, Int64Array, Int32Array, Int32Array]:
    """Count all one-item extensions of the occurrences; return frequent keys, counts, occurrences."""
    n_after = ends[occ_pos] - occ_pos - 1
    useful = n_after > 0
    occ_pos, occ_set, n_after = occ_pos[useful], occ_set[useful], n_after[useful]
    del useful
    bounds = _chunk_bounds(n_after)
    key_space = n_sets * n_items
    dense = key_space <= MAX_DENSE_KEYS
    cached: tuple[Int64Array, Int64Array] | None = None
    if dense:
        totals = np.zeros(key_space, dtype=np.int64)
        for lo, hi in itertools.pairwise(bounds):
            keys, positions = _candidates(
                codes, occ_pos[lo:hi], occ_set[lo:hi], n_after[lo:hi], n_items
            )
            totals += np.bincount(keys, minlength=key_space)
            cached = (keys, positions) if len(bounds) == 2 else None
        frequent_keys = np.flatnonzero(totals >= min_count).astype(np.int64)
        frequent_counts = totals[frequent_keys]
        del totals
        table = np.full(key_space, -1, dtype=np.int32)
        table[frequent_keys] = np.arange(frequent_keys.size, dtype=np.int32)
    else:
        frequent_keys, frequent_counts = _sparse_count(
            codes, occ_pos, occ_set, n_after, bounds, n_items, min_count
        )
    new_pos: list[Int32Array] = []
    new_set: list[Int32Array] = []
    for lo, hi in itertools.pairwise(bounds):
        if cached is not None:
            keys, positions = cached
        else:
            keys, positions = _candidates(
                codes, occ_pos[lo:hi], occ_set[lo:hi], n_after[lo:hi], n_items
            )
        ids = table[keys] if dense else _sparse_ids(frequent_keys, keys)
        hit = ids >= 0
        new_pos.append(positions[hit].astype(np.int32))
        new_set.append(ids[hit].astype(np.int32))
    return (
        frequent_keys,
        frequent_counts,
        np.concatenate(new_pos) if new_pos else np.zeros(0, dtype=np.int32),
        np.concatenate(new_set) if new_set else np.zeros(0, dtype=np.int32),
    )


def _chunk_bounds(n_after: Int32Array) -> list[int]:
    """Occurrence index bounds so that each chunk generates about CANDIDATE_CHUNK candidates."""
    if n_after.size == 0:
        return [0]
    cumulative = np.cumsum(n_after, dtype=np.int64)
    marks = np.arange(CANDIDATE_CHUNK, int(cumulative[-1]), CANDIDATE_CHUNK)
    inner = np.searchsorted(cumulative, marks, side="right")
    bounds = sorted({0, n_after.size, *inner.tolist()})
    return [b for b in bounds if b <= n_after.size]


def _candidates(
    codes: Int32Array, occ_pos: Int32Array, occ_set: Int32Array, n_after: Int32Array, n_items: int
) -> tuple[Int64Array, Int64Array]:
    """Keys ``set * F + item`` and flat positions of every (occurrence, later item in its basket)."""
    starts = np.cumsum(n_after, dtype=np.int64) - n_after
    total = int(starts[-1] + n_after[-1]) if n_after.size else 0
    positions = np.repeat(occ_pos + 1 - starts, n_after)
    positions += np.arange(total, dtype=np.int64)
    keys = np.repeat(occ_set.astype(np.int64) * n_items, n_after)
    keys += codes[positions]
    return keys, positions


def _sparse_count(
    codes: Int32Array,
    occ_pos: Int32Array,
    occ_set: Int32Array,
    n_after: Int32Array,
    bounds: list[int],
    n_items: int,
    min_count: int,
) -> tuple[Int64Array, Int64Array]:
    """Counting for key spaces too large for a dense array: per-chunk unique, merged."""
    merged_keys = np.zeros(0, dtype=np.int64)
    merged_counts = np.zeros(0, dtype=np.int64)
    for lo, hi in itertools.pairwise(bounds):
        keys, _ = _candidates(codes, occ_pos[lo:hi], occ_set[lo:hi], n_after[lo:hi], n_items)
        keys.sort()
        chunk_keys, chunk_counts = _run_lengths(keys)
        all_keys = np.concatenate([merged_keys, chunk_keys])
        all_counts = np.concatenate([merged_counts, chunk_counts])
        order = np.argsort(all_keys, kind="stable")
        merged_keys, merged_counts = _sum_runs(all_keys[order], all_counts[order])
    frequent = merged_counts >= min_count
    return merged_keys[frequent], merged_counts[frequent]


def _run_lengths(sorted_keys: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Distinct values of a sorted array and how often each occurs (np.unique is slow here)."""
    if sorted_keys.size == 0:
        return sorted_keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.diff(sorted_keys, prepend=sorted_keys[0] - 1) != 0)
    return sorted_keys[starts], np.diff(np.append(starts, sorted_keys.size)).astype(np.int64)


def _sum_runs(sorted_keys: Int64Array, counts: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Merge equal neighbouring keys of a sorted array, adding their counts."""
    if sorted_keys.size == 0:
        return sorted_keys, counts
    starts = np.flatnonzero(np.diff(sorted_keys, prepend=sorted_keys[0] - 1) != 0)
    return sorted_keys[starts], np.add.reduceat(counts, starts)


def _sparse_ids(frequent_keys: Int64Array, keys: Int64Array) -> Int64Array:
    """Index of each key in the sorted ``frequent_keys``, or -1 when absent."""
    if frequent_keys.size == 0:
        return np.full(keys.size, -1, dtype=np.int64)
    ids = np.searchsorted(frequent_keys, keys).astype(np.int64)
    ids[frequent_keys[np.minimum(ids, frequent_keys.size - 1)] != keys] = -1
    return ids
