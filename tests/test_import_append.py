"""`import --append`: a later export becomes a batch whose natural keys keep the ids already given."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from import_fixtures import invoke, write_online_retail
from shared_data import shared_file
from test_append import table_hashes

BASE = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,3,2010-12-02 09:00,1.85,12583,France",
    "536367,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-03 10:00,2.55,,United Kingdom",
]
LATER = [
    # the last invoice of the base export again (exports overlap)
    "536367,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-03 10:00,2.55,,United Kingdom",
    # a known customer buying a known product (spelled in another case) and a new one
    "536370,85123a,WHITE HANGING HEART T-LIGHT HOLDER,1,2010-12-06 10:00,2.55,17850,United Kingdom",
    "536370,21730,GLASS STAR FROSTED T-LIGHT HOLDER,4,2010-12-06 10:00,4.25,17850,United Kingdom",
    # a new customer, and a product named like a known one under a new key
    "536371,71053B,WHITE METAL LANTERN,2,2010-12-07 11:00,3.75,99999,United Kingdom",
    "536371,22633,HAND WARMER UNION JACK,1,2010-12-07 11:00,1.85,99999,United Kingdom",
]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def ok(*args: str) -> str:
    code, output = invoke(*args)
    assert code == 0, output
    return output


def imported(tmp_path: Path) -> Path:
    """The base export imported, the later one appended; the data folder."""
    data = tmp_path / "data"
    base = write_online_retail(tmp_path / "base.csv", BASE)
    ok("--quiet", "import", str(base), "--preset", "online-retail", "--data-dir", str(data))
    later = write_online_retail(tmp_path / "later.csv", LATER)
    ok("import", str(later), "--preset", "online-retail", "--append", "--data-dir", str(data))
    return data


def the_batch(data: Path) -> Path:
    (folder,) = (data / "raw" / "batches").iterdir()
    return folder


def test_known_keys_keep_their_ids_and_new_ones_continue(tmp_path: Path) -> None:
    data = imported(tmp_path)
    raw, batch = data / "raw", the_batch(data)
    assert batch.name == "0001-2010-12-06_2010-12-07"
    base_products = {row["sku"]: int(row["product_id"]) for row in rows(raw / "products.csv")}
    base_customers = {
        row["external_id"]: int(row["customer_id"]) for row in rows(raw / "customers.csv")
    }
    new_products = rows(batch / "products.csv")
    assert [row["sku"] for row in new_products] == ["21730", "71053B"]
    assert len(base_products) == 3
    assert [int(row["product_id"]) for row in new_products] == [4, 5]  # after the base's ids
    # the new key named like a known product gets its key appended (names are unique)
    assert new_products[1]["name"] == "WHITE METAL LANTERN [71053B]"
    new_customers = rows(batch / "customers.csv")
    assert [row["external_id"] for row in new_customers] == ["99999"]
    assert int(new_customers[0]["customer_id"]) == max(base_customers.values()) + 1
    transactions = {row["invoice_no"]: row for row in rows(batch / "transactions.csv")}
    assert sorted(transactions) == ["536370", "536371"]
    assert int(transactions["536370"]["customer_id"]) == base_customers["17850"]
    assert int(transactions["536370"]["transaction_id"]) == 4  # the base has 3 invoices
    sales = rows(batch / "sales.csv")
    assert [int(row["sale_id"]) for row in sales] == [5, 6, 7, 8]  # the base has 4 lines
    line_products = [int(row["product_id"]) for row in sales]
    assert base_products["85123A"] in line_products  # "85123a" is the known product
    assert base_products["22633"] in line_products
    days = [row["date"] for row in rows(batch / "timeframe.csv")]
    assert days == ["2010-12-04", "2010-12-05", "2010-12-06", "2010-12-07"]  # the gap is filled
    report = json.loads((batch / "import_report.json").read_text())
    assert report["source_rows"] == 5
    assert report["dropped"] == {"invoice_already_imported": 1}
    assert report["loaded_rows"] + sum(report["dropped"].values()) == report["source_rows"]


def test_appending_the_same_export_again_writes_nothing(tmp_path: Path) -> None:
    data = imported(tmp_path)
    later = tmp_path / "later.csv"
    output = ok(
        "import", str(later), "--preset", "online-retail", "--append", "--data-dir", str(data)
    )
    assert "nothing new" in output
    assert len(list((data / "raw" / "batches").iterdir())) == 1


def test_import_append_then_load_append_equals_a_full_load(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    where = ["--data-dir", str(data), "--database-url", db_url]
    base = write_online_retail(tmp_path / "base.csv", BASE)
    ok("--quiet", "import", str(base), "--preset", "online-retail", "--data-dir", str(data))
    ok("--quiet", "init-db", *where)
    ok("--quiet", "load", *where)
    later = write_online_retail(tmp_path / "later.csv", LATER)
    ok(
        "--quiet",
        "import",
        str(later),
        "--preset",
        "online-retail",
        "--append",
        "--data-dir",
        str(data),
    )
    ok("--quiet", "load", "--append", *where)
    appended = table_hashes(db_url)
    assert appended["sales"][0] == len(BASE) + len(LATER) - 1
    assert appended["customers"][0] == 4  # 17850, 12583, the guest of 536367, 99999
    ok("--quiet", "load", *where)  # a full load of base + batch
    assert table_hashes(db_url) == appended
    assert "already loaded by run" in ok("load", "--append", str(the_batch(data)), *where)
    assert table_hashes(db_url) == appended


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        ("generate", "holds a generated dataset, not an imported one"),
        ("nothing", "holds no imported dataset to append to"),
    ],
)
def test_append_needs_an_imported_dataset(tmp_path: Path, prepare: str, message: str) -> None:
    data = tmp_path / "data"
    if prepare == "generate":
        ok(
            "--quiet",
            "generate",
            "--transactions",
            "50",
            "--customers",
            "10",
            "--data-dir",
            str(data),
        )
    later = write_online_retail(tmp_path / "later.csv", LATER)
    code, output = invoke(
        "import", str(later), "--preset", "online-retail", "--append", "--data-dir", str(data)
    )
    assert code == 1
    assert message in output
    assert "Traceback" not in output
    assert not (data / "raw" / "batches").exists()


def test_append_and_force_are_refused_together(tmp_path: Path) -> None:
    later = write_online_retail(tmp_path / "later.csv", LATER)
    code, output = invoke(
        "import", str(later), "--preset", "online-retail", "--append", "--force",
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 2
    assert "drop --force" in output


def _lines_by_invoice(folders: list[Path]) -> dict[str, Counter[tuple[str, str]]]:
    """Per invoice number, its lines as (product key folded to upper case, quantity)."""
    skus: dict[str, str] = {}
    invoices: dict[str, str] = {}
    for folder in folders:
        skus.update(
            {row["product_id"]: row["sku"].upper() for row in rows(folder / "products.csv")}
        )
        invoices.update(
            {row["transaction_id"]: row["invoice_no"] for row in rows(folder / "transactions.csv")}
        )
    lines: dict[str, Counter[tuple[str, str]]] = {}
    for folder in folders:
        for row in rows(folder / "sales.csv"):
            invoice = invoices[row["transaction_id"]]
            lines.setdefault(invoice, Counter())[(skus[row["product_id"]], row["quantity"])] += 1
    return lines


def test_online_retail_in_two_overlapping_exports_equals_one_import(tmp_path: Path) -> None:
    source = shared_file("online_retail.csv.gz")
    whole, split = tmp_path / "whole", tmp_path / "split"
    common = [str(source), "--preset", "online-retail", "--country", "France"]
    ok("--quiet", "import", *common, "--data-dir", str(whole))
    ok("--quiet", "import", *common, "--until", "2011-06-30", "--data-dir", str(split))
    ok("--quiet", "import", *common, "--since", "2011-06-01", "--append", "--data-dir", str(split))
    batch = the_batch(split)
    report = json.loads((batch / "import_report.json").read_text())
    assert report["dropped"]["invoice_already_imported"] > 0  # June was in both exports
    together = _lines_by_invoice([split / "raw", batch])
    assert together == _lines_by_invoice([whole / "raw"])
    assert len(together) == 392  # the France invoices
    base_ids = {row["sku"]: row["product_id"] for row in rows(split / "raw" / "products.csv")}
    batch_skus = {row["sku"] for row in rows(batch / "products.csv")}
    assert not batch_skus & set(base_ids)  # no product got a second id
