"""`load --append`: a batch added to loaded tables equals a full load of base + batch; bad batches are refused."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from loading_data import snapshot

SMALL = ["--customers", "300", "--products", "120", "--days", "150", "--transactions", "3000"]
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl")
    return result.exit_code, result.output


def ok(*args: str) -> str:
    code, output = invoke(*args)
    assert code == 0, output
    return output


def table_hashes(url: str) -> dict[str, tuple[int, str]]:
    """Rows and a hash of the sorted rows of every data table."""
    engine = create_engine(url)
    try:
        return {
            name: (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
            for name, rows in snapshot(engine).items()
        }
    finally:
        engine.dispose()


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A generated dataset loaded, then a 7-day batch generated (not loaded yet)."""
    where = ["--data-dir", str(tmp_path), "--database-url", db_url]
    ok("--quiet", "generate", *SMALL, "--data-dir", str(tmp_path))
    ok("--quiet", "init-db", *where)
    ok("--quiet", "load", *where)
    ok("--quiet", "generate", "--next-days", "7", "--data-dir", str(tmp_path))
    return db_url, tmp_path


def where(loaded: tuple[str, Path]) -> list[str]:
    return ["--data-dir", str(loaded[1]), "--database-url", loaded[0]]


def batch(loaded: tuple[str, Path]) -> Path:
    (folder,) = (loaded[1] / "raw" / "batches").iterdir()
    return folder


def edit(path: Path, change: dict[str, str], row: int = 0) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    for column, value in change.items():
        records[row + 1][records[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(records)


def test_append_equals_a_full_load_of_base_plus_batch(loaded: tuple[str, Path]) -> None:
    url = loaded[0]
    before = table_hashes(url)
    output = ok("load", "--append", *where(loaded))
    assert "sales inserted" in output
    appended = table_hashes(url)
    batch_sales = sum(1 for _ in (batch(loaded) / "sales.csv").open()) - 1
    assert appended["sales"][0] == before["sales"][0] + batch_sales
    assert appended["products"] == before["products"]
    ok("--quiet", "load", *where(loaded))  # a full load reads base + every batch
    assert table_hashes(url) == appended
    again = ok("load", "--append", str(batch(loaded)), *where(loaded))
    assert "already loaded by run" in again
    assert ok("load", "--append", *where(loaded)).count("no batch to append") == 1
    assert table_hashes(url) == appended


def test_identical_facts_are_skipped_and_dimension_changes_counted(
    loaded: tuple[str, Path], tmp_path: Path
) -> None:
    url, data = loaded
    ok("--quiet", "load", "--append", *where(loaded))
    again = tmp_path / "again"
    shutil.copytree(batch(loaded), again)
    shutil.copy(data / "raw" / "products.csv", again / "products.csv")
    edit(again / "products.csv", {"unit_price": "999.99"}, row=4)
    output = ok("load", "--append", str(again), *where(loaded))
    assert "products updated: 1" in output
    assert "sales skipped" in output
    assert "sales inserted: 0" in output
    prices = {row[0]: row[3] for row in snapshot(create_engine(url))["products"]}
    assert str(prices[5]) == "999.99"


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("sales.csv", {"sale_id": "3"}, "transaction_id: sale_id 3 is already in the database"),
        ("sales.csv", {"transaction_id": "999999"}, "999999 is not in the transactions table"),
        ("transactions.csv", {"date": "2023-06-01"}, "is not in the timeframe table"),
    ],
    ids=["sale-id-collides", "orphan-sale", "date-before-the-dataset"],
)
def test_bad_batches_are_refused_and_change_nothing(
    loaded: tuple[str, Path], file: str, change: dict[str, str], message: str
) -> None:
    url = loaded[0]
    before = table_hashes(url)
    path = batch(loaded) / file
    if "sale_id" in change:  # a different line than the database's sale 3
        edit(path, {"quantity": "23"})
    edit(path, change)
    code, output = invoke("load", "--append", *where(loaded))
    assert code != 0
    assert f"{batch(loaded).name}/{file}, line 2" in output
    assert message in output
    assert "Traceback" not in output
    assert table_hashes(url) == before


def test_empty_batch_folder_and_changed_layout_are_refused(loaded: tuple[str, Path]) -> None:
    url = loaded[0]
    before = table_hashes(url)
    empty = loaded[1] / "raw" / "batches" / "0002-2099-01-01_2099-01-01"
    empty.mkdir()
    code, output = invoke("load", "--append", str(empty), *where(loaded))
    assert code != 0
    assert "holds no table CSV" in output
    empty.rmdir()
    sales = batch(loaded) / "sales.csv"
    text = sales.read_text(encoding="utf-8").replace("line_total", "total", 1)
    sales.write_text(text, encoding="utf-8")
    code, output = invoke("load", "--append", *where(loaded))
    assert code != 0
    assert "missing column line_total" in output
    assert table_hashes(url) == before


def test_full_load_refuses_a_key_repeated_across_base_and_batch(loaded: tuple[str, Path]) -> None:
    before = table_hashes(loaded[0])
    edit(batch(loaded) / "transactions.csv", {"transaction_id": "17"})
    code, output = invoke("load", *where(loaded))
    assert code != 0
    assert f"{batch(loaded).name}/transactions.csv, line 2, column transaction_id" in output
    assert "already in transactions.csv" in output
    assert table_hashes(loaded[0]) == before


def test_status_lists_the_loaded_batches(loaded: tuple[str, Path]) -> None:
    ok("--quiet", "load", "--append", *where(loaded))
    output = ok("status", "--database-url", loaded[0])
    assert f"batches   1 loaded ({batch(loaded).name})" in output
