"""Bad input to `clustr-etl import`: one clear line, exit code != 0, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import ONLINE_RETAIL_LINES, invoke, write_online_retail, write_workbook


def assert_refused(args: list[str], *expected: str, code: int = 1) -> None:
    exit_code, output = invoke("import", *args, "--data-dir", "d")
    assert exit_code == code, output
    assert "Traceback" not in output
    for text in expected:
        assert text in output, output
    assert not Path("d/raw/sales.csv").exists()
    assert not Path("d/raw/import_report.json").exists()


def test_missing_column_is_named_with_what_the_preset_expects(tmp_path: Path) -> None:
    source = tmp_path / "retail.csv"
    source.write_text("InvoiceNo,StockCode,Quantity\n1,2,3\n", encoding="utf-8")
    assert_refused(
        [str(source), "--preset", "online-retail"], "no column 'Description'", "expects InvoiceNo"
    )


def test_wrong_preset_for_the_file(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    assert_refused([str(source), "--preset", "online-retail-ii"], "no column 'Invoice'", "--preset")


def test_undecodable_encoding_says_how_to_pass_one(tmp_path: Path) -> None:
    line = "536365,84029E,RED WOOLLY HOTTIE WHITE HEART\u00bd,6,2010-12-01 08:26,3.39,17850,France"
    source = write_online_retail(tmp_path / "retail.csv", [line], encoding="cp1252")
    assert_refused(
        [str(source), "--preset", "online-retail", "--encoding", "utf-8"],
        "not valid utf-8",
        "--encoding",
    )
    # without --encoding, UTF-8 then cp1252 are tried: the file imports
    code, output = invoke("import", str(source), "--preset", "online-retail", "--data-dir", "ok")
    assert code == 0, output
    assert "\u00bd" in Path("ok/raw/products.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("536999,22633,WARMER,three,2010-12-03 11:00,1.00,12583,France", "line 3, column Quantity"),
        ("536999,22633,WARMER,3,2010-13-45 11:00,1.00,12583,France", "line 3, column InvoiceDate"),
        ("536999,22633,WARMER,3,2010-12-03 11:00,1,00,12583,France", "retail.csv"),
        ("536999,22633,WARMER,3,2010-12-03 11:00,cheap,12583,France", "column UnitPrice"),
    ],
)
def test_unparseable_value_names_the_cell(tmp_path: Path, bad_line: str, expected: str) -> None:
    source = write_online_retail(tmp_path / "retail.csv", [ONLINE_RETAIL_LINES[0], bad_line])
    assert_refused([str(source), "--preset", "online-retail"], expected)


def test_mapping_naming_an_absent_column(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\ninvoice = "InvoiceNo"\nproduct = "Sku"\nproduct_name = "Description"\n'
        'quantity = "Quantity"\ntimestamp = "InvoiceDate"\nunit_price = "UnitPrice"\n'
        'customer = "CustomerID"\n',
        encoding="utf-8",
    )
    assert_refused([str(source), "--preset", "lines", "--mapping", str(mapping)], "no column 'Sku'")


def test_mapping_without_a_required_key(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\ninvoice = "InvoiceNo"\n', encoding="utf-8")
    assert_refused(
        [str(source), "--preset", "lines", "--mapping", str(mapping)],
        "names no column for product",
        code=2,
    )


def test_no_rows_left_after_filters_says_which_filter(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    assert_refused(
        [str(source), "--preset", "online-retail", "--country", "Atlantis"],
        "outside_country removed 8",
        "--country",
    )
    assert_refused(
        [str(source), "--preset", "online-retail", "--since", "2011-01-01"],
        "before_since removed 8",
        "--since",
    )


def test_workbook_without_the_expected_sheets(tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "retail.xlsx", {"Sheet1": [["Invoice"], ["1"]]})
    assert_refused(
        [str(book), "--preset", "online-retail-ii"], "no sheet 'Year 2009-2010'", "found: 'Sheet1'"
    )


def test_instacart_folder_missing_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "instacart"
    folder.mkdir()
    (folder / "orders.csv").write_text("order_id,user_id,order_number,days_since_prior_order\n")
    assert_refused(
        [str(folder), "--preset", "instacart"], "products.csv", "order_products__prior.csv"
    )


def test_bad_options(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    assert_refused([str(source), "--preset", "nope"], "unknown preset 'nope'", code=2)
    assert_refused([str(source), "--preset", "lines"], "needs --mapping", code=2)
    assert_refused(
        [str(source), "--preset", "online-retail", "--since", "2011-02-30"], "not a date", code=2
    )
    assert_refused([str(tmp_path / "absent.csv"), "--preset", "online-retail"], "not found")
