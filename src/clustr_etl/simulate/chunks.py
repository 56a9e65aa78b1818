"""Chunks: runs of whole blocks drawn and formatted as CSV bytes, in this process or in workers.

Workers only return bytes; the parent writes them in chunk order, so the files are identical
whatever ``workers`` and ``chunk_size`` are. At most ``2 * workers`` chunks are in flight, which
bounds memory however many transactions are generated.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from clustr_etl.simulate.arrow_csv import csv_rows, epoch_dates, scaled_decimal
from clustr_etl.simulate.baskets import Block, generate_block
from clustr_etl.simulate.plan import BasketModel


@dataclass(frozen=True)
class ChunkTask:
    first_block: int
    n_blocks: int
    first_sale_id: int  # 1-based id of the chunk's first sale line


@dataclass(frozen=True)
class ChunkBytes:
    transactions: bytes
    sales: bytes
    n_transactions: int
    n_sales: int


def chunk_tasks(line_counts: np.ndarray, blocks_per_chunk: int) -> list[ChunkTask]:
    starts = np.concatenate([[0], np.cumsum(line_counts)]) + 1
    return [
        ChunkTask(first, min(blocks_per_chunk, line_counts.size - first), int(starts[first]))
        for first in range(0, line_counts.size, blocks_per_chunk)
    ]


def _concat(blocks: list[Block], field: str) -> np.ndarray:
    return np.concatenate([getattr(block, field) for block in blocks])


def format_chunk(model: BasketModel, task: ChunkTask) -> ChunkBytes:
    blocks = [
        generate_block(model, b) for b in range(task.first_block, task.first_block + task.n_blocks)
    ]
    transaction_id = _concat(blocks, "transaction_id")
    transactions = pa.table(
        {
            "transaction_id": pa.array(transaction_id, pa.int64()),
            "customer_id": pa.array(_concat(blocks, "customer_id"), pa.int64()),
            "date": epoch_dates(_concat(blocks, "epoch_day")),
        }
    )
    n_sales = sum(block.n_lines for block in blocks)
    sale_id = np.arange(task.first_sale_id, task.first_sale_id + n_sales, dtype=np.int64)
    sales = pa.table(
        {
            "sale_id": pa.array(sale_id, pa.int64()),
            "transaction_id": pa.array(_concat(blocks, "sale_transaction_id"), pa.int64()),
            "product_id": pa.array(_concat(blocks, "product_id"), pa.int64()),
            "quantity": pa.array(_concat(blocks, "quantity"), pa.int64()),
            "unit_price": scaled_decimal(_concat(blocks, "price_cents"), 10, 2),
            "discount": scaled_decimal(_concat(blocks, "discount_milli"), 4, 3),
            "line_total": scaled_decimal(_concat(blocks, "total_cents"), 12, 2),
        }
    )
    return ChunkBytes(csv_rows(transactions), csv_rows(sales), transaction_id.size, n_sales)


# Starting workers costs about a second; below this many chunks one process is faster.
MIN_CHUNKS_FOR_WORKERS = 6
_worker_model: BasketModel | None = None


def _init_worker(model: BasketModel) -> None:
    global _worker_model
    _worker_model = model
    pa.set_cpu_count(1)  # one process per core already; Arrow threads would only contend


def _format_in_worker(task: ChunkTask) -> ChunkBytes:
    assert _worker_model is not None
    return format_chunk(_worker_model, task)


def formatted_chunks(
    model: BasketModel, tasks: list[ChunkTask], workers: int
) -> Iterator[ChunkBytes]:
    """The chunks' CSV bytes in order, drawn here (workers = 1) or in worker processes."""
    if workers <= 1 or len(tasks) < MIN_CHUNKS_FOR_WORKERS:
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
            pending.append(pool.submit(_format_in_worker, task))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
