"""Reading baskets from the ``sales`` table in bulk, without one Python object per sale line.

How the pairs are fetched fast is backend-specific (``Backend.sales_pair_chunks``: a binary COPY of
fixed-width records over two connections on PostgreSQL, ``group_concat`` chunks on SQLite); here
each chunk is grouped by transaction as it arrives (int32 product ids, one transaction id per
basket), so memory follows the baskets, not two int64 arrays of every sale line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DatabaseError, InputFileError
from clustr_etl.mining.baskets import Baskets, baskets_from_lines
from clustr_etl.store.backends import backend_for, driver_error_line

Int64Array = npt.NDArray[np.int64]
KeyArray = npt.NDArray[np.integer[Any]]
_INT32 = np.iinfo(np.int32)


@dataclass(frozen=True)
class SaleLines:
    """Sale lines grouped by transaction: transaction ``transaction_ids[t]`` (increasing) sold
    ``product_ids[indptr[t]:indptr[t + 1]]`` (at least one line each)."""

    transaction_ids: Int64Array
    indptr: Int64Array
    product_ids: KeyArray

    @property
    def n_lines(self) -> int:
        return int(self.product_ids.size)

    def without_products(self, excluded: Int64Array) -> SaleLines:
        """The lines of products not in ``excluded`` (transactions left without lines dropped)."""
        keep = ~np.isin(self.product_ids, excluded)
        # lines kept per transaction (each has at least one line: no empty segment for reduceat),
        # without an int64 running count of every line
        counts = np.add.reduceat(keep, self.indptr[:-1], dtype=np.int64)
        some = counts > 0
        return SaleLines(self.transaction_ids[some], _indptr(counts[some]), self.product_ids[keep])

    def of_transactions(self, ids: Int64Array) -> SaleLines:
        """The lines of the transactions in ``ids``."""
        chosen = np.isin(self.transaction_ids, ids)
        lengths = np.diff(self.indptr)
        lines = np.repeat(chosen, lengths)
        return SaleLines(
            self.transaction_ids[chosen], _indptr(lengths[chosen]), self.product_ids[lines]
        )

    def baskets(self, *, reuse: bool = False) -> Baskets:
        """One basket per transaction, in transaction-id order; labels are product ids as text.
        ``reuse``: the lines are not needed afterwards, so the baskets may take over their arrays."""
        if self.n_lines == 0:
            raise InputFileError("no sales lines to mine", "load or generate sales first")
        return baskets_from_lines(self.indptr, self.product_ids, in_place=reuse)


def read_baskets_from_db(engine: Engine) -> Baskets:
    """Baskets from ``sales(transaction_id, product_id)``; labels are product ids as text."""
    return read_sale_lines(engine).baskets(reuse=True)


def read_sale_lines(engine: Engine) -> SaleLines:
    """Every sale line with a transaction and a product, grouped by transaction.

    Each chunk is grouped as it arrives and appended to arrays sized from the backend's estimate,
    so memory holds the result and one chunk, not a list of chunks and their concatenation.
    """
    backend = backend_for(engine)
    try:
        estimate = backend.sales_line_estimate(engine)
        lines = _SaleLinesBuilder(estimate)
        for tids, pids in backend.sales_pair_chunks(engine):
            lines.append(_grouped(tids, pids))
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot read sales from the database: {driver_error_line(err, engine.url)}",
            "run init-db and load the sales table first",
        ) from None
    if lines.n_lines == 0:
        raise InputFileError("the sales table is empty: nothing to mine", "load sales first")
    return lines.result()


class _SaleLinesBuilder:
    """Grouped chunks appended in arrival order to growing arrays (room for ``estimate`` lines; an
    untouched tail costs address space only)."""

    def __init__(self, estimate: int) -> None:
        lines = max(int(estimate * 1.1) + (1 << 20), 1 << 20)
        self._tids = np.empty(lines // 2, dtype=np.int64)
        self._indptr = np.zeros(lines // 2 + 1, dtype=np.int64)
        self._pids: KeyArray = np.empty(lines, dtype=np.int32)
        self.n_lines = 0
        self._n_sets = 0
        self._ordered = True  # chunks so far follow each other in transaction-id order

    def append(self, chunk: SaleLines) -> None:
        if chunk.n_lines == 0:
            return
        n_sets, n_lines = chunk.transaction_ids.size, chunk.n_lines
        if self._n_sets:
            last = self._tids[self._n_sets - 1]
            if chunk.transaction_ids[0] < last:
                self._ordered = False
            elif chunk.transaction_ids[0] == last:  # a transaction split across two chunks:
                self._n_sets -= 1  # its set is written again, ending after the new lines
        self._tids = _with_room(self._tids, self._n_sets + n_sets)
        self._indptr = _with_room(self._indptr, self._n_sets + n_sets + 1)
        if chunk.product_ids.dtype != self._pids.dtype:  # ids beyond int32 (not an INTEGER column)
            self._pids = self._pids.astype(np.result_type(self._pids, chunk.product_ids))
        self._pids = _with_room(self._pids, self.n_lines + n_lines)
        self._tids[self._n_sets : self._n_sets + n_sets] = chunk.transaction_ids
        ends = self._indptr[self._n_sets + 1 : self._n_sets + n_sets + 1]
        np.add(chunk.indptr[1:], self.n_lines, out=ends)
        self._pids[self.n_lines : self.n_lines + n_lines] = chunk.product_ids
        self._n_sets += n_sets
        self.n_lines += n_lines

    def result(self) -> SaleLines:
        """The lines (views of the builder's arrays: no copy of them)."""
        tids = self._tids[: self._n_sets]
        indptr = self._indptr[: self._n_sets + 1]
        pids = self._pids[: self.n_lines]
        if not self._ordered:  # chunks interleave: not as a backend reads a settled table
            return _grouped(np.repeat(tids, np.diff(indptr)), pids)
        return SaleLines(tids, indptr, pids)


def _with_room(array: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    if size <= array.size:
        return array
    grown = np.empty(max(size, 2 * array.size), dtype=array.dtype)
    grown[: array.size] = array
    return grown


def _grouped(tids: Int64Array, pids: KeyArray) -> SaleLines:
    """One chunk's lines grouped by transaction (sorted only when they come out of order)."""
    if tids.size > 1 and not bool((tids[1:] >= tids[:-1]).all()):
        order = np.argsort(tids, kind="stable")
        tids, pids = tids[order], pids[order]
        del order
    if tids.size == 0:
        return SaleLines(tids, np.zeros(1, dtype=np.int64), pids)
    starts = np.flatnonzero(tids[1:] != tids[:-1]) + 1
    indptr = np.concatenate([[0], starts, [tids.size]]).astype(np.int64)
    return SaleLines(tids[indptr[:-1]], indptr, _narrow(pids))


def _narrow(pids: KeyArray) -> KeyArray:
    """Product ids as int32 when they fit (they do: the column is an INTEGER)."""
    if pids.size and int(pids.min()) >= _INT32.min and int(pids.max()) <= _INT32.max:
        return pids.astype(np.int32)
    return pids


def _indptr(lengths: Int64Array) -> Int64Array:
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr
