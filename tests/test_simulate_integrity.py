"""Referential integrity, CSV format, exact money arithmetic and calendar fields of the dataset."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from clustr_etl.dataset.layout import PLANTED_FILE, TABLE_FILES
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.simulate.calendar import us_federal_holidays
from clustr_etl.store.models import CSV_COLUMNS

OPTIONS = GenerateOptions(customers=800, products=300, days=500, transactions=20_000, seed=5)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("integrity")
    rows = generate_dataset(OPTIONS, path)
    assert rows[TABLE_FILES["transactions"]] == OPTIONS.transactions
    assert rows[TABLE_FILES["customers"]] == OPTIONS.customers
    return path


def _text(raw_dir: Path, table: str) -> pd.DataFrame:
    """A CSV read as text, so formatting (decimals, dates, booleans) can be checked."""
    return pd.read_csv(raw_dir / TABLE_FILES[table], dtype=str, keep_default_na=False)


def test_files_are_utf8_with_lf_and_headers_equal_to_table_columns(raw_dir: Path) -> None:
    for table, name in TABLE_FILES.items():
        data = (raw_dir / name).read_bytes()
        text = data.decode("utf-8")
        assert b"\r" not in data
        assert text.endswith("\n")
        assert text.split("\n", 1)[0] == ",".join(CSV_COLUMNS[table])
    assert (
        (raw_dir / PLANTED_FILE)
        .read_text()
        .startswith("bundle_id,product_ids,strength,kind,theme\n")
    )
    assert not list(raw_dir.glob(".*tmp"))  # no leftover temporary files


def test_ids_start_at_one_and_ascend(raw_dir: Path) -> None:
    for table, column in [
        ("products", "product_id"),
        ("customers", "customer_id"),
        ("transactions", "transaction_id"),
        ("sales", "sale_id"),
    ]:
        ids = _text(raw_dir, table)[column].astype(int)
        assert ids.tolist() == list(range(1, len(ids) + 1)), column
    sales = _text(raw_dir, "sales")
    assert sales["transaction_id"].astype(int).is_monotonic_increasing


def test_every_reference_exists_and_no_purchase_precedes_signup(raw_dir: Path) -> None:
    products, customers = _text(raw_dir, "products"), _text(raw_dir, "customers")
    transactions, sales = _text(raw_dir, "transactions"), _text(raw_dir, "sales")
    timeframe = _text(raw_dir, "timeframe")
    assert set(sales["product_id"]) <= set(products["product_id"])
    assert set(sales["transaction_id"]) == set(transactions["transaction_id"])  # no empty basket
    assert set(transactions["customer_id"]) <= set(customers["customer_id"])
    assert set(transactions["date"]) <= set(timeframe["date"])
    signup = transactions["customer_id"].map(customers.set_index("customer_id")["signup_date"])
    assert (signup <= transactions["date"]).all()  # ISO dates compare as text
    assert not sales.duplicated(["transaction_id", "product_id"]).any()
    assert transactions["date"].is_monotonic_increasing  # ids follow time, like a till


def test_money_has_fixed_decimals_and_line_total_is_exact_half_up(raw_dir: Path) -> None:
    sales, products = _text(raw_dir, "sales"), _text(raw_dir, "products")
    assert sales["unit_price"].str.fullmatch(r"\d+\.\d\d").all()
    assert sales["line_total"].str.fullmatch(r"\d+\.\d\d").all()
    assert products["unit_price"].str.fullmatch(r"\d+\.\d\d").all()
    assert sales["discount"].str.fullmatch(r"0\.\d{1,3}").all()
    cent = Decimal("0.01")
    for quantity, price, discount, total in zip(
        sales["quantity"], sales["unit_price"], sales["discount"], sales["line_total"], strict=True
    ):
        exact = int(quantity) * Decimal(price) * (1 - Decimal(discount))
        assert exact.quantize(cent, rounding=ROUND_HALF_UP) == Decimal(total)
    price_of = products.set_index("product_id")["unit_price"]
    assert (sales["product_id"].map(price_of) == sales["unit_price"]).all()
    assert (sales["quantity"].astype(int) >= 1).all()


def test_timeframe_fields_match_python_datetime(raw_dir: Path) -> None:
    timeframe = _text(raw_dir, "timeframe")
    days = [OPTIONS.start_date + dt.timedelta(days=i) for i in range(OPTIONS.days)]
    assert timeframe["date"].tolist() == [day.isoformat() for day in days]
    for row, day in zip(timeframe.itertuples(index=False), days, strict=True):
        iso = day.isocalendar()
        expected = (
            day.year,
            (day.month - 1) // 3 + 1,
            day.month,
            day.day,
            iso.weekday,
            iso.week,
        )
        actual = (row.year, row.quarter, row.month, row.day, row.day_of_week, row.week_of_year)
        assert tuple(int(value) for value in actual) == expected
        assert row.is_weekend == ("true" if iso.weekday >= 6 else "false")
        assert row.is_holiday == ("true" if day in us_federal_holidays(day.year) else "false")


def test_holidays_are_the_us_federal_set_for_any_year() -> None:
    assert sorted(us_federal_holidays(2024)) == [
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 15),
        dt.date(2024, 2, 19),
        dt.date(2024, 5, 27),
        dt.date(2024, 6, 19),
        dt.date(2024, 7, 4),
        dt.date(2024, 9, 2),
        dt.date(2024, 10, 14),
        dt.date(2024, 11, 11),
        dt.date(2024, 11, 28),
        dt.date(2024, 12, 25),
    ]
    assert dt.date(2031, 11, 27) in us_federal_holidays(2031)  # Thanksgiving 2031
    assert dt.date(1999, 5, 31) in us_federal_holidays(1999)  # Memorial Day 1999
