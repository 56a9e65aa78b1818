"""`clustr-etl import` on the real UCI Online Retail file: reconciliation, keys, loading and mining."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.importing import ImportOptions, import_dataset
from clustr_etl.loading import load_tables
from clustr_etl.mining import RuleThresholds, mine_rules, read_baskets_from_db, read_sales_csv
from shared_data import shared_file

SOURCE_LINES = 541_909
THRESHOLDS = RuleThresholds(
    min_support=0.02, min_confidence=0.3, min_lift=1.0, min_len=2, max_len=4
)


def run_import(raw_dir: Path, **filters: object) -> dict[str, object]:
    options = ImportOptions((shared_file("online_retail.csv.gz"),), "online-retail", **filters)  # type: ignore[arg-type]
    return import_dataset(options, raw_dir).report


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("online-retail") / "raw"
    run_import(raw_dir)
    return raw_dir


def report_of(raw_dir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((raw_dir / "import_report.json").read_text("utf-8"))
    return data


def test_every_line_is_loaded_or_counted_under_a_reason(imported: Path) -> None:
    report = report_of(imported)
    dropped = report["dropped"]
    assert isinstance(dropped, dict)
    assert report["source_rows"] == SOURCE_LINES
    assert report["source_rows"] == report["loaded_rows"] + sum(dropped.values())
    assert dropped["duplicate_line"] == 5_268
    assert dropped["credit_note"] > 9_000
    assert set(dropped) <= {
        "duplicate_line",
        "credit_note",
        "non_positive_quantity",
        "non_positive_price",
        "price_below_one_cent",
    }
    totals = report["totals"]
    assert isinstance(totals, dict)
    source, loaded, gone = totals["source"], totals["loaded"], totals["dropped"]
    assert source["quantity"] == loaded["quantity"] + gone["quantity"]
    assert round(source["revenue"], 2) == round(loaded["revenue"] + gone["revenue"], 2)
    raw = pd.read_csv(shared_file("online_retail.csv.gz"))
    assert source["quantity"] == raw["Quantity"].sum()
    assert round(source["revenue"], 2) == round((raw["Quantity"] * raw["UnitPrice"]).sum(), 2)
    sales = pd.read_csv(imported / "sales.csv")
    assert len(sales) == report["loaded_rows"]
    assert sales["quantity"].sum() == loaded["quantity"]
    assert round(sales["line_total"].sum(), 2) == round(loaded["revenue"], 2)


def test_products_keep_their_stock_codes_and_flags(imported: Path) -> None:
    products = pd.read_csv(imported / "products.csv", dtype={"sku": str}, keep_default_na=False)
    assert products["sku"].is_unique
    assert products["name"].is_unique
    assert products["sku"].str.upper().is_unique  # case-only variants were merged
    flagged = set(products.loc[~products["is_merchandise"].astype(bool), "sku"])
    assert {"POST", "DOT", "M", "C2", "BANK CHARGES", "AMAZONFEE"} <= flagged
    assert "85123A" not in flagged
    heart = products.loc[products["sku"] == "85123A", "name"].item()
    assert heart == "WHITE HANGING HEART T-LIGHT HOLDER"
    report = report_of(imported)
    keys = report["keys"]
    assert isinstance(keys, dict)
    assert keys["product_keys_with_several_descriptions"] == 647
    customers = pd.read_csv(imported / "customers.csv", dtype={"external_id": str})
    assert keys["registered_customers"] == 4_338
    assert customers["external_id"].is_unique
    guests = customers[customers["segment"] == "guest"]
    assert len(guests) == keys["guest_customers"] > 0
    assert guests["external_id"].str.startswith("guest:").all()
    calendar = report["calendar"]
    assert isinstance(calendar, dict)
    assert (calendar["first_day"], calendar["last_day"]) == ("2010-12-01", "2011-12-09")
    timeframe = pd.read_csv(imported / "timeframe.csv")
    assert len(timeframe) == 374
    assert set(timeframe.loc[timeframe["is_holiday"], "date"]) >= {"2010-12-25", "2011-04-22"}


def test_france_has_392_invoices(tmp_path: Path) -> None:
    report = run_import(tmp_path / "raw", countries=("France",))
    transactions = pd.read_csv(tmp_path / "raw" / "transactions.csv")
    assert len(transactions) == 392
    assert report["calendar"]["holiday_country"] == "FR"  # type: ignore[index]
    assert report["dropped"]["outside_country"] > 500_000  # type: ignore[index]


def test_reimport_gives_the_same_ids(imported: Path, tmp_path: Path) -> None:
    run_import(tmp_path / "raw")
    for name in TABLE_FILES.values():
        assert (tmp_path / "raw" / name).read_bytes() == (imported / name).read_bytes(), name


def test_loads_without_orphans_and_mines_the_same_rules(imported: Path, engine: Engine) -> None:
    rows = load_tables(engine, imported)
    report = report_of(imported)
    assert rows["sales"] == report["loaded_rows"]
    with engine.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM sales s LEFT JOIN transactions t "
                "ON s.transaction_id = t.transaction_id LEFT JOIN products p "
                "ON s.product_id = p.product_id WHERE t.transaction_id IS NULL "
                "OR p.product_id IS NULL"
            )
        ).scalar_one()
        assert orphans == 0
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM transactions t LEFT JOIN customers c "
                    "ON t.customer_id = c.customer_id WHERE c.customer_id IS NULL"
                )
            ).scalar_one()
            == 0
        )
        invoice = conn.execute(
            text("SELECT invoice_no FROM transactions WHERE transaction_id = 1")
        ).scalar_one()
        assert invoice == "536365"
    from_db = mine_rules(read_baskets_from_db(engine), THRESHOLDS)
    from_csv = mine_rules(read_sales_csv(imported / "sales.csv"), THRESHOLDS)
    assert len(from_db) > 10
    columns = ["antecedents", "consequents", "support", "confidence", "lift"]
    pd.testing.assert_frame_equal(
        from_db[columns].reset_index(drop=True), from_csv[columns].reset_index(drop=True)
    )
