"""Reading the Parquet dataset folders of ``generate --format parquet`` (``<raw dir>/<table>/``).

``parquet_batches`` yields a table's rows as Arrow record batches in part order (the CSV columns
and order); ``csv_view`` gives the loader a folder of CSV files, writing the CSV of each table that
exists only as a Parquet folder, so loading keeps its one validated path.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from clustr_etl.dataset.csv_writer import csv_rows, header_line
from clustr_etl.errors import InputFileError
from clustr_etl.store.models import CSV_COLUMNS, DATA_TABLES


def parquet_parts(folder: Path) -> list[Path]:
    """The dataset's part files in name order (Spark's ``_SUCCESS`` and hidden files skipped)."""
    parts = sorted(
        path
        for path in folder.rglob("*.parquet")
        if not path.name.startswith(("_", ".")) and path.is_file()
    )
    if not parts:
        raise InputFileError(
            f"folder {folder} holds no Parquet files", "check --input / --data-dir"
        )
    return parts


def parquet_batches(folder: Path, columns: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
    """The dataset's ``columns`` as record batches, part by part; another schema is an error."""
    for part in parquet_parts(folder):
        try:
            handle = pq.ParquetFile(part)
        except (pa.ArrowInvalid, OSError) as err:
            raise InputFileError(f"cannot read {part}: {str(err).splitlines()[0]}") from None
        missing = [name for name in columns if name not in handle.schema_arrow.names]
        if missing:
            raise InputFileError(
                f"{part} has another schema: no column {', '.join(missing)}",
                f"expected the columns {','.join(columns)}",
            )
        yield from handle.iter_batches(columns=list(columns))


def parquet_table(folder: Path, columns: tuple[str, ...]) -> pa.Table:
    batches = list(parquet_batches(folder, columns))
    return pa.Table.from_batches(batches) if batches else pa.table({c: [] for c in columns})


def parquet_only_tables(raw_dir: Path) -> list[str]:
    """Tables present as a Parquet folder and not as a CSV file."""
    return [
        table
        for table in DATA_TABLES
        if (raw_dir / table).is_dir() and not (raw_dir / f"{table}.csv").exists()
    ]


@contextmanager
def csv_view(raw_dir: Path) -> Iterator[Path]:
    """``raw_dir`` itself, or (when some tables are Parquet folders only) a scratch folder holding
    their CSVs written from Parquet and links to the other CSVs; removed afterwards."""
    raw_dir = Path(raw_dir)
    converted = parquet_only_tables(raw_dir)
    if not converted:
        yield raw_dir
        return
    scratch = raw_dir / f".csv-view.{os.getpid()}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        for table in DATA_TABLES:
            target = scratch / f"{table}.csv"
            if table in converted:
                _write_csv(raw_dir / table, table, target)
            elif (raw_dir / f"{table}.csv").exists():
                target.symlink_to((raw_dir / f"{table}.csv").resolve())
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_csv(folder: Path, table: str, target: Path) -> None:
    columns = CSV_COLUMNS[table]
    with target.open("wb") as handle:
        handle.write(header_line(columns))
        for batch in parquet_batches(folder, columns):
            handle.write(csv_rows(pa.Table.from_batches([batch])))
