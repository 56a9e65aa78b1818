"""Integer key sets with bounded memory: duplicate detection while streaming, fast membership tests.

Keys are int64 (dates as days since 1970-01-01). Dense key ranges (the usual 1..n ids) use a byte map of the
range (1 byte per possible id, at most ``DENSE_LIMIT``); sparse ones fall back to a sorted array.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Keys = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

DENSE_LIMIT = 64_000_000


class KeySet:
    """An immutable set of int64 keys answering ``contains(values)`` for whole arrays."""

    def __init__(self, *, dense: Mask | None = None, base: int = 0, ordered: Keys | None = None):
        self._dense = dense
        self._base = base
        self._ordered = ordered if ordered is not None else np.empty(0, dtype=np.int64)

    @classmethod
    def from_values(cls, values: Keys) -> KeySet:
        if values.size == 0:
            return cls(ordered=np.empty(0, dtype=np.int64))
        low, high = int(values.min()), int(values.max())
        if high - low < DENSE_LIMIT:
            dense = np.zeros(high - low + 1, dtype=np.bool_)
            dense[values - low] = True
            return cls(dense=dense, base=low)
        return cls(ordered=np.unique(values))

    def values(self) -> Keys:
        """The keys, ascending."""
        if self._dense is not None:
            return np.flatnonzero(self._dense).astype(np.int64) + self._base
        return self._ordered

    def union(self, other: KeySet) -> KeySet:
        return KeySet.from_values(np.concatenate([self.values(), other.values()]))

    def __len__(self) -> int:
        if self._dense is not None:
            return int(np.count_nonzero(self._dense))
        return int(self._ordered.size)

    def contains(self, values: Keys) -> Mask:
        if self._dense is not None:
            offsets = values - self._base
            inside = (offsets >= 0) & (offsets < self._dense.size)
            found = np.zeros(values.shape, dtype=np.bool_)
            found[inside] = self._dense[offsets[inside]]
            return found
        if self._ordered.size == 0:
            return np.zeros(values.shape, dtype=np.bool_)
        positions = np.searchsorted(self._ordered, values).clip(0, self._ordered.size - 1)
        result: Mask = self._ordered[positions] == values
        return result


class KeyCollector:
    """Collects a column's keys batch by batch and finds a duplicate key, if any.

    Dense ranges are tracked in a growing byte map (duplicates found while streaming, the first one in file
    order); otherwise the keys are kept and checked by sorting at the end.
    """

    def __init__(self, *, keep: bool = True) -> None:
        self._seen: Mask | None = np.zeros(0, dtype=np.bool_)
        self._base = 0
        self._chunks: list[Keys] = []
        self._keep = keep

    def add(self, values: Keys) -> int | None:
        """Add the keys of the next batch; return a key seen twice, if any."""
        if values.size == 0:
            return None
        if self._seen is not None and self._grow(int(values.min()), int(values.max())):
            return self._add_dense(values)
        self._chunks.append(values.astype(np.int64, copy=True))
        return None

    def _grow(self, low: int, high: int) -> bool:
        """Make the byte map cover [low, high]; False (and switch to sorted mode) if too wide."""
        assert self._seen is not None
        if self._seen.size == 0:
            if high - low >= DENSE_LIMIT:  # [ops helper] keys far apart in the first batch
                self._seen = None  # (e.g. 1 and 2**62) would need a huge byte map: sort instead
                return False
            self._base, self._seen = low, np.zeros(high - low + 1, dtype=np.bool_)
            return True
        new_low = min(low, self._base)
        new_high = max(high, self._base + self._seen.size - 1)
        if new_high - new_low >= DENSE_LIMIT:
            self._chunks = [np.flatnonzero(self._seen).astype(np.int64) + self._base]
            self._seen = None
            return False
        if new_low < self._base or new_high >= self._base + self._seen.size:
            size = max(new_high - new_low + 1, 2 * self._seen.size)
            grown = np.zeros(size, dtype=np.bool_)
            offset = self._base - new_low
            grown[offset : offset + self._seen.size] = self._seen
            self._base, self._seen = new_low, grown
        return True

    def _add_dense(self, values: Keys) -> int | None:
        assert self._seen is not None
        offsets = values - self._base
        already = self._seen[offsets]
        increasing = values.size < 2 or bool(np.all(values[1:] > values[:-1]))
        if not already.any() and (increasing or np.unique(values).size == values.size):
            self._seen[offsets] = True
            return None
        # The first row (in file order) whose key was seen before, in an earlier batch or this one.
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        repeated_in_batch = order[np.flatnonzero(ordered[1:] == ordered[:-1]) + 1]
        candidates = np.concatenate([np.flatnonzero(already), repeated_in_batch])
        return int(values[int(candidates.min())])

    def finish(self) -> tuple[KeySet | None, int | None]:
        """The collected keys as a KeySet (if kept) and a duplicate key found by sorting, if any."""
        if self._seen is not None:
            if not self._keep:
                return None, None
            return KeySet(dense=self._seen, base=self._base), None
        keys = np.concatenate(self._chunks) if self._chunks else np.empty(0, dtype=np.int64)
        self._chunks = []
        keys.sort()
        repeats = np.flatnonzero(keys[1:] == keys[:-1])
        if repeats.size:
            return None, int(keys[int(repeats[0])])
        return (KeySet(ordered=keys) if self._keep else None), None
