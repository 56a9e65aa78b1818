"""mine-rules on the database: scopes (--by), windows, non-merchandise products, bad options."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from typer.testing import CliRunner

from clustr_etl.cli.app import app

SMALL = ["--customers", "300", "--products", "120", "--days", "120", "--transactions", "3000"]
LOOSE = ["--min-support", "0.005", "--max-p", "0.05"]
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl", env={"COLUMNS": "400"})
    return result.exit_code, result.output


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    data = tmp_path / "data"
    code, output = invoke("run-all", *SMALL, "--database-url", db_url, "--data-dir", str(data))
    assert code == 0, output
    return db_url, data


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine: Engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def mine(url: str, data: Path, *args: str) -> tuple[int, str]:
    return invoke("mine-rules", *LOOSE, *args, "--database-url", url, "--data-dir", str(data))


def test_by_segment_stores_all_and_each_segment(loaded: tuple[str, Path]) -> None:
    url, data = loaded
    code, output = mine(url, data, "--by", "segment")
    assert code == 0, output
    scopes = dict(query(url, "SELECT scope, count(*) FROM bundle_rules GROUP BY scope"))
    segments = {row[0] for row in query(url, "SELECT DISTINCT segment FROM customers")}
    assert "all" in scopes
    assert set(scopes) - {"all"} <= {f"segment={s}" for s in segments}
    assert len(scopes) >= 2
    # each scope's rules were mined on that segment's baskets only
    for scope, n in query(
        url, "SELECT scope, max(n_transactions) FROM bundle_rules GROUP BY scope"
    ):
        if scope == "all":
            expected = "SELECT count(DISTINCT transaction_id) FROM sales"
        else:
            segment = str(scope).split("=", 1)[1]
            expected = (
                "SELECT count(DISTINCT s.transaction_id) FROM sales s JOIN transactions t "
                "ON t.transaction_id = s.transaction_id JOIN customers c "
                f"ON c.customer_id = t.customer_id WHERE c.segment = '{segment}'"
            )
        assert query(url, expected)[0][0] == n
    measures = "p_value, zhangs_metric, jaccard, certainty, kulczynski, antecedent_support, consequent_support"
    nulls = " OR ".join(f"{name} IS NULL" for name in measures.split(", "))
    assert query(url, f"SELECT count(*) FROM bundle_rules WHERE {nulls}") == [(0,)]
    header = (data / "baseline_rules.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("scope,antecedents,consequents")
    assert "p_value" in header
    assert "since" in header


def test_last_days_mines_the_window_and_records_it(loaded: tuple[str, Path]) -> None:
    url, data = loaded
    code, output = mine(url, data, "--last-days", "60")
    assert code == 0, output
    last = query(url, "SELECT max(date) FROM transactions")[0][0]
    last_day = dt.date.fromisoformat(str(last)[:10])
    since = last_day - dt.timedelta(days=59)
    rows = query(url, "SELECT DISTINCT since, until, n_transactions FROM bundle_rules")
    assert len(rows) == 1
    stored_since, stored_until, n = rows[0]
    assert (str(stored_since)[:10], str(stored_until)[:10]) == (str(since), str(last_day))
    in_window = query(
        url,
        "SELECT count(DISTINCT s.transaction_id) FROM sales s JOIN transactions t "
        f"ON t.transaction_id = s.transaction_id WHERE t.date >= '{since}'",
    )[0][0]
    assert n == in_window < query(url, "SELECT count(*) FROM transactions")[0][0]


def test_non_merchandise_products_never_appear_in_rules(loaded: tuple[str, Path]) -> None:
    url, data = loaded
    assert mine(url, data)[0] == 0
    top_item = query(
        url,
        "SELECT item_key, count(*) AS n FROM bundle_rule_items GROUP BY item_key ORDER BY n DESC",
    )[0][0]
    engine = create_engine(url)  # the flag as the import issue adds it (default true)
    with engine.begin() as conn:
        if "is_merchandise" not in {c["name"] for c in inspect(conn).get_columns("products")}:
            conn.execute(
                text("ALTER TABLE products ADD COLUMN is_merchandise BOOLEAN NOT NULL DEFAULT TRUE")
            )
        conn.execute(
            text("UPDATE products SET is_merchandise = FALSE WHERE product_id = :p"),
            {"p": int(str(top_item))},
        )
    engine.dispose()

    code, output = mine(url, data)
    assert code == 0, output
    items = {row[0] for row in query(url, "SELECT DISTINCT item_key FROM bundle_rule_items")}
    assert items
    assert str(top_item) not in items
    assert "non-merchandise lines left out" in output

    assert mine(url, data, "--include-non-merchandise")[0] == 0
    items = {row[0] for row in query(url, "SELECT DISTINCT item_key FROM bundle_rule_items")}
    assert str(top_item) in items


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-count", "0"], "--min-count"),
        (["--max-p", "0"], "--max-p"),
        (["--max-p", "1.5"], "--max-p"),
        (["--max-consequent-len", "0"], "--max-consequent-len"),
        (["--by", "shoe_size"], "--by shoe_size"),
        (["--since", "2024-03-01", "--until", "2024-02-01"], "is after --until"),
        (["--since", "2031-01-01"], "outside the data"),
        (["--until", "1999-01-01"], "outside the data"),
    ],
)
def test_bad_mining_options_exit_2_and_write_nothing(
    loaded: tuple[str, Path], args: list[str], message: str
) -> None:
    url, data = loaded
    rules_csv = data / "baseline_rules.csv"
    before_csv = digest(rules_csv)
    before = query(url, "SELECT rule_id, scope, antecedents, consequents, lift FROM bundle_rules")
    code, output = mine(url, data, *args)
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1
    assert digest(rules_csv) == before_csv
    assert (
        query(url, "SELECT rule_id, scope, antecedents, consequents, lift FROM bundle_rules")
        == before
    )
