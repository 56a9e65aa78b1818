"""Writing the imported tables as the CSVs `load` reads, plus import_report.json, all or nothing."""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from clustr_etl.dataset.csv_writer import header_line, scaled_decimal
from clustr_etl.dataset.layout import IMPORT_REPORT_FILE, MANIFEST_FILE, PLANTED_FILE, TABLE_FILES
from clustr_etl.dataset.staging import make_output_dir, staged
from clustr_etl.errors import InputFileError
from clustr_etl.importing.keys import Tables
from clustr_etl.store.models import CSV_COLUMNS

# Files of a generated dataset that would describe the wrong data after an import.
STALE_FILES = (PLANTED_FILE, MANIFEST_FILE)


def _dates(values: pd.Series | np.ndarray) -> pa.Array:
    days = np.asarray(values, dtype="datetime64[D]").astype(np.int32)
    return pa.Array.from_buffers(pa.date32(), days.size, [None, pa.py_buffer(days)])


def arrow_tables(tables: Tables, timeframe: pa.Table) -> dict[str, pa.Table]:
    products, customers = tables.products, tables.customers
    transactions, sales = tables.transactions, tables.sales
    return {
        "products": pa.table(
            {
                "product_id": pa.array(products["product_id"], pa.int32()),
                "name": pa.array(products["name"], pa.string()),
                "category": pa.array(products["category"], pa.string()),
                "unit_price": scaled_decimal(products["unit_cents"].to_numpy(), 10, 2),
                "sku": pa.array(products["sku"], pa.string()),
                "is_merchandise": pa.array(products["is_merchandise"], pa.bool_()),
                # A product line finer than the category, when the source has one (NULL otherwise).
                "subcategory": pa.array(
                    products["subcategory"]
                    if "subcategory" in products
                    else [None] * len(products),
                    pa.string(),
                ),
            }
        ),
        "customers": pa.table(
            {
                **{
                    name: pa.array(customers[name], pa.string())
                    for name in ("first_name", "last_name", "email", "city", "segment")
                },
                "customer_id": pa.array(customers["customer_id"], pa.int32()),
                "signup_date": _dates(customers["signup_date"]),
                "external_id": pa.array(customers["external_id"], pa.string()),
            }
        ),
        "timeframe": timeframe,
        "transactions": pa.table(
            {
                "transaction_id": pa.array(transactions["transaction_id"], pa.int64()),
                "customer_id": pa.array(transactions["customer_id"], pa.int64()),
                "date": _dates(transactions["date"]),
                "invoice_no": pa.array(transactions["invoice_no"], pa.string()),
            }
        ),
        "sales": pa.table(
            {
                "sale_id": pa.array(sales["sale_id"], pa.int64()),
                "transaction_id": pa.array(sales["transaction_id"], pa.int64()),
                "product_id": pa.array(sales["product_id"], pa.int64()),
                "quantity": pa.array(sales["quantity"], pa.int64()),
                "unit_price": scaled_decimal(sales["unit_cents"].to_numpy(), 10, 2),
                "discount": scaled_decimal(np.zeros(len(sales), dtype=np.int64), 4, 3),
                "line_total": scaled_decimal(sales["total_cents"].to_numpy(), 12, 2),
            }
        ),
    }


SLICE_ROWS = 100_000  # rows rendered per task: large tables are written by every core


def _csv_bodies(tables: dict[str, pa.Table]) -> dict[str, list[Future[bytes]]]:
    """Each table's CSV rows (no header) as slices rendered concurrently (Arrow releases the GIL)."""
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")

    def render(table: pa.Table) -> bytes:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink, options)
        return bytes(sink.getvalue())

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return {
            name: [
                pool.submit(render, table.select(list(CSV_COLUMNS[name])).slice(start, SLICE_ROWS))
                for start in range(0, max(table.num_rows, 1), SLICE_ROWS)
            ]
            for name, table in tables.items()
        }


def check_target(raw_dir: Path, force: bool) -> None:
    """Refuse to overwrite existing CSVs (or an earlier import) unless forced."""
    if force:
        return
    for name in [*TABLE_FILES.values(), IMPORT_REPORT_FILE]:
        if (raw_dir / name).exists():
            raise InputFileError(f"{raw_dir / name} exists; pass --force to overwrite")


def write_import(
    raw_dir: Path, tables: dict[str, pa.Table], report: dict[str, Any], *, force: bool
) -> dict[str, int]:
    """Write the five CSVs and the report under temporary names, then move them all into place."""
    check_target(raw_dir, force)
    make_output_dir(raw_dir)
    rows: dict[str, int] = {}
    with staged(raw_dir) as files:
        for table_name, body in _csv_bodies(tables).items():
            handle = files.open(TABLE_FILES[table_name])
            handle.write(header_line(CSV_COLUMNS[table_name]))
            for piece in body:
                handle.write(piece.result())
            rows[TABLE_FILES[table_name]] = tables[table_name].num_rows
        files.open(IMPORT_REPORT_FILE).write(
            (json.dumps(report, indent=2, sort_keys=False, default=str) + "\n").encode("utf-8")
        )
    for name in STALE_FILES:
        (raw_dir / name).unlink(missing_ok=True)
    return rows
