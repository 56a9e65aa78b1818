"""Baskets: transactions as CSR-like numpy arrays, built from basket files, sales CSVs or id pairs.

Item codes are assigned in the canonical key order (numeric when every key is an integer, else
string order), so sorting codes sorts keys. Items are de-duplicated within a basket. Lines or
transactions without any item are not transactions (they are skipped).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
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
READ_BLOCK_BYTES = 1 << 22  # basket file bytes per block (whole lines)
NORMALIZE_BLOCK = 1 << 20  # items sorted per block


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
    The file is read in blocks of whole lines: memory follows the item codes (4 bytes an item), not
    the file's size.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"basket file {path} not found", "check --input")
    # Every label takes at least one byte and a delimiter: an upper bound whose untouched tail costs
    # address space only, never memory.
    items = np.empty(path.stat().st_size // 2 + 2, dtype=np.int32)
    keys: dict[str, int] = {}
    lengths: list[npt.NDArray[np.int32]] = []
    written = 0
    for block in _line_blocks(path):
        codes, block_lengths = _encode_block(block, keys, path)
        items[written : written + codes.size] = codes
        written += codes.size
        lengths.append(block_lengths)
    if written == 0:
        raise InputFileError(
            f"basket file {path} has no baskets", "expected one comma-separated basket per line"
        )
    labels = list(keys)
    order = canonical_order(labels)
    rank = np.empty(len(labels), dtype=np.int32)
    rank[order] = np.arange(len(labels), dtype=np.int32)
    items = items[:written]
    for start in range(0, written, NORMALIZE_BLOCK):  # codes -> canonical codes, in place
        part = items[start : start + NORMALIZE_BLOCK]
        np.take(rank, part, out=part)
    indptr = np.zeros(sum(part.size for part in lengths) + 1, dtype=np.int64)
    filled = 0
    while lengths:  # each block's lengths let go of once summed
        part = lengths.pop(0)
        np.cumsum(part, out=indptr[filled + 1 : filled + 1 + part.size])
        indptr[filled + 1 : filled + 1 + part.size] += indptr[filled]
        filled += part.size
    indptr, items = normalize_baskets(indptr, items, len(labels))
    return Baskets(indptr=indptr, items=items, labels=[labels[i] for i in order.tolist()])


def _line_blocks(path: Path) -> Iterator[npt.NDArray[np.uint8]]:
    """The file's bytes in writable blocks of whole lines, each ending with a newline (no UTF-8 BOM)."""
    carry = b""
    first = True
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(READ_BLOCK_BYTES):
                if first:
                    chunk = chunk.removeprefix(_UTF8_BOM)
                    first = False
                last_newline = chunk.rfind(b"\n")
                if last_newline < 0:
                    carry += chunk
                    continue
                block = np.frombuffer(carry + chunk[: last_newline + 1], dtype=np.uint8).copy()
                carry = chunk[last_newline + 1 :]
                yield block
    except OSError as err:
        raise InputFileError(f"cannot read basket file {path}: {err.strerror}") from None
    if carry:
        yield np.frombuffer(carry + b"\n", dtype=np.uint8).copy()


def _encode_block(
    data: npt.NDArray[np.uint8], keys: dict[str, int], path: Path
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Codes (into ``keys``, which grows) of the labels of whole lines, and each basket's length."""
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
    del raw, offsets
    labels = encoded.dictionary.to_pylist()
    remap = np.asarray(
        [-1 if label == "" else keys.setdefault(label, len(keys)) for label in labels],
        dtype=np.int32,
    )
    codes = remap[np.asarray(encoded.indices)]
    del encoded
    row = np.cumsum(is_newline, dtype=np.int32) - is_newline  # line number of each label
    keep = codes >= 0  # empty labels: blank lines, ",,", trailing commas
    lengths = np.bincount(row[keep], minlength=int(is_newline.sum()))
    return codes[keep], lengths[lengths > 0].astype(np.int32)


def normalize_baskets(
    indptr: npt.NDArray[np.int64], items: npt.NDArray[np.int32], n_keys: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Each basket's items sorted, an item twice in a basket kept once. Works on ``indptr`` and
    ``items`` in place, a block of baskets at a time (no array of every line's basket number)."""
    n_baskets = indptr.size - 1
    written = 0
    first = 0
    low = int(indptr[0])
    while first < n_baskets:
        last = int(np.searchsorted(indptr, low + NORMALIZE_BLOCK, side="right")) - 1
        last = min(max(last, first + 1), n_baskets)
        high = int(indptr[last])
        block = items[low:high]
        ends = indptr[first + 1 : last + 1] - low  # each basket's end within the block
        ascending = block[1:] > block[:-1]
        ascending[ends[:-1] - 1] = True  # a basket starts: no order across
        if ascending.all():  # already sorted, no repeats: only moved
            items[written : written + block.size] = block
            indptr[first + 1 : last + 1] = ends + written
            written += block.size
        else:
            lengths = np.diff(ends, prepend=0)
            keyed = np.repeat(np.arange(last - first, dtype=np.int64) * n_keys, lengths)
            keyed += block
            keyed.sort(kind="stable")  # baskets ascend: runs, several x quicker than quicksort
            fresh = np.empty(keyed.size, dtype=bool)
            fresh[0] = True
            np.not_equal(keyed[1:], keyed[:-1], out=fresh[1:])
            keyed = keyed[fresh]
            basket = keyed // n_keys
            items[written : written + keyed.size] = keyed - basket * n_keys
            counts = np.bincount(basket, minlength=last - first)
            indptr[first + 1 : last + 1] = np.cumsum(counts) + written
            written += keyed.size
        first, low = last, high
    indptr[0] = 0
    return indptr, items[:written]


def baskets_from_lines(
    indptr: npt.NDArray[np.int64],
    product_ids: npt.NDArray[np.integer[Any]],
    *,
    in_place: bool = False,
) -> Baskets:
    """Baskets from integer item keys grouped by basket (``indptr``, no empty basket); labels are
    the keys as text, in numeric order. ``in_place``: the arrays may be overwritten (and reused)."""
    codes, keys = _integer_codes(product_ids, in_place=in_place)
    indptr, items = normalize_baskets(indptr if in_place else indptr.copy(), codes, keys.size)
    return Baskets(indptr=indptr, items=items, labels=[str(key) for key in keys.tolist()])


def _integer_codes(
    keys: npt.NDArray[np.integer[Any]], *, in_place: bool
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Codes of ``keys`` in numeric order (a lookup table when the keys are small, as ids are;
    written over int32 ``keys`` when ``in_place``)."""
    low, high = int(keys.min()), int(keys.max())
    if low >= 0 and high < max(4 * keys.size, 1 << 20):
        used = np.zeros(high + 1, dtype=bool)
        used[keys] = True
        rank = np.cumsum(used, dtype=np.int32) - 1
        in_keys = in_place and keys.dtype == np.int32
        codes = keys.view(np.int32) if in_keys else np.empty(keys.size, dtype=np.int32)
        for start in range(0, keys.size, NORMALIZE_BLOCK):
            np.take(
                rank,
                keys[start : start + NORMALIZE_BLOCK],
                out=codes[start : start + NORMALIZE_BLOCK],
            )
        return codes, np.flatnonzero(used).astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.astype(np.int32), unique.astype(np.int64)


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
