"""Baskets: transactions as CSR-like numpy arrays, built from basket files, sales CSVs or id pairs.

Item codes are assigned in the canonical key order (numeric when every key is an integer, else
string order), so sorting codes sorts keys. Items are de-duplicated within a basket. Lines or
transactions without any item are not transactions (they are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from clustr_etl.errors import InputFileError

SALES_KEY_COLUMNS = ("transaction_id", "product_id")
# A byte that does not occur in text files: every line is read as one field, split afterwards.
_WHOLE_LINE_DELIMITER = "\x1e"


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
        return [[labels[c] for c in codes[a:b]] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def canonical_order(keys: list[str]) -> npt.NDArray[np.int64]:
    """Positions of ``keys`` in canonical order: numeric when all keys are integers, else string order."""
    try:
        numbers = [int(key) for key in keys]
    except ValueError:
        return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
    return np.asarray(sorted(range(len(keys)), key=lambda i: (numbers[i], keys[i])), dtype=np.int64)


def baskets_from_codes(
    row: npt.NDArray[np.int64], codes: npt.NDArray[np.int64], keys: list[str]
) -> Baskets:
    """Baskets from (row index, code into ``keys``) pairs; rows are renumbered densely in order."""
    order = canonical_order(keys)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys), dtype=np.int64)
    n_keys = max(len(keys), 1)
    combined = np.unique(row.astype(np.int64) * n_keys + rank[codes])  # sorts and de-duplicates
    rows = combined // n_keys
    items = (combined - rows * n_keys).astype(np.int32)
    _, sizes = np.unique(rows, return_counts=True)
    indptr = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    used = np.zeros(len(keys), dtype=bool)
    used[items] = True
    if not used.all():  # keys that only ever appeared in skipped rows: drop them
        remap = np.cumsum(used) - 1
        items = remap[items].astype(np.int32)
        order = order[used]
    labels = [keys[i] for i in order.tolist()]
    return Baskets(indptr=indptr, items=items, labels=labels)


def baskets_from_pairs(
    transaction_ids: npt.ArrayLike, item_keys: npt.ArrayLike
) -> Baskets:
    """Baskets from parallel arrays (one row per sale line); labels are ``str(item_key)``."""
    tids = np.asarray(transaction_ids)
    keys = np.asarray(item_keys)
    if tids.shape != keys.shape or tids.ndim != 1:
        raise InputFileError("transaction ids and item keys must be 1-D arrays of equal length")
    if tids.shape[0] == 0:
        raise InputFileError("no sales lines to mine", "load or generate sales first")
    _, row = np.unique(tids, return_inverse=True)
    unique_keys, codes = np.unique(keys, return_inverse=True)
    labels = [str(key) for key in unique_keys.tolist()]
    return baskets_from_codes(row.astype(np.int64), codes.astype(np.int64), labels)


def read_basket_file(path: str | Path) -> Baskets:
    """One basket per line, comma-separated labels (e.g. groceries.csv).

    Whitespace around labels is stripped, empty labels are ignored, a UTF-8 BOM and CRLF line ends
    are accepted, lines without any label are skipped, duplicate labels in a basket count once.
    """
    path = Path(path)
    lines = _read_lines(path)
    parts = pc.split_pattern(lines, pattern=",")
    row = np.asarray(pc.list_parent_indices(parts), dtype=np.int64)
    values = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = np.asarray(pc.greater(pc.utf8_length(values), 0).fill_null(False))
    if not keep.any():
        raise InputFileError(f"{path}: no baskets found", "expected one comma-separated basket per line")
    encoded = pc.dictionary_encode(values.filter(pa.array(keep)))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = np.asarray(encoded.indices, dtype=np.int64)
    keys = [str(label) for label in encoded.dictionary.to_pylist()]
    return baskets_from_codes(row[keep], codes, keys)


def _read_lines(path: Path) -> pa.Array:
    if not path.is_file():
        raise InputFileError(f"basket file {path} not found", "check --input")
    read_options = pa_csv.ReadOptions(column_names=["line"], encoding="utf8")
    parse_options = pa_csv.ParseOptions(
        delimiter=_WHOLE_LINE_DELIMITER, quote_char=False, escape_char=False, ignore_empty_lines=True
    )
    convert_options = pa_csv.ConvertOptions(
        column_types={"line": pa.string()}, null_values=[], strings_can_be_null=False
    )
    try:
        table = pa_csv.read_csv(path, read_options, parse_options, convert_options)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as err:
        raise InputFileError(
            f"cannot read basket file {path}: {str(err).splitlines()[0]}",
            "expected UTF-8 text, one comma-separated basket per line",
        ) from None
    column = table.column("line")
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def read_sales_csv(path: str | Path) -> Baskets:
    """Baskets from a sales CSV with ``transaction_id`` and ``product_id`` columns (labels: product ids)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"sales file {path} not found", "check --input")
    convert_options = pa_csv.ConvertOptions(
        include_columns=list(SALES_KEY_COLUMNS),
        column_types={name: pa.int64() for name in SALES_KEY_COLUMNS},
    )
    try:
        table = pa_csv.read_csv(path, convert_options=convert_options)
    except (pa.ArrowInvalid, pa.ArrowKeyError, OSError, UnicodeDecodeError, KeyError) as err:
        raise InputFileError(
            f"cannot read sales file {path}: {str(err).splitlines()[0]}",
            "expected a CSV with integer transaction_id and product_id columns",
        ) from None
    if table.num_rows == 0:
        raise InputFileError(f"sales file {path} has no rows", "generate or export sales first")
    if any(table.column(name).null_count for name in SALES_KEY_COLUMNS):
        raise InputFileError(f"sales file {path} has empty transaction_id or product_id values")
    return baskets_from_pairs(
        table.column("transaction_id").to_numpy(), table.column("product_id").to_numpy()
    )
