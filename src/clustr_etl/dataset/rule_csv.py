"""CSV text of a chunk of rules, fast: the measures formatted once per distinct count tuple.

The fields are what Python's ``csv`` module (QUOTE_MINIMAL) writes for the values: floats as their
``repr`` (the shortest round trip; ``inf`` for conviction), whole-number columns as integers,
missing values (None, NaN, pd.NA) as empty fields, text quoted only when it holds a comma, a
quote or a line break. Every measure of a rule is a function of its counts (n(AC), n(A), n(C), N),
and millions of rules share few such tuples (identical baskets), so the measure columns are
formatted for one row per distinct tuple - after checking that the rows of each tuple do carry the
same values, so any frame gives the bytes the ``csv`` module would.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.rule_columns import RULE_COLUMN_SPECS

COUNT_COLUMNS = ("rule_count", "antecedent_count", "consequent_count", "n_transactions")
MEASURE_COLUMNS = frozenset(
    c.name for c in RULE_COLUMN_SPECS if c.kind in ("float", "int") and c.name != "scope"
)
_SPECIAL = (",", '"', "\r", "\n")
Texts = npt.NDArray[np.object_]


def header_line(columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(columns)
    return buffer.getvalue()


def csv_text(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """The rows of ``frame`` (columns ``columns``) as CSV lines, each ending in a newline."""
    if len(frame) == 0:
        return ""
    groups = _count_groups(frame)
    fields: list[Texts] = []
    block: list[str] = []  # consecutive measure columns formatted per count tuple
    for name in columns:
        if groups is not None and name in MEASURE_COLUMNS and _same_in_groups(frame[name], groups):
            block.append(name)
            continue
        if block and groups is not None:
            fields.append(_block_texts(frame, block, groups))
            block = []
        fields.append(column_texts(frame[name]))
    if block and groups is not None:
        fields.append(_block_texts(frame, block, groups))
    if len(fields) == 1:  # a lone empty field is written "" (an empty line would be no row)
        return "\n".join(text or '""' for text in fields[0].tolist()) + "\n"
    return _lines(fields)


def _lines(fields: list[Texts]) -> str:
    """Rows of the fields joined by commas; leading and trailing fields the same on every row
    (scope, an empty window) are written into the line's prefix and suffix, not per row."""
    same = [bool(texts.size) and bool((texts == texts[0]).all()) for texts in fields]
    lead = next((i for i, flag in enumerate(same) if not flag), len(fields))
    if lead == len(fields):  # every field constant
        return (",".join(str(texts[0]) for texts in fields) + "\n") * len(fields[0])
    tail = len(fields) - next(i for i, flag in enumerate(reversed(same)) if not flag)
    prefix = "".join(str(texts[0]) + "," for texts in fields[:lead])
    suffix = "".join("," + str(texts[0]) for texts in fields[tail:]) + "\n"
    middle = [texts.tolist() for texts in fields[lead:tail]]
    rows = middle[0] if len(middle) == 1 else map(",".join, zip(*middle, strict=True))
    return prefix + (suffix + prefix).join(rows) + suffix


Groups = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]  # first row of each tuple, row -> tuple


def _count_groups(frame: pd.DataFrame) -> Groups | None:
    """Rows grouped by their count tuple, when the frame has whole-number count columns."""
    if not all(
        name in frame.columns and pd.api.types.is_integer_dtype(frame[name].dtype)
        for name in COUNT_COLUMNS
    ):
        return None
    return distinct_rows([frame[name].to_numpy(dtype=np.int64) for name in COUNT_COLUMNS])


def distinct_rows(keys: Sequence[npt.NDArray[Any]]) -> Groups:
    """The first row of each distinct tuple of ``keys`` (equal-length columns) and each row's
    tuple number (``np.unique(axis=0)`` without its slow byte-string sort)."""
    combined = _combined_key(keys)
    if combined is not None:  # one stable argsort of one integer key: faster than lexsort
        keys = [combined]
        order = np.argsort(combined, kind="stable")
    else:
        order = np.lexsort(list(keys)[::-1])
    changed = np.zeros(order.size, dtype=bool)
    changed[:1] = True
    for key in keys:
        ordered = key[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    first = order[changed]
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.cumsum(changed) - 1
    return first, inverse


def _combined_key(keys: Sequence[npt.NDArray[Any]]) -> npt.NDArray[np.int64] | None:
    """The tuples of non-negative integer ``keys`` as one int64 in the same order, when it fits."""
    if not keys or not all(key.dtype.kind in "iu" and key.size for key in keys):
        return None
    if any(int(key.min()) < 0 for key in keys):
        return None
    spans = [int(key.max()) + 1 for key in keys]
    if math.prod(spans) >= 1 << 62:
        return None
    combined = keys[0].astype(np.int64)
    for key, span in zip(keys[1:], spans[1:], strict=True):
        combined = combined * span + key
    return combined


def _same_in_groups(column: pd.Series, groups: Groups) -> bool:
    """Whether every row of a count tuple has the value of the tuple's first row."""
    if not (
        pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype)
    ):
        return False
    values = column.to_numpy()
    first, inverse = groups
    expected = values[first][inverse]
    same = values == expected
    if values.dtype.kind == "f":
        same |= np.isnan(values) & np.isnan(expected)
    return bool(same.all())


def _block_texts(frame: pd.DataFrame, names: list[str], groups: Groups) -> Texts:
    """The joined fields of consecutive measure columns, formatted once per count tuple."""
    first, inverse = groups
    heads = frame.iloc[first]
    texts = [column_texts(heads[name]).tolist() for name in names]
    joined = [",".join(row) for row in zip(*texts, strict=True)]
    return np.asarray(joined, dtype=object)[inverse]


def column_texts(column: pd.Series) -> Texts:
    """One column as CSV fields (quoted where the ``csv`` module would quote)."""
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float)
        texts = np.asarray(list(map(repr, values.tolist())), dtype=object)
        texts[np.isnan(values)] = ""  # repr of a float: the shortest round trip
        return texts
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return np.asarray(list(map(str, column.tolist())), dtype=object)
    if not column.hasnans and pd.api.types.infer_dtype(column, skipna=False) == "string":
        strings: list[str] = column.tolist()
    else:
        strings = [_text(v) for v in column.tolist()]
    if any(mark in "\x00".join(strings) for mark in _SPECIAL):
        strings = [_quoted(v) for v in strings]
    return np.asarray(strings, dtype=object)


def _text(value: Any) -> str:
    """Missing values (None, NaN, pd.NA) as empty fields, anything else as ``str``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _quoted(value: str) -> str:
    if any(mark in value for mark in _SPECIAL):
        return '"' + value.replace('"', '""') + '"'
    return value
