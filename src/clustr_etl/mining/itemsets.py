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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from clustr_etl.mining.baskets import Baskets
from clustr_etl.progress import NO_PROGRESS, Progress

Int64Array = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
AfterArray = npt.NDArray[np.integer[Any]]  # items after each one in its basket: uint8/16 or int32


class LevelCheck(Protocol):
    """Sees each level before and after it is counted (a budget raises there to stop mining)."""

    def before_counting(
        self, size: int, parent_counts: Int64Array, occ_set: Int32Array, n_after: AfterArray
    ) -> None:
        """Level ``size`` is about to be counted from these occurrences of its parent sets
        (``n_after``: candidates each occurrence generates)."""

    def counted(self, size: int, counts: Int64Array) -> None:
        """Level ``size`` has these frequent itemsets (their counts)."""


class AfterLevel(Protocol):
    """Sees the itemsets after each level is counted and returns the count floor of the next level
    (a top-k search raises it as its best rules fill; more than N baskets stops mining)."""

    def __call__(self, itemsets: FrequentItemsets, size: int, min_count: int) -> int: ...


# Candidates generated per chunk (bounds memory: a few arrays of this many int64 values).
CANDIDATE_CHUNK = 1 << 20
# Largest key space counted with one bincount (a dense int64 array of this many counters); larger
# spaces are counted a range of parent sets at a time.
MAX_DENSE_KEYS = 1 << 22
# Up to this many candidates in a range are kept between counting and collecting (8 bytes each).
CACHED_CANDIDATES = 1 << 23
# Occurrences summed at a time when cutting the candidates into chunks.
BOUNDS_BLOCK = 1 << 16
_EMPTY32 = np.zeros(0, dtype=np.int32)


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
    after_level: AfterLevel | None = None,
) -> FrequentItemsets:
    """Every itemset with at least ``min_count`` baskets and at most ``max_len`` items, exactly counted.

    ``check_level`` sees each level's counts as soon as they are known (a budget raises there);
    ``after_level`` may raise ``min_count`` for the levels still to count.
    """
    n_transactions = baskets.n_transactions
    item_counts = np.zeros(len(baskets.labels), dtype=np.int64)
    for start in range(0, baskets.items.size, CANDIDATE_CHUNK):  # bincount copies into int64
        part = baskets.items[start : start + CANDIDATE_CHUNK]
        item_counts += np.bincount(part, minlength=item_counts.size)
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
        check_level.counted(1, singles.counts)
    result = FrequentItemsets(levels, item_codes, n_items, n_transactions)
    if after_level is not None:
        min_count = after_level(result, 1, min_count)
    if max_len < 2 or n_items < 2:
        return result
    with progress.task("mining itemsets", total=max_len) as advance:
        advance(1)
        codes, after = _frequent_items_per_basket(baskets, item_codes)
        occ_pos: Int32Array | None = None  # level 1: every position is an occurrence
        occ_set = codes
        for size in range(2, max_len + 1):
            previous = levels[-1]
            if after_level is not None:  # parents below the floor have no frequent extension
                live = previous.counts[occ_set] >= min_count
                if not live.all():
                    positions = (
                        np.arange(codes.size, dtype=np.int32) if occ_pos is None else occ_pos
                    )
                    occ_pos, occ_set = positions[live], occ_set[live]
                del live
            n_after = after if occ_pos is None else after[occ_pos]
            if check_level is not None:
                check_level.before_counting(size, previous.counts, occ_set, n_after)
            keys, counts, occ_pos, occ_set = _extend(
                codes, after, occ_pos, occ_set, n_after, previous.keys.size, n_items, min_count
            )
            del n_after
            advance(1)
            if keys.size == 0:
                break
            if check_level is not None:
                check_level.counted(size, counts)
            parents = keys // n_items
            last = (keys - parents * n_items).astype(np.int32)
            itemsets = np.hstack([previous.itemsets[parents], last[:, None]])
            levels.append(ItemsetLevel(itemsets=itemsets, counts=counts, keys=keys))
            if after_level is not None:
                min_count = after_level(result, size, min_count)
    return result


def _frequent_items_per_basket(
    baskets: Baskets, item_codes: Int32Array
) -> tuple[Int32Array, AfterArray]:
    """Flat miner codes of the frequent items, sorted within each basket, and how many items follow
    each one in its basket (the smallest of uint8, uint16 and int32 that holds the longest basket).

    Baskets with fewer than two frequent items cannot hold a pair and are left out. Built a block
    of baskets at a time, so memory holds the two results and one block.
    """
    n_items = max(int(item_codes.size), 1)
    recode = np.full(len(baskets.labels), -1, dtype=np.int32)
    recode[item_codes] = np.arange(item_codes.size, dtype=np.int32)
    indptr = baskets.indptr
    flat = np.empty(baskets.items.size, dtype=np.int32)  # untouched tails cost no memory
    longest = int(np.diff(indptr).max(initial=0))
    after_type = next(
        kind for kind in (np.uint8, np.uint16, np.int32) if longest <= np.iinfo(kind).max
    )
    after: AfterArray = np.empty(baskets.items.size, dtype=after_type)
    written = 0
    for first, last in _basket_blocks(indptr):
        low, high = int(indptr[first]), int(indptr[last])
        codes = recode[baskets.items[low:high]]
        rows = np.repeat(np.arange(last - first, dtype=np.int64), np.diff(indptr[first : last + 1]))
        keep = codes >= 0
        rows, codes = rows[keep], codes[keep]
        sizes = np.bincount(rows, minlength=last - first)
        useful = sizes[rows] >= 2
        combined = rows[useful] * n_items
        combined += codes[useful]
        combined.sort(kind="stable")  # runs of ascending baskets: timsort's case, several x quicker
        block_rows = combined // n_items
        flat[written : written + combined.size] = combined - block_rows * n_items
        kept_sizes = np.where(sizes >= 2, sizes, 0)
        block_ends = np.cumsum(kept_sizes) + written
        position = np.arange(written, written + combined.size, dtype=np.int64)
        after[written : written + combined.size] = block_ends[block_rows] - position - 1
        written += combined.size
    return flat[:written], after[:written]


def _basket_blocks(indptr: Int64Array) -> Iterator[tuple[int, int]]:
    """(first, end) basket ranges of about CANDIDATE_CHUNK items each (at least one basket)."""
    n_baskets = indptr.size - 1
    first = 0
    while first < n_baskets:
        last = int(np.searchsorted(indptr, indptr[first] + CANDIDATE_CHUNK, side="right")) - 1
        last = min(max(last, first + 1), n_baskets)
        yield first, last
        first = last


def _extend(
    codes: Int32Array,
    after: AfterArray,
    occ_pos: Int32Array | None,
    occ_set: Int32Array,
    n_after: AfterArray,
    n_sets: int,
    n_items: int,
    min_count: int,
) -> tuple[Int64Array, Int64Array, Int32Array, Int32Array]:
    """Count all one-item extensions of the occurrences; return frequent keys, counts, occurrences.

    Keys are counted densely (``bincount``), a range of parent sets at a time so that each range's
    key space has at most MAX_DENSE_KEYS counters: time linear in the candidates, memory bounded.
    ``occ_pos`` None: every position is an occurrence (level 1).
    """
    sets_per_range = max(1, MAX_DENSE_KEYS // max(n_items, 1))
    set_bounds = [*range(0, n_sets, sets_per_range), n_sets]
    if len(set_bounds) > 2:  # several ranges: group the occurrences by parent set
        order = np.argsort(occ_set, kind="stable")
        positions = order.astype(np.int32) if occ_pos is None else occ_pos[order]
        occ_pos, occ_set, n_after = positions, occ_set[order], n_after[order]
        del order
        occ_bounds = np.searchsorted(occ_set, set_bounds).tolist()
    else:
        occ_bounds = [0, occ_set.size]
    keys: list[Int64Array] = []
    counts: list[Int64Array] = []
    new_pos: list[Int32Array] = []
    new_set: list[Int32Array] = []
    found = 0
    for (first, last), (lo, hi) in zip(
        itertools.pairwise(set_bounds), itertools.pairwise(occ_bounds), strict=True
    ):
        if lo == hi:
            continue
        part = _extend_range(
            codes,
            after,
            None if occ_pos is None else occ_pos[lo:hi],
            lo,
            occ_set[lo:hi],
            n_after[lo:hi],
            first,
            last,
            n_items,
            min_count,
        )
        keys.append(part[0])
        counts.append(part[1])
        new_pos.append(part[2])
        part[3][:] += np.int32(found)  # ids local to the range -> level ids (in place)
        new_set.append(part[3])
        found += part[0].size
    if len(keys) == 1:  # one range (as on ordinary baskets): its arrays as they are
        return keys[0], counts[0], new_pos[0], new_set[0]
    return (
        _joined(keys, np.int64),
        _joined(counts, np.int64),
        _joined(new_pos, np.int32),
        _joined(new_set, np.int32),
    )


def _positions(occ_pos: Int32Array | None, first: int, lo: int, hi: int) -> Int32Array:
    """Occurrences ``lo:hi`` of a range; ``occ_pos`` None: the range's positions from ``first``."""
    if occ_pos is None:
        return np.arange(first + lo, first + hi, dtype=np.int32)
    return occ_pos[lo:hi]


def _joined(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _extend_range(
    codes: Int32Array,
    after: AfterArray,
    occ_pos: Int32Array | None,
    first_occ: int,
    occ_set: Int32Array,
    n_after: AfterArray,
    first_set: int,
    end_set: int,
    n_items: int,
    min_count: int,
) -> tuple[Int64Array, Int64Array, Int32Array, Int32Array]:
    """The frequent extensions of the parent sets ``first_set <= set < end_set`` (dense counting);
    new occurrences carry ids local to this range."""
    bounds = _chunk_bounds(n_after)
    base = first_set * n_items
    key_space = (end_set - first_set) * n_items
    totals = np.zeros(key_space, dtype=np.int64)
    keep = int(n_after.sum(dtype=np.int64)) <= CACHED_CANDIDATES  # generate them once, not twice
    cached: list[tuple[Int32Array, Int32Array]] = []

    def candidates_of(lo: int, hi: int) -> tuple[Int32Array, Int32Array]:
        return _candidates(
            codes,
            _positions(occ_pos, first_occ, lo, hi),
            occ_set[lo:hi],
            n_after[lo:hi],
            n_items,
            first_set,
        )

    for lo, hi in itertools.pairwise(bounds):
        keys, positions = candidates_of(lo, hi)
        totals += np.bincount(keys, minlength=key_space)
        if keep:  # 8 bytes a candidate
            cached.append((keys, positions))
    frequent_keys = np.flatnonzero(totals >= min_count).astype(np.int64)
    frequent_counts = totals[frequent_keys]
    del totals
    table = np.full(key_space, -1, dtype=np.int32)
    table[frequent_keys] = np.arange(frequent_keys.size, dtype=np.int32)
    # The new occurrences are at most the frequent keys' candidates: written into arrays of that
    # size (an untouched tail costs address space only), not lists joined at the end (twice the memory).
    bound = int(frequent_counts.sum())
    new_pos = np.empty(bound, dtype=np.int32)
    new_set = np.empty(bound, dtype=np.int32)
    written = 0
    for chunk, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if keep:
            keys, positions = cached[chunk]
            cached[chunk] = (_EMPTY32, _EMPTY32)
        else:
            keys, positions = candidates_of(lo, hi)
        ids = table[keys]
        hit = ids >= 0
        hit &= after[positions] > 0  # an item with none after it extends nothing
        found = int(np.count_nonzero(hit))
        np.compress(hit, positions, out=new_pos[written : written + found])
        np.compress(hit, ids, out=new_set[written : written + found])
        written += found
    del table
    return frequent_keys + base, frequent_counts, new_pos[:written], new_set[:written]


def _chunk_bounds(n_after: AfterArray) -> list[int]:
    """Occurrence index bounds so that each chunk generates about CANDIDATE_CHUNK candidates
    (summed a block of occurrences at a time: no int64 copy of ``n_after``)."""
    if n_after.size == 0:
        return [0]
    bounds = {0, n_after.size}
    offset = 0
    for start in range(0, n_after.size, BOUNDS_BLOCK):
        cumulative = np.cumsum(n_after[start : start + BOUNDS_BLOCK], dtype=np.int64)
        cumulative += offset
        marks = np.arange(
            (offset // CANDIDATE_CHUNK + 1) * CANDIDATE_CHUNK, int(cumulative[-1]), CANDIDATE_CHUNK
        )
        bounds.update((np.searchsorted(cumulative, marks, side="right") + start).tolist())
        offset = int(cumulative[-1])
    return sorted(bounds)


def _candidates(
    codes: Int32Array,
    occ_pos: Int32Array,
    occ_set: Int32Array,
    n_after: AfterArray,
    n_items: int,
    first_set: int,
) -> tuple[Int32Array, Int32Array]:
    """Keys ``(set - first_set) * F + item``, local to the range (they index its key space, at most
    ``max(MAX_DENSE_KEYS, F)``), and flat positions of every (occurrence, later item in its basket);
    int32 both: a chunk is about CANDIDATE_CHUNK candidates and positions index ``codes``."""
    starts = np.cumsum(n_after, dtype=np.int64)
    total = int(starts[-1]) if n_after.size else 0
    starts -= n_after
    positions = np.repeat((occ_pos + 1 - starts).astype(np.int32), n_after)
    positions += np.arange(total, dtype=np.int32)
    keys = np.repeat((occ_set - np.int32(first_set)) * np.int32(n_items), n_after)
    keys += codes[positions]
    return keys, positions
