"""The rule budget (--max-rules) on every engine: an explosive input stops with one line and exit 3,
nothing written or loaded; without --min-support the default support is raised until the rules fit.

Every case is small enough to be harmless even if the guard failed (tens of thousands of candidate
rules at most); the budgets are small instead, so the guard fires. The process-level cases also run
under an address-space cap.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl.cli.app import app
from clustr_etl.errors import MiningBudgetError
from clustr_etl.mining import Baskets, RuleThresholds, mine_rules_with_report, read_basket_file
from clustr_etl.mining import budget as budget_module
from clustr_etl.mining.budget import mine_within_budget, raised_support, rules_per_itemset
from shared_data import shared_file

runner = CliRunner()
CLI = [sys.executable, "-m", "clustr_etl"]
WHOLESALE = [f"W{i}" for i in range(12)]  # one standing order: 12 items, every subset frequent
SMALL_BUDGET = "5000"  # the 15 x 12 standing order alone gives 24,420 candidate rules


def write_baskets(path: Path, *, copies: int = 15, ordinary: int = 2_000, seed: int = 1) -> Path:
    """``ordinary`` baskets with a few strong pairs, plus ``copies`` identical wholesale baskets."""
    rng = random.Random(seed)
    lines = []
    for _ in range(ordinary):
        basket = set(rng.sample(range(1, 200), rng.randint(1, 5)))
        if rng.random() < 0.3:
            basket |= {500, 501}
        lines.append(",".join(str(item) for item in sorted(basket)))
    lines += [",".join(WHOLESALE)] * copies
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def baskets_of(tmp_path: Path, **kwargs: int) -> Baskets:
    return read_basket_file(write_baskets(tmp_path / "baskets.csv", **kwargs))


def explicit(**kwargs: object) -> RuleThresholds:
    settings: dict[str, object] = {"min_support": 0.001, "min_count": 10, "max_p": 1.0}
    return RuleThresholds(**{**settings, "max_rules": 5_000, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ["fast", "mlxtend"])
def test_an_explicit_support_over_the_budget_stops_with_why_and_what_to_do(
    tmp_path: Path, engine: str
) -> None:
    with pytest.raises(MiningBudgetError) as caught:
        mine_rules_with_report(baskets_of(tmp_path), explicit(), engine)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "15 baskets share the same 12 items" in message
    assert "24,420 candidate rules" in message  # sum over k of k * C(12, k), k = 2..10
    assert "--max-rules 0" in message
    assert "--min-count" in message
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("engine", ["fast", "mlxtend"])
def test_no_limit_gives_every_rule(tmp_path: Path, engine: str) -> None:
    baskets = baskets_of(tmp_path, ordinary=200)
    mined = mine_rules_with_report(baskets, explicit(max_rules=0, min_lift=0.0), engine)  # type: ignore[arg-type]
    wholesale = mined.rules["consequents"].str.startswith("W")
    assert wholesale.sum() == sum(
        k * budget_module.math.comb(12, k) for k in range(2, 11)
    )  # every split of every subset of the standing order


@pytest.mark.parametrize("engine", ["fast", "mlxtend"])
def test_the_default_support_is_raised_until_the_rules_fit(tmp_path: Path, engine: str) -> None:
    baskets = baskets_of(tmp_path)
    thresholds = RuleThresholds(min_count=10, max_p=1.0, max_rules=5_000)
    mined = mine_rules_with_report(baskets, thresholds, engine)  # type: ignore[arg-type]
    assert mined.thresholds is not None
    raised = mined.thresholds.support
    assert raised > 0.001
    assert mined.count_threshold > 15  # the standing order is no longer frequent
    assert mined.notes == [
        f"support raised from 0.001 to {raised:g} so the rules fit the budget of 5,000 "
        "(--max-rules); set --min-support to choose"
    ]
    assert len(mined.rules) > 0  # a useful answer: the strong pair is there
    assert set(mined.rules["consequents"]) >= {"500", "501"}
    fast = mine_rules_with_report(baskets, thresholds)
    assert len(fast.rules) == len(mined.rules)


def test_a_level_too_large_to_count_is_refused_before_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget_module, "MAX_CANDIDATES_PER_LEVEL", 1_000)
    baskets = baskets_of(tmp_path, copies=0, ordinary=3_000)
    with pytest.raises(MiningBudgetError, match="too many to count"):
        mine_within_budget(baskets, explicit(min_count=2, max_rules=500))
    fitted = mine_within_budget(baskets, RuleThresholds(min_count=2, max_rules=500))
    assert fitted.note is not None
    assert fitted.thresholds.support > 0.001


def test_one_huge_basket_at_min_count_1_is_stopped_at_the_pairs(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text(",".join(f"i{i}" for i in range(2_000)) + "\n", encoding="utf-8")
    with pytest.raises(MiningBudgetError, match="1 basket has 2,000 items"):
        mine_within_budget(read_basket_file(path), explicit(min_count=1))


def test_rules_per_itemset_counts_the_splits() -> None:
    assert rules_per_itemset(1, RuleThresholds()) == 0  # min_len 2: no {} => {c}
    assert rules_per_itemset(1, RuleThresholds(min_len=1)) == 1
    assert rules_per_itemset(4, RuleThresholds()) == 4
    assert rules_per_itemset(4, RuleThresholds(max_consequent_len=3)) == 14
    assert rules_per_itemset(11, RuleThresholds()) == 0  # longer than max_len


def test_a_raised_support_has_two_digits_and_reaches_the_count() -> None:
    raised = raised_support(RuleThresholds(), 19_773, 116)
    assert raised.min_support == 0.0059
    assert raised.count_threshold(19_773) >= 116


def test_spark_gets_the_same_guard_before_spark_starts(
    tmp_path: Path, pyspark_installed: None
) -> None:
    from clustr_etl.progress import NO_PROGRESS
    from clustr_etl.run.mine import mine_on_spark

    path = write_baskets(tmp_path / "baskets.csv")
    with pytest.raises(MiningBudgetError, match="15 baskets share the same 12 items"):
        mine_on_spark(path, "basket", explicit(), None, NO_PROGRESS)


def mine_cli(db_url: str, data_dir: Path, path: Path, *options: str) -> tuple[int, str]:
    args = ["mine-rules", "--input", str(path), "--format", "basket", "--max-p", "1"]
    args += ["--database-url", db_url, "--data-dir", str(data_dir), *options]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_cli_exit_3_writes_and_loads_nothing(engine: Engine, db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = write_baskets(tmp_path / "baskets.csv")
    code, output = mine_cli(db_url, data_dir, path, "--max-basket-size", "11")
    assert code == 0, output
    rules_csv = (data_dir / "baseline_rules.csv").read_bytes()
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM bundle_rules")).scalar_one()
    assert before > 0
    code, output = mine_cli(
        db_url, data_dir, path, "--min-support", "0.001", "--max-rules", SMALL_BUDGET
    )
    assert code == 3
    one_error_line(output, "15 baskets share the same 12 items", "--max-basket-size 11")
    assert (data_dir / "baseline_rules.csv").read_bytes() == rules_csv
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bundle_rules")).scalar_one() == before


def test_cli_records_the_raised_support_in_the_ledger(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    path = write_baskets(tmp_path / "baskets.csv")
    code, output = mine_cli(db_url, data_dir, path, "--max-rules", SMALL_BUDGET)
    assert code == 0, output
    assert "support raised from 0.001" in output
    with engine.connect() as conn:
        steps = conn.execute(text("SELECT steps FROM etl_runs ORDER BY run_id DESC")).scalar_one()
    detail = json.loads(str(steps))[0]["detail"]
    assert "support raised from 0.001 to" in detail
    assert "set --min-support to choose" in detail


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_a_bad_budget_is_one_line(tmp_path: Path, value: str) -> None:
    path = write_baskets(tmp_path / "baskets.csv", copies=0)
    result = runner.invoke(
        app, ["mine-rules", "--input", str(path), "--no-load", "--max-rules", value]
    )
    assert result.exit_code == 2
    one_error_line(result.output, "--max-rules")


def test_an_explosive_file_stops_quickly_under_a_memory_cap(tmp_path: Path) -> None:
    """60 identical baskets of 60 items at the defaults but an explicit support, as a real process
    limited to 3 GB of address space: one line, exit 3."""
    path = tmp_path / "sixty.csv"
    path.write_text((",".join(f"p{i}" for i in range(60)) + "\n") * 60, encoding="utf-8")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run(
        [
            *CLI,
            "mine-rules",
            "--input",
            str(path),
            "--format",
            "basket",
            "--min-support",
            "0.5",
            "--no-load",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    one_error_line(done.stderr, "60 baskets share the same 60 items")


def test_identical_baskets_only_cannot_be_raised_away(tmp_path: Path) -> None:
    path = tmp_path / "same.csv"
    path.write_text(",".join(f"p{i}" for i in range(16)) + "\n" * 1, encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") * 20, encoding="utf-8")
    with pytest.raises(MiningBudgetError, match="20 baskets share the same 16 items"):
        mine_within_budget(read_basket_file(path), RuleThresholds(max_rules=1_000))


def test_groceries_at_max_len_64_and_min_count_1(tmp_path: Path) -> None:
    """The issue's bad input on real baskets, as a process capped at 3 GB: at the default support the
    rules come out as usual; at a support of one basket the 32-item basket is stopped with one line."""
    groceries = shared_file("groceries.csv")
    base = [*CLI, "-q", "mine-rules", "--input", str(groceries), "--format", "basket"]
    base += ["--max-len", "64", "--min-count", "1", "--no-load"]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            preexec_fn=cap,
            check=False,
        )

    usual = run("--output", str(tmp_path / "rules.csv"))
    assert usual.returncode == 0, usual.stderr
    assert len((tmp_path / "rules.csv").read_text(encoding="utf-8").splitlines()) > 100
    stopped = run("--min-support", "0.0001", "--output", str(tmp_path / "none.csv"))
    assert stopped.returncode == 3, stopped.stderr
    one_error_line(stopped.stderr, "1 basket has 32 items")
    assert not (tmp_path / "none.csv").exists()
