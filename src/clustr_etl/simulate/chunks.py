"""Chunks: runs of whole blocks drawn and formatted as CSV rows, in this process or in workers.

Workers write each chunk's rows to part files next to the output (sending them through a pipe
costs more than drawing them); the parent appends the parts in chunk order with an in-kernel copy,
so the files are identical whatever ``workers`` and ``chunk_size`` are. At most ``2 * workers``
chunks are in flight, which bounds memory and disk however many transactions are generated.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from clustr_etl.dataset.csv_writer import (
    csv_buffer,
    csv_money,
    epoch_dates,
    labels,
    money_texts,
    numbers,
    scaled_decimal,
)
from clustr_etl.simulate.baskets import DISCOUNT_MILLI, Block, generate_block
from clustr_etl.simulate.plan import BasketModel

_DISCOUNT_LEVELS = np.concatenate([[0], DISCOUNT_MILLI])
DISCOUNT_TEXTS = money_texts(_DISCOUNT_LEVELS, 4, 3)  # "0.000", "0.050", ...
DISCOUNT_INDEX = np.zeros(int(_DISCOUNT_LEVELS.max()) + 1, dtype=np.int64)  # thousandths -> text
DISCOUNT_INDEX[_DISCOUNT_LEVELS] = np.arange(_DISCOUNT_LEVELS.size)


@dataclass(frozen=True)
class ChunkTask:
    first_block: int
    n_blocks: int
    first_sale_id: int  # 1-based id of the chunk's first sale line


@dataclass(frozen=True)
class ChunkBytes:
    """A chunk's CSV rows (no header), in memory or as the path of a part file holding them."""

    transactions: pa.Buffer | Path
    sales: pa.Buffer | Path
    n_transactions: int
    n_sales: int


def part_name(task: ChunkTask) -> str:
    """A Parquet part named by the chunk's block range: ``part-<first>-<last>.parquet``."""
    return f"part-{task.first_block:09d}-{task.first_block + task.n_blocks - 1:09d}.parquet"


def append_rows(handle: BinaryIO, rows: pa.Buffer | Path) -> None:
    """Append a chunk's rows to ``handle``; a part file is copied in the kernel, then removed."""
    if not isinstance(rows, Path):
        handle.write(rows)
        return
    handle.flush()
    with rows.open("rb") as part:
        remaining = os.fstat(part.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(part.fileno(), handle.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except (AttributeError, OSError):  # no copy_file_range here: copy in user space
            pass
        if remaining > 0:
            part.seek(-remaining, os.SEEK_END)
            shutil.copyfileobj(part, handle)
    rows.unlink()


def chunk_tasks(
    line_counts: np.ndarray, blocks_per_chunk: int, first_sale_id: int = 1
) -> list[ChunkTask]:
    starts = np.concatenate([[0], np.cumsum(line_counts)]) + first_sale_id
    return [
        ChunkTask(first, min(blocks_per_chunk, line_counts.size - first), int(starts[first]))
        for first in range(0, line_counts.size, blocks_per_chunk)
    ]


def format_chunk(model: BasketModel, task: ChunkTask) -> ChunkBytes:
    transactions, sales = block_tables(model, task, csv=True)
    return ChunkBytes(
        csv_buffer(transactions), csv_buffer(sales), transactions.num_rows, sales.num_rows
    )


def chunk_tables(model: BasketModel, task: ChunkTask) -> tuple[pa.Table, pa.Table]:
    """The chunk's transactions and sales rows as Arrow tables (the CSV columns and types)."""
    transactions, sales = block_tables(model, task)
    return transactions.combine_chunks(), sales.combine_chunks()


def block_tables(
    model: BasketModel, task: ChunkTask, *, csv: bool = False
) -> tuple[pa.Table, pa.Table]:
    """:func:`chunk_tables` with one Arrow chunk per block (no copy into one array per column).

    ``csv``: tables only written as CSV, whose money columns may be texts (the same characters).
    """
    transactions, sales = [], []
    first_sale_id = task.first_sale_id
    for index in range(task.first_block, task.first_block + task.n_blocks):
        block = generate_block(model, index)
        transactions.append(_transaction_rows(block))
        money = _csv_money_columns(model, block) if csv else _money_columns(block)
        sales.append(_sale_rows(block, first_sale_id, money))
        first_sale_id += block.n_lines
    return pa.Table.from_batches(transactions), pa.Table.from_batches(sales)


def _transaction_rows(block: Block) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            numbers(block.transaction_id, np.int64, pa.int64()),
            numbers(block.customer_id, np.int64, pa.int64()),
            epoch_dates(block.epoch_day),
            pa.nulls(block.transaction_id.size, pa.string()),  # invoice_no: import fills it
        ],
        names=["transaction_id", "customer_id", "date", "invoice_no"],
    )


def _money_columns(block: Block) -> list[pa.Array]:
    """unit_price, discount and line_total as decimal128 (the types the schema declares)."""
    return [
        scaled_decimal(block.price_cents, 10, 2),
        scaled_decimal(block.discount_milli, 4, 3),
        scaled_decimal(block.total_cents, 12, 2),
    ]


def _csv_money_columns(model: BasketModel, block: Block) -> list[pa.Array]:
    """The money columns for a CSV: a price is the product's, a discount one of a few levels, so
    each is formatted once and picked by index; totals vary and are formatted per line."""
    return [
        labels(block.product_id - 1, model.price_texts),
        labels(DISCOUNT_INDEX[block.discount_milli], DISCOUNT_TEXTS),
        csv_money(block.total_cents, 12, 2),
    ]


def _sale_rows(block: Block, first_sale_id: int, money: list[pa.Array]) -> pa.RecordBatch:
    sale_id = np.arange(first_sale_id, first_sale_id + block.n_lines, dtype=np.int64)
    return pa.RecordBatch.from_arrays(
        [
            numbers(sale_id, np.int64, pa.int64()),
            numbers(block.sale_transaction_id, np.int64, pa.int64()),
            numbers(block.product_id, np.int64, pa.int64()),
            numbers(block.quantity, np.int64, pa.int64()),
            *money,
        ],
        names=[
            "sale_id",
            "transaction_id",
            "product_id",
            "quantity",
            "unit_price",
            "discount",
            "line_total",
        ],
    )


# Starting workers costs 1-2 s; below this many sale lines (about 1M transactions of the default
# generator, 170k of a twin of Online Retail's 26-line baskets) one process is faster. The
# output is the same either way.
MIN_LINES_FOR_WORKERS = 4_000_000
_worker_model: BasketModel | None = None


def _init_worker(model: BasketModel) -> None:
    global _worker_model
    _worker_model = model
    pa.set_cpu_count(1)  # one process per core already; Arrow threads would only contend


def _format_in_worker(task: ChunkTask, part_prefix: Path) -> ChunkBytes:
    assert _worker_model is not None
    chunk = format_chunk(_worker_model, task)
    parts = []
    for kind, rows in (("transactions", chunk.transactions), ("sales", chunk.sales)):
        path = part_prefix.with_name(f"{part_prefix.name}.{task.first_block:09d}.{kind}.part")
        path.write_bytes(rows.read_bytes() if isinstance(rows, Path) else rows)
        parts.append(path)
    return ChunkBytes(parts[0], parts[1], chunk.n_transactions, chunk.n_sales)


def formatted_chunks(
    model: BasketModel, tasks: list[ChunkTask], workers: int, part_prefix: Path, n_lines: int
) -> Iterator[ChunkBytes]:
    """The chunks' rows in order, drawn here (workers = 1) or in worker processes.

    Workers leave part files named ``<part_prefix>.<block>.<kind>.part``; the caller appends them
    with :func:`append_rows` (which removes them); any left after a failure are removed here.
    """
    if workers <= 1 or len(tasks) < 2 or n_lines < MIN_LINES_FOR_WORKERS:
        for task in tasks:
            yield format_chunk(model, task)
        return
    # forkserver: workers never inherit the caller's threads or locks (unlike fork).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(model,),
    )
    pending: deque[Future[ChunkBytes]] = deque()
    try:
        for task in tasks:
            pending.append(pool.submit(_format_in_worker, task, part_prefix))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for leftover in part_prefix.parent.glob(f"{part_prefix.name}.*.part"):
            leftover.unlink(missing_ok=True)
