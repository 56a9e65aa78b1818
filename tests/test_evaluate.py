"""`clustr-etl evaluate` on both backends: JSON, rule_evaluations rows, run-all --evaluate, bad
splits in one line, and no leakage from the test window into the mining."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.evaluation.evaluate import evaluate_database
from clustr_etl.evaluation.options import EvaluationOptions
from clustr_etl.mining import RuleThresholds
from clustr_etl.store.schema import make_engine

SMALL = ["--customers", "400", "--products", "120", "--days", "120", "--transactions", "5000"]
LOOSE = ["--min-support", "0.005", "--max-p", "0.05"]
METHODS = {"rules", "rules+popularity", "cooccurrence", "popularity", "random"}
METRICS = {"hr@1", "hr@5", "hr@10", "mrr@10", "ndcg@10", "coverage", "catalogue_coverage"}
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl", env={"COLUMNS": "400"})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("evaluate")
    code, output = invoke("generate", *SMALL, "--data-dir", str(data))
    assert code == 0, output
    return data / "raw"


@pytest.fixture
def loaded(db_url: str, raw: Path, tmp_path: Path) -> tuple[str, Path]:
    data = tmp_path / "data"
    shutil.copytree(raw, data / "raw")
    code, output = invoke(
        "run-all", *SMALL, *LOOSE, "--database-url", db_url, "--data-dir", str(data)
    )
    assert code == 0, output
    return db_url, data


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def evaluate(url: str, data: Path, *args: str) -> tuple[int, str]:
    return invoke("evaluate", *LOOSE, *args, "--database-url", url, "--data-dir", str(data))


def test_evaluate_writes_json_and_rule_evaluations(loaded: tuple[str, Path]) -> None:
    url, data = loaded
    code, output = evaluate(url, data, "--test-days", "30", "--max-cases", "3000")

    assert code == 0, output
    report = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))
    assert report["split"]["test_days"] == 30
    assert report["split"]["test_until"] == "2024-04-29"  # the last of the 120 days from 2024-01-01
    assert report["split"]["test_since"] == "2024-03-31"
    assert report["cases"] == 3000
    assert set(report["methods"]) == METHODS
    for figures in report["methods"].values():
        assert set(figures) >= METRICS
        for figure in figures.values():
            assert set(figure) == {"value", "ci_low", "ci_high"}
    assert (
        report["methods"]["random"]["hr@10"]["value"]
        < report["methods"]["popularity"]["hr@10"]["value"]
    )
    assert report["summary"].split(":")[0] in output
    (run_id,) = query(url, "SELECT max(run_id) FROM etl_runs WHERE command = 'evaluate'")[0]
    rows = query(
        url,
        "SELECT method, metric, k, value, ci_low, ci_high, cases, split FROM rule_evaluations "
        f"WHERE run_id = {run_id}",
    )
    assert len(rows) == len(METHODS) * 8
    hr10 = {row[0]: row[3:6] for row in rows if row[1] == "hr" and row[2] == 10}
    rules = report["methods"]["rules"]["hr@10"]
    assert hr10["rules"] == pytest.approx((rules["value"], rules["ci_low"], rules["ci_high"]))
    assert {row[6] for row in rows} == {3000}
    assert rows[0][7] == "train 2024-01-01..2024-03-30, test 2024-03-31..2024-04-29"


def test_evaluate_by_segment_adds_the_segment_rules(loaded: tuple[str, Path]) -> None:
    url, data = loaded
    code, output = evaluate(url, data, "--by", "segment", "--max-cases", "2000")
    assert code == 0, output
    report = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))
    assert set(report["methods"]) == METHODS | {"rules by segment"}
    assert report["cases"] == 2000


def test_run_all_evaluate(db_url: str, raw: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(raw, data / "raw")
    code, output = invoke(
        "run-all", *SMALL, *LOOSE, "--evaluate", "--database-url", db_url, "--data-dir", str(data)
    )
    assert code == 0, output
    assert "evaluate" in output
    assert (data / "evaluation.json").is_file()
    steps = query(url=db_url, sql="SELECT count(*) FROM rule_evaluations")
    assert steps[0][0] == len(METHODS) * 8


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["--test-days", "500"], 2, "too short for --test-days 500"),
        (["--cutoff", "2023-06-01"], 2, "--cutoff 2023-06-01 leaves no training days"),
        (["--cutoff", "2024-01-10", "--test-days", "5"], 2, "give one of them"),
        (["--max-cases", "10"], 1, "test baskets have 2 or more items"),
    ],
)
def test_bad_splits_are_one_line(
    loaded: tuple[str, Path], args: list[str], exit_code: int, message: str
) -> None:
    url, data = loaded
    before = query(url, "SELECT count(*) FROM bundle_rules")
    code, output = evaluate(url, data, *args)
    assert code == exit_code, output
    assert message in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1
    assert query(url, "SELECT count(*) FROM rule_evaluations") == [(0,)]
    assert query(url, "SELECT count(*) FROM bundle_rules") == before


def test_no_leakage_changing_test_baskets_keeps_the_rules(loaded: tuple[str, Path]) -> None:
    url, _ = loaded
    thresholds = RuleThresholds(min_support=0.005, max_p=0.05)
    options = EvaluationOptions(max_cases=2000)
    engine = make_engine(url)
    try:
        before, split = evaluate_database(engine, thresholds, test_days=30, options=options)
        with engine.begin() as conn:  # every test-window sale now sells another product
            conn.execute(
                text(
                    "UPDATE sales SET product_id = product_id % 120 + 1 WHERE transaction_id IN "
                    "(SELECT transaction_id FROM transactions WHERE date >= :cutoff)"
                ),
                {"cutoff": split.cutoff},
            )
        after, _ = evaluate_database(engine, thresholds, test_days=30, options=options)
    finally:
        engine.dispose()
    assert split.cutoff == dt.date(2024, 3, 31)
    assert before.training_rules is not None
    assert after.training_rules is not None
    assert len(before.training_rules) > 0
    assert_frame_equal(before.training_rules, after.training_rules)
    assert before.methods["rules"]["hr@10"] != after.methods["rules"]["hr@10"]
