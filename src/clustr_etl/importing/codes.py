"""Fast group statistics on text keys: every column is factorized once into integer codes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

Codes = npt.NDArray[np.int64]


def factorize(values: pd.Series) -> tuple[Codes, pd.Index]:
    """Integer codes (-1 for empty cells) and the distinct values."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _pairs(keys: pd.Series, values: pd.Series) -> tuple[Codes, int, pd.Index, pd.Index]:
    """Each line's (key, value) as one integer, for lines where both are present."""
    key_codes, key_uniques = factorize(keys)
    value_codes, value_uniques = factorize(values)
    present = (key_codes >= 0) & (value_codes >= 0)
    width = max(len(value_uniques), 1)
    return key_codes[present] * width + value_codes[present], width, key_uniques, value_uniques


def unique_counts(values: Codes) -> tuple[Codes, Codes]:
    """Sorted distinct values and their counts (a plain sort: faster here than np.unique)."""
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    counts = np.diff(np.append(starts, ordered.size))
    return ordered[starts], counts


def most_frequent(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per key, its most frequent non-empty value (ties: the smallest), indexed by key."""
    pairs, width, key_uniques, value_uniques = _pairs(keys, values)
    distinct, counts = unique_counts(pairs)
    key, value = np.divmod(distinct, width)
    rank = np.empty(len(value_uniques), dtype=np.int64)
    rank[np.asarray(value_uniques.argsort())] = np.arange(len(value_uniques))
    order = np.lexsort((rank[value], -counts, key))
    key, value = key[order], value[order]
    first = np.concatenate([[True], key[1:] != key[:-1]]) if key.size else key.astype(bool)
    return pd.Series(
        np.asarray(value_uniques[value[first]], dtype=object),
        index=key_uniques[key[first]],
    )


def keys_with_several(keys: pd.Series, values: pd.Series) -> int:
    """How many keys appear with more than one distinct value."""
    pairs, width, _, _ = _pairs(keys, values)
    key = unique_counts(pairs)[0] // width
    return int((np.bincount(key) > 1).sum()) if key.size else 0


def repeated_pairs(first: pd.Series, second: pd.Series) -> int:
    """Lines whose (first, second) pair already appeared on an earlier line."""
    pairs, _, _, _ = _pairs(first, second)
    return int(pd.Series(pairs).duplicated().sum())


def ordered_ids(values: pd.Series, order_key: object) -> tuple[Codes, list[str]]:
    """1-based ids of each line's value in the sorted order of the distinct values, and that order."""
    codes, uniques = factorize(values)
    distinct = [str(value) for value in uniques]
    order = sorted(range(len(distinct)), key=lambda i: order_key(distinct[i]))  # type: ignore[operator]
    ids = np.empty(len(distinct), dtype=np.int64)
    ids[order] = np.arange(1, len(distinct) + 1)
    return ids[codes], [distinct[i] for i in order]
