"""Fast group statistics on text keys: each text column is factorized once into integer codes.

Text columns travel as pandas categoricals (codes plus their distinct labels), so cleaning a label
(stripping, merging spellings) touches each distinct value once, not every line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Codes = npt.NDArray[np.int64]
SortKeys = npt.NDArray[Any]  # one sort column: numbers, booleans or fixed-width text


def factorize(values: pd.Series) -> tuple[Codes, pd.Index]:
    """Integer codes (-1 for empty cells) and the labels they index (for a categorical: all of its
    categories, some maybe unused)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes: Codes = np.asarray(values.cat.codes, dtype=np.int64)
        return codes, values.cat.categories
    found, uniques = pd.factorize(values, use_na_sentinel=True)
    return found.astype(np.int64), pd.Index(uniques)


def _label_series(labels: pd.Index) -> pd.Series:
    """The labels as plain Python objects, for a function applied once per distinct label."""
    return pd.Series(np.asarray(labels, dtype=object), dtype=object)


def _per_label(codes: Codes, size: int) -> Codes:
    """How many lines hold each of ``size`` labels (-1 codes, empty cells, are not counted)."""
    return np.bincount(codes[codes >= 0], minlength=size)


def from_codes(codes: Codes, labels: pd.Series, index: pd.Index | None = None) -> pd.Series:
    """A categorical of ``labels[codes]`` (-1: missing); equal labels merge and a missing label
    (None, NaN) makes its lines missing."""
    merged, distinct = pd.factorize(np.asarray(labels, dtype=object), use_na_sentinel=True)
    recoded = np.append(merged, -1)[codes]  # code -1 picks the appended -1
    categories = pd.Index(np.asarray(distinct, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(recoded, categories), index=index)


def relabel(values: pd.Series, label: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``values`` as a categorical whose labels went through ``label`` (called once on the distinct
    labels, as an object Series; it may map several labels to one, or a label to None)."""
    codes, labels = factorize(values)
    renamed = label(_label_series(labels))
    return from_codes(codes, renamed, values.index)


def label_mask(
    values: pd.Series, predicate: Callable[[pd.Series], pd.Series]
) -> npt.NDArray[np.bool_]:
    """Each line's ``predicate`` of its label (evaluated once per distinct label); False when empty."""
    codes, labels = factorize(values)
    hits = predicate(_label_series(labels))
    return np.append(hits.fillna(False).to_numpy(bool), False)[codes]


def _pairs(keys: pd.Series, values: pd.Series) -> tuple[Codes, int, pd.Index, pd.Index]:
    """Each line's (key, value) as one integer, for lines where both are present."""
    key_codes, key_uniques = factorize(keys)
    value_codes, value_uniques = factorize(values)
    present = (key_codes >= 0) & (value_codes >= 0)
    width = max(len(value_uniques), 1)
    return key_codes[present] * width + value_codes[present], width, key_uniques, value_uniques


def unique_counts(values: Codes) -> tuple[Codes, Codes]:
    """Distinct values (in order of appearance) and their counts: a hash pass, no sort."""
    codes, distinct = pd.factorize(values)
    return np.asarray(distinct, dtype=np.int64), np.bincount(codes, minlength=len(distinct))


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
    pairs, width, key_uniques, _ = _pairs(keys, values)
    key = unique_counts(pairs)[0] // width
    return int((np.bincount(key, minlength=len(key_uniques)) > 1).sum())


def repeated_pairs(first: pd.Series, second: pd.Series) -> int:
    """Lines whose (first, second) pair already appeared on an earlier line."""
    pairs, _, _, _ = _pairs(first, second)
    return int(pd.Series(pairs).duplicated().sum())


def line_counts(values: pd.Series) -> tuple[Codes, pd.Index]:
    """How many lines hold each label (0 for a label no line uses), and the labels."""
    codes, labels = factorize(values)
    return _per_label(codes, len(labels)), labels


def ordered_ids(
    values: pd.Series, sort_columns: Callable[[SortKeys], list[SortKeys]]
) -> tuple[Codes, list[str]]:
    """1-based ids of each line's value in the order of the values in use sorted by
    ``sort_columns`` (first column first), and that order."""
    codes, labels = factorize(values)
    used = np.flatnonzero(_per_label(codes, len(labels)))
    distinct = np.asarray(labels, dtype=object)[used].astype(str)
    order = np.lexsort(sort_columns(distinct)[::-1]) if distinct.size else used
    ids = np.zeros(len(labels), dtype=np.int64)
    ids[used[order]] = np.arange(1, len(distinct) + 1)
    return ids[codes], distinct[order].tolist()
