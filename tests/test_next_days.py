"""`generate --next-days`: batches continue a generated dataset deterministically, ids and days in order."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clustr_etl.cli.app import app

SMALL = ["--customers", "400", "--products", "150", "--days", "200", "--transactions", "8000"]
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl")
    return result.exit_code, result.output


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def make(data_dir: Path, *extra: str) -> Path:
    assert invoke("--quiet", "generate", *SMALL, "--data-dir", str(data_dir), *extra)[0] == 0
    for days in ("7", "30"):
        code, output = invoke(
            "--quiet", "generate", "--next-days", days, "--data-dir", str(data_dir), *extra
        )
        assert code == 0, output
    return data_dir / "raw"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(tmp_path_factory.mktemp("next-days"))


def test_base_and_batches_regenerate_to_the_same_bytes(dataset: Path, tmp_path: Path) -> None:
    again = make(tmp_path, "--workers", "2", "--chunk-size", "1000")
    assert tree_bytes(again) == tree_bytes(dataset)
    names = sorted(p.name for p in (dataset / "batches").iterdir())
    assert names == ["0001-2024-07-19_2024-07-25", "0002-2024-07-26_2024-08-24"]


def test_ids_days_and_customers_continue(dataset: Path) -> None:
    folders = [dataset, *sorted((dataset / "batches").iterdir())]
    transactions = [r for f in folders for r in rows(f / "transactions.csv")]
    sales = [r for f in folders for r in rows(f / "sales.csv")]
    customers = [
        r for f in folders if (f / "customers.csv").exists() for r in rows(f / "customers.csv")
    ]
    days = [r["date"] for f in folders for r in rows(f / "timeframe.csv")]
    assert [int(r["transaction_id"]) for r in transactions] == list(range(1, len(transactions) + 1))
    assert [int(r["sale_id"]) for r in sales] == list(range(1, len(sales) + 1))
    assert [int(r["customer_id"]) for r in customers] == list(range(1, len(customers) + 1))
    assert len(customers) > 400  # new customers signed up in the batches
    assert len({r["email"] for r in customers}) == len(customers)
    start = dt.date(2024, 1, 1)
    assert days == [str(start + dt.timedelta(days=i)) for i in range(200 + 37)]
    signup = {r["customer_id"]: r["signup_date"] for r in customers}
    assert all(signup[r["customer_id"]] <= r["date"] for r in transactions)
    batch = rows(folders[2] / "transactions.csv")
    assert {r["date"] for r in batch} <= set(days[207:])
    # The dataset's own daily rate (8000 over 200 days, seasonality and growth): about 40 a day.
    assert 25 * 30 <= len(batch) <= 60 * 30
    assert not (folders[1] / "products.csv").exists()


def test_planted_bundles_keep_holding_in_the_batches(dataset: Path) -> None:
    baskets: dict[str, set[int]] = defaultdict(set)
    for folder in sorted((dataset / "batches").iterdir()):
        for row in rows(folder / "sales.csv"):
            baskets[row["transaction_id"]].add(int(row["product_id"]))
    n = len(baskets)
    for bundle in rows(dataset / "planted_bundles.csv")[:3]:
        a, b = (int(p) for p in bundle["product_ids"].split("|")[:2])
        both = sum(1 for items in baskets.values() if a in items and b in items)
        alone_a = sum(1 for items in baskets.values() if a in items)
        alone_b = sum(1 for items in baskets.values() if b in items)
        assert both * n > 2 * alone_a * alone_b  # lift > 2


def test_next_days_refuses_an_imported_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "sales.csv").write_text("sale_id\n", encoding="utf-8")
    code, output = invoke("generate", "--next-days", "7", "--data-dir", str(tmp_path))
    assert code != 0
    assert "continues only a dataset made by `clustr-etl generate`" in output
    assert "Traceback" not in output
    assert not (raw / "batches").exists()


def test_regenerating_the_base_removes_its_batches(tmp_path: Path) -> None:
    raw = make(tmp_path)
    assert (
        invoke(
            "--quiet", "generate", *SMALL, "--seed", "5", "--force", "--data-dir", str(tmp_path)
        )[0]
        == 0
    )
    assert not (raw / "batches").exists()
