"""Baskets from a Parquet sales dataset folder (``<data dir>/raw/sales`` of ``generate --format parquet``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from clustr_etl.dataset.parquet import parquet_table
from clustr_etl.errors import InputFileError
from clustr_etl.mining.baskets import SALES_KEY_COLUMNS, Baskets, baskets_from_pairs


def read_sales_parquet(folder: Path) -> Baskets:
    """Baskets from the folder's ``transaction_id`` and ``product_id`` columns (labels: product ids)."""
    table = parquet_table(folder, SALES_KEY_COLUMNS)
    if table.num_rows == 0:
        raise InputFileError(
            f"sales dataset {folder} has no rows", "generate or export sales first"
        )
    if any(table.column(name).null_count for name in SALES_KEY_COLUMNS):
        raise InputFileError(
            f"sales dataset {folder} has empty transaction_id or product_id values"
        )
    try:
        keys = [table.column(name).cast(pa.int64()) for name in SALES_KEY_COLUMNS]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputFileError(
            f"sales dataset {folder} has another schema: transaction_id and product_id must be integers"
        ) from None
    return baskets_from_pairs(keys[0].to_numpy(), keys[1].to_numpy())
