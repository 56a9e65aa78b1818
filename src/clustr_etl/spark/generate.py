"""Transactions and sales drawn in Spark tasks: one task per chunk of fixed blocks.

Every block draws from its own random streams (``SeedSequence(seed, spawn_key=(stream, block))``),
so a task produces exactly the rows the local generator writes for its blocks, wherever it runs.
The basket model is broadcast once; each table is written by Spark's Parquet writer, one part
per chunk, in chunk order (Spark names parts by partition number). On a cluster, the executors
need clustr-etl installed (or shipped with ``--py-files``) and the data folder on shared storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from clustr_etl.simulate.chunks import ChunkTask, chunk_tables, part_name
from clustr_etl.simulate.plan import BasketModel
from clustr_etl.spark.session import spark_errors, spark_session

if TYPE_CHECKING:
    from pyspark import Broadcast

FACT_INDEX = {"transactions": 0, "sales": 1}
_TASK_SCHEMA = "first_block long, n_blocks long, first_sale_id long"


@spark_errors
def write_facts_on_spark(
    model: BasketModel, tasks: list[ChunkTask], out_dir: Path, master: str | None
) -> None:
    """Write ``out_dir/transactions`` and ``out_dir/sales`` as Parquet datasets from Spark tasks."""
    from pyspark.sql.pandas.types import from_arrow_schema

    with spark_session(master) as spark:
        shared = spark.sparkContext.broadcast(model)
        rows = [(t.first_block, t.n_blocks, t.first_sale_id) for t in tasks]
        frame = spark.sparkContext.parallelize(rows, len(rows)).toDF(_TASK_SCHEMA)
        sample = chunk_tables(model, tasks[0])
        try:
            for table_name, index in FACT_INDEX.items():
                schema = from_arrow_schema(sample[index].schema)
                generated = frame.mapInArrow(_chunk_generator(shared, index), schema)
                generated.write.mode("overwrite").parquet((out_dir / table_name).resolve().as_uri())
                _name_parts_by_block_range(out_dir / table_name, tasks)
        finally:
            shared.destroy()


def _name_parts_by_block_range(folder: Path, tasks: list[ChunkTask]) -> None:
    """Spark numbers its parts by partition (= chunk); name them by block range, as locally."""
    parts = sorted(folder.glob("part-*.parquet"))
    if len(parts) != len(tasks):  # Spark split or merged partitions: keep its names
        return
    for part, task in zip(parts, tasks, strict=True):
        part.rename(folder / part_name(task))
    for marker in folder.glob(".*.crc"):
        marker.unlink()


def _chunk_generator(
    shared: Broadcast[BasketModel], index: int
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def generate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = shared.value
        for batch in batches:
            for first_block, n_blocks, first_sale_id in zip(
                *(batch.column(i).to_pylist() for i in range(3)), strict=True
            ):
                task = ChunkTask(first_block, n_blocks, first_sale_id)
                yield from chunk_tables(model, task)[index].to_batches()

    return generate
