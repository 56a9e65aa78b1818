"""`clustr-etl report`: the page's sections and numbers against the database, files as the
alternative source, edge cases (0, 1, 100,000 rules; long names) and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.report.build import render_report
from clustr_etl.run import steps as pipeline
from clustr_etl.store.models import Base
from clustr_etl.store.schema import make_engine
from report_support import SECTION_IDS, SMALL, page_data, small_settings, synthetic_facts

runner = CliRunner()
SMALL_OPTIONS = [item for key, value in SMALL.items() for item in (f"--{key}", str(value))]
TEN_MB = 10 * 1024 * 1024


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def run_all(db_url: str, data: Path) -> None:
    code, output = invoke(
        "-q", "run-all", *SMALL_OPTIONS, "--data-dir", str(data), "--database-url", db_url
    )
    assert code == 0, output


def read_page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def assert_self_contained(html: str) -> None:
    for section_id in SECTION_IDS:
        assert html.count(f'id="{section_id}"') == 1, section_id
    assert html.count("Licensed to the Apache Software Foundation") == 1  # ECharts inlined once
    assert "<script src" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert len(html.encode("utf-8")) < TEN_MB


def test_report_matches_the_database(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_all(db_url, data)
    code, output = invoke("-q", "report", "--data-dir", str(data), "--database-url", db_url)
    assert code == 0, output
    html = read_page(data / "report.html")
    assert_self_contained(html)
    payload = page_data(html)
    tables = Base.metadata.tables
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rules = conn.execute(select(func.count()).select_from(tables["bundle_rules"])).scalar_one()
        baskets = conn.execute(
            select(func.count(func.distinct(tables["sales"].c.transaction_id)))
        ).scalar_one()
        best = conn.execute(select(func.max(tables["bundle_rules"].c.lift))).scalar_one()
    engine.dispose()
    assert rules > 0
    assert payload["rules"]["total"] == rules
    assert len(payload["rules"]["rows"]) == min(rules, 1000)
    assert payload["rules"]["rows"][0][4] == pytest.approx(best, abs=1e-3)
    sizes = payload["charts"]["basket-sizes"]["series"][0]["data"]
    assert sum(sizes) == pytest.approx(100, abs=0.01)
    assert f"{baskets:,}" in html
    assert "Generated</b> by <code>clustr-etl generate</code> with seed 42" in html
    assert "20 of 20 planted bundles were found" in html or "planted bundles were found" in html
    assert f"Showing {min(rules, 100)} of {rules:,} rules" in html  # the graph's cap, stated


def test_files_give_the_same_report_as_the_database(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_all(db_url, data)
    from_db, from_files = tmp_path / "db.html", tmp_path / "files.html"
    assert (
        invoke(
            "-q",
            "report",
            "--data-dir",
            str(data),
            "--database-url",
            db_url,
            "--output",
            str(from_db),
        )[0]
        == 0
    )
    code, output = invoke(
        "-q",
        "report",
        "--input",
        str(data / "raw"),
        "--rules",
        str(data / "baseline_rules.csv"),
        "--output",
        str(from_files),
    )
    assert code == 0, output
    db_page, file_page = page_data(read_page(from_db)), page_data(read_page(from_files))
    for chart in (
        "basket-sizes",
        "item-frequency",
        "per-weekday",
        "seasonality",
        "lorenz",
        "planted",
    ):
        assert db_page["charts"][chart]["series"] == file_page["charts"][chart]["series"], chart
    assert db_page["rules"]["total"] == file_page["rules"]["total"]
    assert [row[:2] for row in db_page["rules"]["rows"][:50]] == [
        row[:2] for row in file_page["rules"]["rows"][:50]
    ]


def test_no_rules_yet_shows_the_dataset_sections(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_all(db_url, data)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(delete(Base.metadata.tables["bundle_rule_items"]))
        conn.execute(delete(Base.metadata.tables["bundle_rules"]))
    engine.dispose()
    code, output = invoke("-q", "report", "--data-dir", str(data), "--database-url", db_url)
    assert code == 0, output
    html = read_page(data / "report.html")
    assert_self_contained(html)
    assert html.count("No rules yet: run `clustr-etl mine-rules`") == 4
    charts = page_data(html)["charts"]
    assert {"basket-sizes", "per-day", "lorenz"} <= set(charts)
    assert "rules-scatter" not in charts
    assert "<b>No rules</b>" in html  # and #alerts says so


def test_a_hundred_thousand_rules_stay_under_ten_megabytes(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_all(db_url, data)
    rules = Base.metadata.tables["bundle_rules"]
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(delete(Base.metadata.tables["bundle_rule_items"]))
        conn.execute(delete(rules))
        long_name = "Extra Long Name " * 20
        conn.execute(
            insert(rules),
            [
                {
                    "antecedents": f"{1 + i % 120}|{1 + (i // 120) % 120}",
                    "consequents": str(1 + (i * 7) % 120),
                    "antecedent_names": long_name,
                    "consequent_names": long_name,
                    "support": 0.001 + (i % 97) / 10_000,
                    "confidence": 0.1 + (i % 89) / 100,
                    "lift": 1.0 + (i % 5000) / 100,
                    "leverage": 0.0005,
                    "conviction": 1.5,
                    "antecedent_count": 10,
                    "consequent_count": 10,
                    "rule_count": 5 + i % 50,
                    "n_transactions": 3000,
                }
                for i in range(100_000)
            ],
        )
    engine.dispose()
    code, output = invoke(
        "-q", "report", "--data-dir", str(data), "--database-url", db_url, "--top", "5000"
    )
    assert code == 0, output
    html = read_page(data / "report.html")
    assert_self_contained(html)
    assert "Showing 5,000 of 100,000 rules" in html
    assert "Showing 1,000 of 100,000 rules" in html  # the scatter's cap
    assert len(page_data(html)["rules"]["rows"]) == 5000


@pytest.mark.parametrize(("rules", "name_length"), [(0, 20), (1, 20), (3, 100)])
def test_zero_one_and_long_named_rules_render(rules: int, name_length: int) -> None:
    html, shown = render_report(synthetic_facts(rules, name_length), min_support=0.001)
    assert_self_contained(html)
    assert shown == rules
    payload = page_data(html)
    assert len(payload["rules"]["rows"]) == rules
    if rules:
        assert len(payload["rules"]["rows"][0][1]) == name_length  # full name in the table
        assert {"rules-scatter", "rules-matrix", "rules-graph"} <= set(payload["charts"])
    else:
        assert "No rules yet" in html


def test_run_all_report_writes_the_page(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, output = invoke(
        "run-all", *SMALL_OPTIONS, "--data-dir", str(data), "--database-url", db_url, "--report"
    )
    assert code == 0, output
    assert "report" in output
    assert_self_contained(read_page(data / "report.html"))


def test_no_database_says_to_run_run_all(tmp_path: Path) -> None:
    code, output = invoke("report", "--data-dir", str(tmp_path / "nothing"))
    assert code == 1
    assert output.count("\n") == 1
    assert "run `clustr-etl run-all`" in output
    assert not (tmp_path / "nothing" / "clustr.db").exists()


def test_empty_database_says_to_run_run_all(db_url: str, tmp_path: Path) -> None:
    assert invoke("-q", "init-db", "--data-dir", str(tmp_path), "--database-url", db_url)[0] == 0
    code, output = invoke("report", "--data-dir", str(tmp_path), "--database-url", db_url)
    assert code == 1
    assert output.count("\n") == 1
    assert "run `clustr-etl run-all`" in output


def test_unwritable_output_is_one_line(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = small_settings(data, db_url)
    with pipeline.open_run(settings, "run-all") as run:
        pipeline.run_all(run)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    code, output = invoke(
        "report",
        "--data-dir",
        str(data),
        "--database-url",
        db_url,
        "--output",
        str(blocker / "r.html"),
    )
    assert code == 1
    assert output.count("\n") == 1
    assert "cannot write the report to" in output
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_missing_input_folder_is_one_line(tmp_path: Path) -> None:
    code, output = invoke("report", "--input", str(tmp_path / "absent"))
    assert code == 1
    assert output.count("\n") == 1
    assert "no folder" in output
