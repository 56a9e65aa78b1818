"""Baskets: transactions as CSR-like numpy arrays, built from basket files, sales CSVs or id pairs.

Item codes are assigned in the canonical key order (numeric when every key is an integer, else
string order), so sorting codes sorts keys. Items are de-duplicated within a basket. Lines or
transactions without any item are not transactions (they are skipped).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from clustr_etl.errors import InputFileError

SALES_KEY_COLUMNS = ("transaction_id", "product_id")
_COMMA, _NEWLINE, _SPACE = ord(","), ord("\n"), ord(" ")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Baskets:
    """Transactions as CSR arrays: basket ``t`` holds ``labels[c]`` for ``c in items[indptr[t]:indptr[t+1]]``."""

    indptr: npt.NDArray[np.int64]
    items: npt.NDArray[np.int32]
    labels: list[str]

    @property
    def n_transactions(self) -> int:
        return int(self.indptr.shape[0]) - 1

    def as_lists(self) -> list[list[str]]:
        """Baskets as lists of labels (small data, tests and reference engines)."""
        labels = self.labels
        bounds = self.indptr.tolist()
        codes = self.items.tolist()
        return [[labels[c] for c in codes[a:b]] for a, b in itertools.pairwise(bounds)]


def canonical_order(keys: list[str]) -> npt.NDArray[np.int64]:
    """Positions of ``keys`` in canonical order: numeric when all keys are integers, else string order."""
    try:
        numbers = [int(key) for key in keys]
    except ValueError:
        return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return np.asarray(sorted(range(len(keys)), key=lambda i: (numbers[i], keys[i])), dtype=np.int64)


def baskets_from_codes(
    row: npt.NDArray[np.integer[Any]], codes: npt.NDArray[np.integer[Any]], keys: list[str]
) -> Baskets:
    """Baskets from (row number, code into ``keys``) pairs; each distinct row becomes one basket.

    Rows must be non-decreasing (the caller groups them); baskets keep the order of their rows.
    """
    # Large fresh arrays are costly (page faults), so this works in place where it can.
    order = canonical_order(keys)
    n_keys = max(len(keys), 1)
    combined = np.multiply(row, n_keys, dtype=np.int64)
    if np.array_equal(order, np.arange(len(keys))):
        np.add(combined, codes, out=combined)
    else:
        rank = np.empty(len(keys), dtype=np.int64)
        rank[order] = np.arange(len(keys), dtype=np.int64)
        np.add(combined, rank[codes], out=combined)
    combined.sort(kind="stable")  # sorts items within each basket; rows are non-decreasing
    repeated = combined[1:] == combined[:-1]
    if repeated.any():  # an item twice in a basket counts once
        fresh = np.concatenate([[True], ~repeated])
        combined, row = combined[fresh], row[fresh]
    del repeated
    np.remainder(combined, n_keys, out=combined)  # row * n_keys + item -> item
    items = combined.astype(np.int32)
    del combined
    starts = np.flatnonzero(row[1:] != row[:-1]) + 1
    indptr = np.concatenate([[0], starts, [row.size]]).astype(np.int64)
    used = np.zeros(len(keys), dtype=bool)
    used[items] = True
    if not used.all():  # keys that only ever appeared in skipped rows: drop them
        remap = np.cumsum(used) - 1
        items = remap[items].astype(np.int32)
        order = order[used]
    labels = [keys[i] for i in order.tolist()]
    return Baskets(indptr=indptr, items=items, labels=labels)


def baskets_from_pairs(transaction_ids: npt.ArrayLike, item_keys: npt.ArrayLike) -> Baskets:
    """Baskets from parallel arrays (one element per sale line); labels are ``str(item_key)``.

    Baskets are ordered by transaction id.
    """
    tids = np.asarray(transaction_ids)
    keys = np.asarray(item_keys)
    if tids.shape != keys.shape or tids.ndim != 1:
        raise InputFileError("transaction ids and item keys must be 1-D arrays of equal length")
    if tids.shape[0] == 0:
        raise InputFileError("no sales lines to mine", "load or generate sales first")
    codes, unique_keys = pd.factorize(keys, sort=True)
    if (codes < 0).any():
        raise InputFileError("item keys contain missing values")
    if tids.shape[0] > 1 and not bool((tids[1:] >= tids[:-1]).all()):
        order = np.argsort(tids, kind="stable")
        tids, codes = tids[order], codes[order]
    row = np.zeros(tids.shape[0], dtype=np.int32)  # basket number of each line
    np.cumsum(tids[1:] != tids[:-1], dtype=np.int32, out=row[1:])
    labels = [str(key) for key in np.asarray(unique_keys).tolist()]
    return baskets_from_codes(row, codes, labels)


def read_basket_file(path: str | Path) -> Baskets:
    """One basket per line, comma-separated labels (e.g. groceries.csv); no CSV quoting.

    Whitespace around labels is stripped, empty labels are ignored, a UTF-8 BOM and CRLF line ends
    are accepted, lines without any label are skipped, duplicate labels in a basket count once.
    """
    path = Path(path)
    data = _read_bytes(path)
    # Every label ends at a delimiter (comma or newline). Blanking the delimiters lets one
    # zero-copy Arrow string array hold every label; trimming whitespace then removes them.
    delimiters = np.flatnonzero((data == _COMMA) | (data == _NEWLINE))
    is_newline = data[delimiters] == _NEWLINE
    data[delimiters] = _SPACE
    offsets = np.empty(delimiters.size + 1, dtype=np.int64)
    offsets[0] = 0
    np.add(delimiters, 1, out=offsets[1:])
    del delimiters
    raw = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )
    try:
        raw.validate(full=True)
    except pa.ArrowInvalid:
        raise InputFileError(
            f"basket file {path} is not valid UTF-8 text", "save it as UTF-8"
        ) from None
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(raw))
    del raw, data, offsets
    keys = [str(label) for label in encoded.dictionary.to_pylist()]
    codes = np.asarray(encoded.indices)
    del encoded
    pa.default_memory_pool().release_unused()
    row = np.cumsum(is_newline, dtype=np.int32) - is_newline  # line number of each label
    del is_newline
    if "" in keys:  # empty labels: blank lines, ",,", trailing commas
        empty = keys.index("")
        keep = codes != empty
        row, codes = row[keep], codes[keep]
        codes = codes - (codes > empty)
        keys.pop(empty)
    if codes.size == 0:
        raise InputFileError(
            f"basket file {path} has no baskets", "expected one comma-separated basket per line"
        )
    return baskets_from_codes(row, codes, keys)


def _read_bytes(path: Path) -> npt.NDArray[np.uint8]:
    """The file's bytes (without a UTF-8 BOM) in a writable array that ends with a newline."""
    if not path.is_file():
        raise InputFileError(f"basket file {path} not found", "check --input")
    try:
        size = path.stat().st_size
        data = np.empty(size + 1, dtype=np.uint8)
        with path.open("rb") as handle:
            read = handle.readinto(data[:size].data)
    except OSError as err:
        raise InputFileError(f"cannot read basket file {path}: {err.strerror}") from None
    data = data[: read + 1]
    data[read] = _NEWLINE
    return data[3:] if data[:3].tobytes() == _UTF8_BOM else data


def read_sales_csv(path: str | Path) -> Baskets:
    """Baskets from a sales CSV with ``transaction_id`` and ``product_id`` columns (labels: product ids).

    Keys may be integers or text (e.g. SKUs such as ``85123A`` and invoice numbers).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"sales file {path} not found", "check --input")
    convert_options = pa_csv.ConvertOptions(
        include_columns=list(SALES_KEY_COLUMNS),
        column_types={name: pa.string() for name in SALES_KEY_COLUMNS},
        strings_can_be_null=True,
    )
    try:
        table = pa_csv.read_csv(path, convert_options=convert_options)
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError, UnicodeDecodeError, KeyError) as err:
        raise InputFileError(
            f"cannot read sales file {path}: {str(err).splitlines()[0]}",
            "expected a CSV with transaction_id and product_id columns",
        ) from None
    if table.num_rows == 0:
        raise InputFileError(f"sales file {path} has no rows", "generate or export sales first")
    if any(table.column(name).null_count for name in SALES_KEY_COLUMNS):
        raise InputFileError(f"sales file {path} has empty transaction_id or product_id values")
    return baskets_from_pairs(
        _key_array(table.column("transaction_id")), _key_array(table.column("product_id"))
    )


def _key_array(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    """Integer keys as int64 (numeric order), anything else as text."""
    try:
        return np.asarray(column.cast(pa.int64()).to_numpy())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.asarray(pc.utf8_trim_whitespace(column).to_numpy(zero_copy_only=False))
