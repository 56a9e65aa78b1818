"""``generate_dataset``: write the five CSV files and the planted-bundle truth, atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from clustr_etl.dataset.csv_writer import csv_rows, header_line
from clustr_etl.dataset.layout import PLANTED_COLUMNS, PLANTED_FILE, TABLE_FILES
from clustr_etl.dataset.staging import StagedFiles, prepare_output_dir, staged
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.simulate.baskets import block_line_counts
from clustr_etl.simulate.chunks import append_rows, chunk_tasks, formatted_chunks
from clustr_etl.simulate.options import GenerateOptions
from clustr_etl.simulate.plan import BasketModel, Plan, build_plan
from clustr_etl.simulate.twin_model import MODEL_FILE, TwinModel, model_text
from clustr_etl.simulate.twin_plan import build_twin_plan
from clustr_etl.store.models import CSV_COLUMNS


def write_table(files: StagedFiles, table_name: str, table: pa.Table, progress: Progress) -> int:
    name = TABLE_FILES[table_name]
    with progress.task(name, total=table.num_rows) as advance:
        handle = files.open(name)
        handle.write(header_line(CSV_COLUMNS[table_name]))
        columns = table.select(list(CSV_COLUMNS[table_name]))
        handle.write(csv_rows(columns, quote_when_needed=table_name == "products"))
        advance(table.num_rows)
    return int(table.num_rows)


def write_planted(files: StagedFiles, plan: Plan) -> int:
    handle = files.open(PLANTED_FILE)
    handle.write(header_line(PLANTED_COLUMNS))
    for number, bundle in enumerate(plan.bundles, start=1):
        fields = f"{number},{bundle.product_ids()},{bundle.strength:.3f},{bundle.kind}"
        handle.write(f"{fields},{bundle.theme}\n".encode())
    return len(plan.bundles)


def generate_dataset(
    options: GenerateOptions,
    raw_dir: Path,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
    twin: TwinModel | None = None,
    twin_products: int | None = None,
) -> dict[str, int]:
    """Generate the dataset into ``raw_dir``; return rows written per file.

    With ``twin``, a synthetic twin of the data the model was fitted on (``twin_products``: keep
    the model's first N products); the model is written next to the CSVs as ``MODEL_FILE``.
    """
    raw_dir = Path(raw_dir)
    plan = build_plan(options) if twin is None else build_twin_plan(twin, options, twin_products)
    options = plan.options
    prepare_output_dir(raw_dir, force, (*TABLE_FILES.values(), PLANTED_FILE))
    rows: dict[str, int] = {}
    with staged(raw_dir) as files:
        if twin is not None:
            files.open(MODEL_FILE).write(model_text(twin).encode())
        rows[TABLE_FILES["products"]] = write_table(
            files, "products", plan.catalog.table(), progress
        )
        customers = plan.customers.table(options.start_date)
        rows[TABLE_FILES["customers"]] = write_table(files, "customers", customers, progress)
        rows[TABLE_FILES["timeframe"]] = write_table(
            files, "timeframe", plan.calendar.table(), progress
        )
        rows.update(write_facts(files, plan.model, options, progress))
        rows[PLANTED_FILE] = write_planted(files, plan)
    return rows


def write_facts(
    files: StagedFiles,
    model: BasketModel,
    options: GenerateOptions,
    progress: Progress,
    first_sale_id: int = 1,
) -> dict[str, int]:
    """Draw ``model``'s transactions and sale lines into transactions.csv and sales.csv."""
    line_counts = block_line_counts(model)
    tasks = chunk_tasks(line_counts, options.blocks_per_chunk, first_sale_id)
    transactions_name, sales_name = TABLE_FILES["transactions"], TABLE_FILES["sales"]
    transactions = files.open(transactions_name)
    sales = files.open(sales_name)
    transactions.write(header_line(CSV_COLUMNS["transactions"]))
    sales.write(header_line(CSV_COLUMNS["sales"]))
    n_transactions = n_sales = 0
    with (
        progress.task(transactions_name, total=model.n_transactions) as advance_transactions,
        progress.task(sales_name, total=int(line_counts.sum())) as advance_sales,
    ):
        part_prefix = files.raw_dir / f".parts.{os.getpid()}"
        n_lines = int(line_counts.sum())
        for chunk in formatted_chunks(model, tasks, options.workers, part_prefix, n_lines):
            append_rows(transactions, chunk.transactions)
            append_rows(sales, chunk.sales)
            n_transactions += chunk.n_transactions
            n_sales += chunk.n_sales
            advance_transactions(chunk.n_transactions)
            advance_sales(chunk.n_sales)
    return {transactions_name: n_transactions, sales_name: n_sales}
