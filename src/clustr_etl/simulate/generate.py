"""``generate_dataset``: write the five CSV files and the planted-bundle truth, atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from clustr_etl.dataset.csv_writer import csv_rows, header_line
from clustr_etl.errors import InputFileError
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.simulate.baskets import block_line_counts
from clustr_etl.simulate.chunks import append_rows, chunk_tasks, formatted_chunks
from clustr_etl.simulate.options import GenerateOptions
from clustr_etl.simulate.plan import BasketModel, Plan, build_plan
from clustr_etl.simulate.twin_model import MODEL_FILE, TwinModel, model_text
from clustr_etl.simulate.twin_plan import build_twin_plan
from clustr_etl.store.models import CSV_COLUMNS

CSV_FILES: dict[str, str] = {
    "products": "products.csv",
    "customers": "customers.csv",
    "timeframe": "timeframe.csv",
    "transactions": "transactions.csv",
    "sales": "sales.csv",
}
PLANTED_FILE = "planted_bundles.csv"
PLANTED_COLUMNS = ("bundle_id", "product_ids", "strength", "kind", "theme")
_WRITE_BUFFER = 1 << 20


def make_output_dir(raw_dir: Path) -> None:
    """Create ``raw_dir`` (and its parents), or say in one line why it cannot be."""
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputFileError(
            f"cannot create output folder {raw_dir}: {err.strerror}", "choose a writable --data-dir"
        ) from None


def _prepare_directory(raw_dir: Path, force: bool, outputs: tuple[str, ...] = ()) -> None:
    """Create ``raw_dir``; without ``force``, refuse to overwrite the outputs (default: the CSVs)."""
    make_output_dir(raw_dir)
    if not force:
        for name in outputs or (*CSV_FILES.values(), PLANTED_FILE):
            if (raw_dir / name).exists():
                raise InputFileError(f"{raw_dir / name} exists; pass --force to overwrite")


class StagedFiles:
    """Files written under temporary names and renamed into place only when all are complete."""

    def __init__(self, raw_dir: Path, stack: ExitStack) -> None:
        self.raw_dir = raw_dir
        self.stack = stack
        self.staged: dict[str, Path] = {}

    def open(self, name: str) -> BinaryIO:
        temporary = self.raw_dir / f".{name}.{os.getpid()}.tmp"
        try:
            handle = self.stack.enter_context(temporary.open("wb", buffering=_WRITE_BUFFER))
        except OSError as err:
            raise InputFileError(
                f"cannot write {temporary.parent}: {err.strerror}", "choose a writable --data-dir"
            ) from None
        self.staged[name] = temporary
        return handle

    def commit(self) -> None:
        for name, temporary in self.staged.items():
            os.replace(temporary, self.raw_dir / name)
        self.staged.clear()

    def discard(self) -> None:
        for temporary in self.staged.values():
            temporary.unlink(missing_ok=True)


@contextmanager
def staged(raw_dir: Path) -> Iterator[StagedFiles]:
    stack = ExitStack()
    files = StagedFiles(raw_dir, stack)
    try:
        with stack:
            yield files
    except BaseException:
        files.discard()
        raise
    files.commit()


def write_table(files: StagedFiles, table_name: str, table: pa.Table, progress: Progress) -> int:
    name = CSV_FILES[table_name]
    with progress.task(name, total=table.num_rows) as advance:
        handle = files.open(name)
        handle.write(header_line(CSV_COLUMNS[table_name]))
        columns = table.select(list(CSV_COLUMNS[table_name]))
        handle.write(csv_rows(columns, quote_when_needed=table_name == "products"))
        advance(table.num_rows)
    return int(table.num_rows)


def _write_planted(files: StagedFiles, plan: Plan) -> int:
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
    _prepare_directory(raw_dir, force)
    rows: dict[str, int] = {}
    with staged(raw_dir) as files:
        if twin is not None:
            files.open(MODEL_FILE).write(model_text(twin).encode())
        rows[CSV_FILES["products"]] = write_table(files, "products", plan.catalog.table(), progress)
        customers = plan.customers.table(options.start_date)
        rows[CSV_FILES["customers"]] = write_table(files, "customers", customers, progress)
        rows[CSV_FILES["timeframe"]] = write_table(
            files, "timeframe", plan.calendar.table(), progress
        )
        rows.update(write_facts(files, plan.model, options, progress))
        rows[PLANTED_FILE] = _write_planted(files, plan)
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
    transactions_name, sales_name = CSV_FILES["transactions"], CSV_FILES["sales"]
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
