"""`clustr-etl import` presets on small files made here: online-retail, online-retail-ii (xlsx and
CSV), instacart and lines with a TOML mapping; then `load` and `run-all` on the result."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text

from import_fixtures import invoke, write_online_retail, write_workbook

II_HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"]
II_HEADER += ["Customer ID", "Country"]


def read_report(data: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((data / "raw" / "import_report.json").read_text())
    return report


def test_online_retail_cleaning_on_a_small_file(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv.gz")
    code, output = invoke("import", str(source), "--preset", "online-retail", "--data-dir", "d")
    assert code == 0, output
    assert "dropped: credit_note" in output
    assert "basket_mean" in output
    report = read_report(Path("d"))
    assert report["dropped"] == {
        "duplicate_line": 1,
        "credit_note": 1,
        "non_positive_price": 1,
    }
    assert report["source_rows"] == 8
    assert report["loaded_rows"] == 5
    products = pd.read_csv("d/raw/products.csv", keep_default_na=False)
    assert sorted(products["sku"]) == ["22632", "71053", "85123A", "POST"]
    assert products.set_index("sku").loc["POST", "is_merchandise"] == False  # noqa: E712
    assert "HAND WARMER RED, POLKA DOT" in set(products["name"])
    customers = pd.read_csv("d/raw/customers.csv", dtype={"external_id": str})
    assert list(customers["external_id"]) == ["12583", "17850", "guest:536366"]
    sales = pd.read_csv("d/raw/sales.csv")
    assert round(sales["line_total"].sum(), 2) == round(
        6 * 2.55 + 6 * 3.39 + 2 * 2.55 + 18 + 4 * 1.85, 2
    )


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    assert invoke("import", str(source), "--preset", "online-retail", "--data-dir", "d")[0] == 0
    before = Path("d/raw/sales.csv").read_bytes()
    code, output = invoke("import", str(source), "--preset", "online-retail", "--data-dir", "d")
    assert code == 1
    assert "--force" in output
    assert Path("d/raw/sales.csv").read_bytes() == before
    code, output = invoke(
        "import", str(source), "--preset", "online-retail", "--data-dir", "d", "--force"
    )
    assert code == 0, output


def test_online_retail_ii_workbook_reads_both_sheets(tmp_path: Path) -> None:
    when = dt.datetime(2010, 12, 1, 8, 26)
    book = write_workbook(
        tmp_path / "online_retail_II.xlsx",
        {
            "Year 2009-2010": [
                II_HEADER,
                [
                    "489434",
                    "85048",
                    "15CM CHRISTMAS GLASS BALL",
                    12,
                    when,
                    6.95,
                    13085.0,
                    "Germany",
                ],
                ["489434", "79323P", "PINK CHERRY LIGHTS", 12, when, 6.75, 13085.0, "Germany"],
            ],
            "Year 2010-2011": [
                II_HEADER,
                ["536365", "85048", "15CM CHRISTMAS GLASS BALL", 2, when, 6.95, None, "Germany"],
                [
                    "C536366",
                    "85048",
                    "15CM CHRISTMAS GLASS BALL",
                    -2,
                    when,
                    6.95,
                    13085.0,
                    "Germany",
                ],
            ],
        },
    )
    code, output = invoke("import", str(book), "--preset", "online-retail-ii", "--data-dir", "d")
    assert code == 0, output
    report = read_report(Path("d"))
    assert report["source_rows"] == 4
    assert report["loaded_rows"] == 3
    customers = pd.read_csv("d/raw/customers.csv", dtype={"external_id": str})
    assert list(customers["external_id"]) == ["13085", "guest:536365"]
    assert report["calendar"]["holiday_country"] == "DE"  # type: ignore[index]
    transactions = pd.read_csv("d/raw/transactions.csv", dtype={"invoice_no": str})
    assert list(transactions["invoice_no"]) == ["489434", "536365"]


def test_online_retail_original_workbook(tmp_path: Path) -> None:
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"]
    when = dt.datetime(2011, 12, 9, 12, 50)
    book = write_workbook(
        tmp_path / "Online Retail.xlsx",
        {
            "Online Retail": [
                [*header, "CustomerID", "Country"],
                [581587, "22613", "PACK OF 20 SPACEBOY NAPKINS", 12, when, 0.85, 12680, "France"],
                [581587, "POST", "POSTAGE", 1, when, 18, 12680, "France"],
            ]
        },
    )
    code, output = invoke("import", str(book), "--preset", "online-retail", "--data-dir", "d")
    assert code == 0, output
    transactions = pd.read_csv("d/raw/transactions.csv", dtype={"invoice_no": str})
    assert transactions.to_dict("records") == [
        {"transaction_id": 1, "customer_id": 1, "date": "2011-12-09", "invoice_no": "581587"}
    ]
    sales = pd.read_csv("d/raw/sales.csv")
    assert list(sales["line_total"]) == [10.2, 18.0]


def test_online_retail_ii_csv(tmp_path: Path) -> None:
    source = tmp_path / "online_retail_II.csv"
    source.write_text(
        ",".join(II_HEADER)
        + "\n489434,85048,GLASS BALL,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n",
        encoding="utf-8",
    )
    code, output = invoke("import", str(source), "--preset", "online-retail-ii", "--data-dir", "d")
    assert code == 0, output
    customers = pd.read_csv("d/raw/customers.csv", dtype={"external_id": str})
    assert list(customers["external_id"]) == ["13085"]


def write_instacart(folder: Path) -> Path:
    folder.mkdir()
    (folder / "orders.csv").write_text(
        "order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order\n"
        "10,1,prior,1,2,8,\n11,1,prior,2,3,9,15.0\n12,1,train,3,4,10,30.0\n20,2,prior,1,0,7,\n",
        encoding="utf-8",
    )
    (folder / "order_products__prior.csv").write_text(
        "order_id,product_id,add_to_cart_order,reordered\n10,1,1,0\n10,2,2,0\n11,1,1,1\n20,2,1,0\n",
        encoding="utf-8",
    )
    (folder / "order_products__train.csv").write_text(
        "order_id,product_id,add_to_cart_order,reordered\n12,2,1,1\n", encoding="utf-8"
    )
    (folder / "products.csv").write_text(
        "product_id,product_name,aisle_id,department_id\n1,Banana,24,4\n2,Organic Milk,84,16\n",
        encoding="utf-8",
    )
    (folder / "aisles.csv").write_text("aisle_id,aisle\n24,fresh fruits\n84,milk\n")
    (folder / "departments.csv").write_text("department_id,department\n4,produce\n16,dairy eggs\n")
    return folder


def test_instacart_dates_are_derived_from_days_since_prior_order(tmp_path: Path) -> None:
    folder = write_instacart(tmp_path / "instacart")
    code, output = invoke("import", str(folder), "--preset", "instacart", "--data-dir", "d")
    assert code == 0, output
    transactions = pd.read_csv("d/raw/transactions.csv", dtype={"invoice_no": str})
    dates = dict(zip(transactions["invoice_no"], transactions["date"], strict=True))
    # user 1: last order (12) on the anchor, 30 days before it order 11, 15 more before it order 10
    assert dates == {"10": "2017-11-16", "11": "2017-12-01", "12": "2017-12-31", "20": "2017-12-31"}
    products = pd.read_csv("d/raw/products.csv")
    assert dict(zip(products["name"], products["category"], strict=True)) == {
        "Banana": "produce",
        "Organic Milk": "dairy eggs",
    }
    sales = pd.read_csv("d/raw/sales.csv")
    assert set(sales["unit_price"]) == {1.0}
    assert set(sales["quantity"]) == {1}
    notes = read_report(Path("d"))["keys"]["instacart"]  # type: ignore[index]
    assert "placeholder" in notes["prices"]


def test_lines_preset_with_a_mapping_then_load_and_run_all(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "order": ["A1", "A1", "A2", "A3"],
            "sku": ["X-1", "X-2", "X-1", "X-2"],
            "title": ["Kettle", "Mug", "Kettle", "Mug"],
            "qty": [1, 2, 1, 1],
            "day": ["03/01/2024", "03/01/2024", "04/01/2024", "05/01/2024"],
            "price": [20.0, 4.5, 20.0, 4.5],
            "client": ["c1", "c1", None, "c2"],
            "dept": ["Kitchen", "Kitchen", "Kitchen", "Kitchen"],
        }
    ).to_parquet(tmp_path / "pos.parquet")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\ninvoice = "order"\nproduct = "sku"\nproduct_name = "title"\nquantity = "qty"\n'
        'date = "day"\nunit_price = "price"\ncustomer = "client"\ncategory = "dept"\n'
        '[options]\ndate_format = "%d/%m/%Y"\n',
        encoding="utf-8",
    )
    code, output = invoke(
        "import", str(tmp_path / "pos.parquet"), "--preset", "lines", "--mapping", str(mapping),
        "--data-dir", "d",
    )  # fmt: skip
    assert code == 0, output
    timeframe = pd.read_csv("d/raw/timeframe.csv")
    assert list(timeframe["date"]) == ["2024-01-03", "2024-01-04", "2024-01-05"]
    code, output = invoke("run-all", "--data-dir", "d", "--min-support", "0.3")
    assert code == 0, output
    assert "generate" not in output  # the imported data is loaded, never regenerated over
    engine = create_engine(f"sqlite:///{Path('d/clustr.db').resolve()}")
    with engine.connect() as conn:
        skus = conn.execute(text("SELECT sku FROM products ORDER BY product_id")).scalars().all()
        invoices = conn.execute(text("SELECT invoice_no FROM transactions")).scalars().all()
    engine.dispose()
    assert skus == ["X-1", "X-2"]
    assert sorted(invoices) == ["A1", "A2", "A3"]
