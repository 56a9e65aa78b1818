"""Loading CSVs: content round-trips exactly, loads are idempotent, unusual but valid CSV loads fine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from clustr_etl.dataset.layout import PLANTED_FILE, TABLE_FILES
from clustr_etl.errors import InputFileError, SchemaError, UnknownTableError
from clustr_etl.loading import (
    load_customers,
    load_products,
    load_sales,
    load_tables,
    load_timeframe,
    load_transactions,
)
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.store.models import CSV_COLUMNS, DATA_TABLES
from clustr_etl.store.schema import make_engine
from fake_progress import RecordingProgress
from loading_data import (
    database_rows,
    expected_rows,
    make_dataset,
    snapshot,
    write_dataset,
    write_table,
)


def test_load_reads_exactly_the_files_generate_writes(engine: Engine, tmp_path: Path) -> None:
    """generate and load agree on the file names: load checks and loads every CSV the generator wrote
    (and no other), and the rows per table are the rows per file."""
    options = GenerateOptions(customers=60, products=30, days=20, transactions=300, seed=5)
    written = generate_dataset(options, tmp_path)
    data_files = {path.name for path in tmp_path.glob("*.csv")} - {PLANTED_FILE}
    assert data_files == set(written) - {PLANTED_FILE}
    progress = RecordingProgress()
    counts = load_tables(engine, tmp_path, progress=progress)
    checked = {task.removeprefix("check ") for task in progress.totals if task.startswith("check ")}
    assert checked == data_files
    assert {TABLE_FILES[table]: rows for table, rows in counts.items()} == {
        name: written[name] for name in data_files
    }


def test_load_all_tables_round_trips_every_value(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    counts = load_tables(engine, write_dataset(tmp_path / "raw", data))
    assert counts == {name: len(rows) for name, rows in data.items()}
    assert list(counts) == list(DATA_TABLES)
    for name, rows in data.items():
        assert database_rows(engine, name) == expected_rows(name, rows)


def test_loading_twice_gives_the_same_rows(engine: Engine, tmp_path: Path) -> None:
    raw = write_dataset(tmp_path / "raw", make_dataset())
    load_tables(engine, raw)
    first = snapshot(engine)
    load_tables(engine, raw)
    assert snapshot(engine) == first


def test_a_new_dataset_replaces_the_old_one(engine: Engine, tmp_path: Path) -> None:
    load_tables(engine, write_dataset(tmp_path / "a", make_dataset(seed=1, transactions=80)))
    smaller = make_dataset(seed=2, products=5, transactions=10)
    load_tables(engine, write_dataset(tmp_path / "b", smaller))
    for name, rows in smaller.items():
        assert database_rows(engine, name) == expected_rows(name, rows)


def test_per_table_loaders_return_row_counts(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    raw = write_dataset(tmp_path / "raw", data)
    loaders = (load_products, load_customers, load_timeframe, load_transactions, load_sales)
    for name, loader in zip(DATA_TABLES, loaders, strict=True):
        assert loader(engine, raw) == len(data[name])
    for name, rows in data.items():
        assert database_rows(engine, name) == expected_rows(name, rows)


def test_unusual_but_valid_csv_loads(engine: Engine, tmp_path: Path) -> None:
    """Quoted commas, quotes and newlines, UTF-8 names, a BOM, CRLF endings, columns in another order."""
    data = make_dataset()
    data["products"][0][1] = 'Crème brûlée, "extra" large\nwith a second line'
    data["products"][1][1] = "Пельмени 🥟 ümlaut"
    data["customers"][0][1] = "Zoë, née O'Brien"
    data["customers"][1][4] = "São Paulo\r\nCentro"
    raw = tmp_path / "raw"
    write_dataset(raw, data)
    write_table(raw, "products", data["products"], bom=True, line_ending="\r\n")
    write_table(raw, "customers", data["customers"], bom=True)
    order = [5, 0, 6, 1, 2, 3, 4]
    header = [CSV_COLUMNS["sales"][i] for i in order]
    write_table(
        raw,
        "sales",
        [[row[i] for i in order] for row in data["sales"]],
        header=header,
        line_ending="\r\n",
    )
    load_tables(engine, raw)
    for name, rows in data.items():
        assert database_rows(engine, name) == expected_rows(name, rows)


def test_progress_reports_every_byte_of_every_file(engine: Engine, tmp_path: Path) -> None:
    raw = write_dataset(tmp_path / "raw", make_dataset())
    load_tables(engine, raw)
    progress = RecordingProgress()
    load_tables(engine, raw, ["products", "sales"], progress=progress)
    for name in ("products", "sales"):
        size = (raw / f"{name}.csv").stat().st_size
        assert progress.totals[f"check {name}.csv"] == size
        assert progress.advanced[f"check {name}.csv"] == size
        assert progress.totals[f"load {name}"] == size
        assert progress.advanced[f"load {name}"] == size
    assert "load customers" not in progress.totals


def test_unknown_table_names_the_valid_ones(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UnknownTableError, match="valid tables: products, customers"):
        load_tables(engine, tmp_path, ["products", "sales; DROP TABLE sales"])


def test_missing_csv_says_to_generate(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    raw = write_dataset(tmp_path / "raw", data)
    (raw / "sales.csv").unlink()
    with pytest.raises(InputFileError, match=r"sales\.csv not found.*clustr-etl generate"):
        load_tables(engine, raw)


def test_missing_schema_says_to_init_db(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(SchemaError, match="clustr-etl init-db"):
            load_tables(engine, write_dataset(tmp_path / "raw", make_dataset()))
    finally:
        engine.dispose()


def test_an_empty_table_list_loads_nothing(engine: Engine, tmp_path: Path) -> None:
    assert load_tables(engine, tmp_path, []) == {}
