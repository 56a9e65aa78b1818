"""Top-k lists from scored candidates: smaller key ranks first, one slot per item, -1 pads a short list."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]
PAD = -1


def top_k_from_pairs(
    rows: Int64Array,
    items: Int64Array,
    keys: npt.NDArray[np.integer] | npt.NDArray[np.floating],
    k: int,
    excluded: npt.NDArray[np.bool_],
) -> Int64Array:
    """Per row the ``k`` items with the smallest keys (an item's best key counts once).

    ``excluded[row, item]`` is true for the pairs never to recommend (the basket's items).
    """
    n_rows, n_items = excluded.shape
    top = np.full((n_rows, k), PAD, dtype=np.int64)
    if rows.size == 0:
        return top
    keep = ~excluded[rows, items]
    rows, items, keys = rows[keep], items[keep], keys[keep]
    flat = rows * n_items + items
    order = np.lexsort((keys, flat))  # by (row, item), best key first
    flat = flat[order]
    first = np.ones(flat.size, dtype=bool)
    first[1:] = flat[1:] != flat[:-1]
    rows, items, keys = rows[order][first], items[order][first], keys[order][first]
    order = np.lexsort((items, keys, rows))  # by row, then key (ties: item code)
    rows, items = rows[order], items[order]
    starts = np.searchsorted(rows, np.arange(n_rows, dtype=np.int64))
    rank = np.arange(rows.size, dtype=np.int64) - starts[rows]
    shown = rank < k
    top[rows[shown], rank[shown]] = items[shown]
    return top


def top_k_dense(keys: npt.NDArray[np.int64], k: int, not_recommended: int) -> Int64Array:
    """Per row of a dense key matrix the ``k`` columns with the smallest keys below ``not_recommended``."""
    n_rows, n_items = keys.shape
    width = min(k, n_items)
    top = np.full((n_rows, k), PAD, dtype=np.int64)
    if n_rows == 0 or width == 0:
        return top
    part = np.argpartition(keys, width - 1, axis=1)[:, :width]
    values = np.take_along_axis(keys, part, axis=1)
    order = np.lexsort((part, values), axis=1)
    chosen = np.take_along_axis(part, order, axis=1)
    chosen_values = np.take_along_axis(values, order, axis=1)
    chosen[chosen_values >= not_recommended] = PAD
    top[:, :width] = chosen
    return top


def first_k_valid(candidates: Int64Array, valid: npt.NDArray[np.bool_], k: int) -> Int64Array:
    """Per row the first ``k`` candidates (in column order) whose ``valid`` is true, -1 padded."""
    n_rows = candidates.shape[0]
    top = np.full((n_rows, k), PAD, dtype=np.int64)
    position = np.cumsum(valid, axis=1) - 1
    chosen = valid & (position < k)
    rows, columns = np.nonzero(chosen)
    top[rows, position[rows, columns]] = candidates[rows, columns]
    return top


def top_k_dense_desc(scores: npt.NDArray[np.float64], k: int) -> Int64Array:
    """Per row the ``k`` columns with the largest scores, best first (no two scores of a row tie)."""
    n_rows, n_items = scores.shape
    width = min(k, n_items)
    top = np.full((n_rows, k), PAD, dtype=np.int64)
    if n_rows == 0 or width == 0:
        return top
    part = np.argpartition(scores, n_items - width, axis=1)[:, n_items - width :]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top[:, :width] = np.take_along_axis(part, order, axis=1)
    return top
