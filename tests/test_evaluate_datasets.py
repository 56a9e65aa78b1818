"""`clustr-etl evaluate` on every kind of dataset the tool knows, on both backends: a synthetic twin
(`generate --like`), Online Retail and Online Retail II exports, an Instacart folder (dates derived from
days_since_prior_order) and a `lines` import; a dataset that cannot be split is one line."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from import_fixtures import invoke

METHODS = {"rules", "rules+popularity", "cooccurrence", "popularity", "random"}
FIGURES = {"hr@1", "hr@5", "hr@10", "mrr@10", "ndcg@10", "coverage", "catalogue_coverage"}
LOOSE = ["--min-support", "0.02", "--max-p", "0.2"]
CATALOG = [(f"P{n:02d}", f"PRODUCT {n}") for n in range(24)]


def baskets(n: int, seed: int) -> list[list[int]]:
    """``n`` baskets of 2-5 catalog indexes; half hold one of three bundles, so rules exist."""
    rng = random.Random(seed)
    bundles = [[0, 1, 2], [3, 4], [5, 6, 7]]
    result = []
    for _ in range(n):
        items = set(rng.choice(bundles)) if rng.random() < 0.5 else set()
        while len(items) < rng.randint(2, 5):
            items.add(rng.randrange(len(CATALOG)))
        result.append(sorted(items))
    return result


def run_evaluate(url: str, data: Path, *args: str) -> tuple[int, str]:
    for step in (["init-db"], ["load"]):
        code, output = invoke(*step, "--database-url", url, "--data-dir", str(data))
        assert code == 0, output
    return invoke("evaluate", *LOOSE, *args, "--database-url", url, "--data-dir", str(data))


def assert_evaluated(url: str, data: Path, code: int, output: str) -> dict[str, object]:
    assert code == 0, output
    report = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))
    assert set(report["split"]) == {
        "train_since",
        "train_until",
        "test_since",
        "test_until",
        "test_days",
    }
    assert report["cases"] > 0
    assert report["test_baskets"] >= 30
    assert set(report["methods"]) == METHODS
    for figures in report["methods"].values():
        assert set(figures) >= FIGURES
        for figure in figures.values():
            assert set(figure) == {"value", "ci_low", "ci_high"}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT method, metric, k, value, cases FROM rule_evaluations")
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == len(METHODS) * 8
    assert {row[4] for row in rows} == {report["cases"]}
    hr10 = {row[0]: row[3] for row in rows if row[1] == "hr" and row[2] == 10}
    assert hr10["popularity"] == pytest.approx(report["methods"]["popularity"]["hr@10"]["value"])
    return dict(report)


def test_evaluate_a_synthetic_twin(db_url: str, tmp_path: Path) -> None:
    source = ["--customers", "300", "--products", "80", "--days", "120"]
    code, output = invoke(
        "generate", *source, "--transactions", "4000", "--data-dir", str(tmp_path / "s")
    )
    assert code == 0, output
    twin = tmp_path / "twin"
    like = ["--like", str(tmp_path / "s" / "raw"), "--transactions", "4000"]
    code, output = invoke("generate", *like, "--data-dir", str(twin))
    assert code == 0, output
    report = assert_evaluated(db_url, twin, *run_evaluate(db_url, twin, "--max-cases", "2000"))
    assert report["cases"] == 2000


HEADERS = {
    "online-retail-ii": "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
    "online-retail": "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
}


def online_retail_csv(path: Path, header: str, days: int = 90) -> Path:
    """An Online Retail (II) CSV: 6 invoices a day for ``days`` days from 2010-12-01."""
    lines, start = [header], dt.datetime(2010, 12, 1, 9, 0)
    for number, items in enumerate(baskets(6 * days, seed=1)):
        when = start + dt.timedelta(days=number // 6, minutes=number % 6)
        for item in items:
            sku, name = CATALOG[item]
            customer = f"{13000 + number % 40}.0"
            lines.append(f"{489000 + number},{sku},{name},2,{when:%Y-%m-%d %H:%M:%S},1.25,"
                         f"{customer},United Kingdom")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("preset", sorted(HEADERS))
def test_evaluate_an_online_retail_import(db_url: str, tmp_path: Path, preset: str) -> None:
    source = online_retail_csv(tmp_path / "online_retail.csv", HEADERS[preset])
    data = tmp_path / "d"
    code, output = invoke("import", str(source), "--preset", preset, "--data-dir", str(data))
    assert code == 0, output
    report = assert_evaluated(db_url, data, *run_evaluate(db_url, data))
    assert report["split"] == {
        "train_since": "2010-12-01",
        "train_until": "2011-01-29",
        "test_since": "2011-01-30",
        "test_until": "2011-02-28",
        "test_days": 30,
    }
    assert report["rules_mined"] > 0  # type: ignore[operator]


def instacart_folder(folder: Path, gap: str = "10.0") -> Path:
    """60 users with 6 orders each, ``gap`` days apart (empty: unknown, as for first orders)."""
    folder.mkdir()
    orders = ["order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,"
              "days_since_prior_order"]  # fmt: skip
    prior, train = ["order_id,product_id,add_to_cart_order,reordered"], []
    for number, items in enumerate(baskets(360, seed=2)):
        user, order_number = number // 6 + 1, number % 6 + 1
        eval_set = "train" if order_number == 6 else "prior"
        since = gap if order_number > 1 else ""
        orders.append(f"{number + 1},{user},{eval_set},{order_number},1,10,{since}")
        rows = [f"{number + 1},{item + 1},{position + 1},0" for position, item in enumerate(items)]
        (train if eval_set == "train" else prior).extend(rows)
    (folder / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (folder / "order_products__prior.csv").write_text("\n".join(prior) + "\n", encoding="utf-8")
    (folder / "order_products__train.csv").write_text(
        "\n".join([prior[0], *train]) + "\n", encoding="utf-8"
    )
    products = ["product_id,product_name,aisle_id,department_id"]
    products += [f"{n + 1},{name},1,1" for n, (_, name) in enumerate(CATALOG)]
    (folder / "products.csv").write_text("\n".join(products) + "\n", encoding="utf-8")
    (folder / "aisles.csv").write_text("aisle_id,aisle\n1,everything\n", encoding="utf-8")
    (folder / "departments.csv").write_text("department_id,department\n1,all\n", encoding="utf-8")
    return folder


def test_evaluate_an_instacart_import(db_url: str, tmp_path: Path) -> None:
    folder = instacart_folder(tmp_path / "instacart")
    data = tmp_path / "d"
    code, output = invoke("import", str(folder), "--preset", "instacart", "--data-dir", str(data))
    assert code == 0, output
    # every user's last order lands on the anchor day, the earlier ones 10 days apart before it
    report = assert_evaluated(db_url, data, *run_evaluate(db_url, data))
    assert report["split"] == {
        "train_since": "2017-11-11",
        "train_until": "2017-12-01",
        "test_since": "2017-12-02",
        "test_until": "2017-12-31",
        "test_days": 30,
    }
    assert report["test_baskets"] == 60 * 3  # orders 4, 5 and 6 of each user


def test_instacart_without_gaps_cannot_be_split_in_one_line(db_url: str, tmp_path: Path) -> None:
    folder = instacart_folder(tmp_path / "instacart", gap="")
    data = tmp_path / "d"
    code, output = invoke("import", str(folder), "--preset", "instacart", "--data-dir", str(data))
    assert code == 0, output
    code, output = run_evaluate(db_url, data)
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1
    assert "the data covers 1 day (2017-12-31)" in output
    assert "days_since_prior_order" in output
    assert not (data / "evaluation.json").exists()


def test_evaluate_a_lines_import(db_url: str, tmp_path: Path) -> None:
    start, records = dt.date(2024, 1, 1), []
    for number, items in enumerate(baskets(400, seed=3)):
        day = start + dt.timedelta(days=number // 5)
        for item in items:
            sku, name = CATALOG[item]
            records.append({"order": f"A{number}", "sku": sku, "title": name, "qty": 1,
                            "day": f"{day:%d/%m/%Y}", "price": 3.5, "client": f"c{number % 50}"})  # fmt: skip
    pd.DataFrame(records).to_parquet(tmp_path / "pos.parquet")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\ninvoice = "order"\nproduct = "sku"\nproduct_name = "title"\nquantity = "qty"\n'
        'date = "day"\nunit_price = "price"\ncustomer = "client"\n'
        '[options]\ndate_format = "%d/%m/%Y"\n',
        encoding="utf-8",
    )
    data = tmp_path / "d"
    code, output = invoke(
        "import", str(tmp_path / "pos.parquet"), "--preset", "lines", "--mapping", str(mapping),
        "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, output
    report = assert_evaluated(db_url, data, *run_evaluate(db_url, data, "--test-days", "20"))
    assert report["split"]["test_until"] == "2024-03-20"  # type: ignore[index]
    assert report["test_baskets"] == 100
    assert "300 baskets, support 0.02 = 6 baskets < min count 10" in report["notes"]  # type: ignore[operator]
    code, output = invoke(
        "evaluate", "--max-p", "0.2", "--max-rules", "20", "--test-days", "20",
        "--database-url", db_url, "--data-dir", str(data),
    )  # fmt: skip
    assert code == 0, output
    notes = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))["notes"]
    assert any(note.startswith("support raised from 0.001 to ") for note in notes), notes
    assert "support raised from 0.001" in output
