"""``generate --format parquet``: each table as a Parquet dataset folder ``<raw dir>/<table>/``.

The rows are the CSV output's rows: the same plan, the same blocks and random streams. The small
tables are one ``part-000000000.parquet``; transactions and sales have one part per chunk, named
by its block range (``part-<first block>-<last block>.parquet``), drawn here or in Spark tasks
(the caller passes Spark's writer as ``write_facts``). Folders are written under a staging folder and moved into place only when
every table is complete.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from clustr_etl.dataset.layout import PLANTED_FILE
from clustr_etl.dataset.staging import prepare_output_dir, staged
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.simulate.baskets import block_line_counts
from clustr_etl.simulate.chunks import ChunkTask, chunk_tables, chunk_tasks, part_name
from clustr_etl.simulate.generate import write_planted
from clustr_etl.simulate.options import GenerateOptions
from clustr_etl.simulate.plan import BasketModel, Plan, build_plan
from clustr_etl.store.models import CSV_COLUMNS, FACT_TABLES

PARQUET_TABLES = ("products", "customers", "timeframe", "transactions", "sales")
# Writes the fact tables' parts of the chunk tasks into the staging folder (another engine's writer).
FactsWriter = Callable[[BasketModel, list[ChunkTask], Path], None]


def generate_parquet_dataset(
    options: GenerateOptions,
    raw_dir: Path,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
    write_facts: FactsWriter | None = None,
) -> dict[str, int]:
    """Write every table as a Parquet folder under ``raw_dir``; rows per table (and planted file).

    ``write_facts``: another engine draws the transaction blocks (Spark tasks); by default, this process.
    """
    raw_dir = Path(raw_dir)
    prepare_output_dir(raw_dir, force, (*PARQUET_TABLES, PLANTED_FILE))
    plan = build_plan(options)
    rows: dict[str, int] = {}
    with _staging(raw_dir) as staging:
        for table_name, table in _dimension_tables(plan).items():
            with progress.task(f"{table_name} (parquet)", total=table.num_rows) as advance:
                (staging / table_name).mkdir()
                pq.write_table(table, staging / table_name / "part-000000000.parquet")
                advance(table.num_rows)
            rows[table_name] = table.num_rows
        line_counts = block_line_counts(plan.model)
        tasks = chunk_tasks(line_counts, options.blocks_per_chunk)
        if write_facts is not None:
            with progress.task("transactions and sales (Spark)"):
                write_facts(plan.model, tasks, staging)
        else:
            _write_facts(plan, tasks, staging, progress)
        rows["transactions"] = options.transactions
        rows["sales"] = int(line_counts.sum())
        with staged(raw_dir) as files:
            rows[PLANTED_FILE] = write_planted(files, plan)
        _move_into_place(staging, raw_dir)
    return rows


def _dimension_tables(plan: Plan) -> dict[str, pa.Table]:
    tables = {
        "products": plan.catalog.table(),
        "customers": plan.customers.table(plan.options.start_date),
        "timeframe": plan.calendar.table(),
    }
    return {name: table.select(list(CSV_COLUMNS[name])) for name, table in tables.items()}


def _write_facts(plan: Plan, tasks: list[ChunkTask], staging: Path, progress: Progress) -> None:
    for name in FACT_TABLES:
        (staging / name).mkdir()
    with progress.task(
        "transactions and sales (parquet)", total=plan.options.transactions
    ) as advance:
        for task in tasks:
            transactions, sales = chunk_tables(plan.model, task)
            pq.write_table(transactions, staging / "transactions" / part_name(task))
            pq.write_table(sales, staging / "sales" / part_name(task))
            advance(transactions.num_rows)


@contextmanager
def _staging(raw_dir: Path) -> Iterator[Path]:
    staging = raw_dir / f".parquet.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_into_place(staging: Path, raw_dir: Path) -> None:
    for name in PARQUET_TABLES:
        target = raw_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        os.replace(staging / name, target)
