"""--top-k K: exactly the K best rules by lift, confidence or support among the rules passing the
other thresholds, as full mining followed by a sort on (measure, lift, confidence, support,
antecedents, consequents) and its head; on Groceries, random baskets and shapes full of ties."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl.cli.app import app
from clustr_etl.errors import ConfigError, MiningBudgetError
from clustr_etl.mining import Baskets, RuleThresholds, mine_rules_with_report, read_basket_file
from clustr_etl.mining.quality import apply_quality_filters
from clustr_etl.mining.topk import ranking_columns
from shared_data import shared_file

runner = CliRunner()
MEASURES = ["lift", "confidence", "support"]
WHOLESALE = [f"W{i}" for i in range(12)]


def head_of_all_rules(baskets: Baskets, thresholds: RuleThresholds) -> pd.DataFrame:
    """The oracle: every rule (no budget, no test), the per-rule test of --top-k, sorted, head K."""
    everything = dataclasses.replace(
        thresholds, top_k=0, max_p=1.0, prune_redundant=False, max_rules=0
    )
    rules = mine_rules_with_report(baskets, everything).rules
    if thresholds.tests_significance:
        rules = rules[rules["p_value"] < float(thresholds.max_p) / thresholds.top_k]
    columns, ascending = ranking_columns(thresholds.top_k_by)
    head = rules.sort_values(columns, ascending=ascending, kind="stable").head(thresholds.top_k)
    head = head.reset_index(drop=True)
    if thresholds.prune_redundant:
        head, _ = apply_quality_filters(head, dataclasses.replace(thresholds, max_p=1.0))
    return head


def assert_top_k_exact(baskets: Baskets, thresholds: RuleThresholds) -> pd.DataFrame:
    top = mine_rules_with_report(baskets, thresholds).rules
    expected = head_of_all_rules(baskets, thresholds)
    pd.testing.assert_frame_equal(top, expected, check_exact=True)
    return top


def random_baskets(tmp_path: Path, seed: int, *, copies: int = 0) -> Baskets:
    """Skewed item popularity, a few planted bundles, and optionally identical wholesale baskets."""
    rng = random.Random(seed)
    weights = [1.0 / (i + 1) for i in range(80)]
    lines = []
    for _ in range(1_500):
        basket = set(rng.choices(range(80), weights=weights, k=rng.randint(1, 7)))
        if rng.random() < 0.15:
            basket |= {90, 91, 92}
        if rng.random() < 0.08:
            basket |= {95, 96}
        lines.append(",".join(f"i{item}" for item in sorted(basket)))
    lines += [",".join(WHOLESALE)] * copies
    path = tmp_path / f"random-{seed}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_basket_file(path)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("k", [1, 37, 400, 100_000])
def test_groceries_top_k_is_the_head_of_all_rules(measure: str, k: int) -> None:
    baskets = read_basket_file(shared_file("groceries.csv"))
    thresholds = RuleThresholds(top_k=k, top_k_by=measure, min_count=10, min_len=1)
    top = assert_top_k_exact(baskets, thresholds)
    if k <= 400:
        assert len(top) == k
    else:  # fewer rules than K pass (each needs p < 0.001 / K)
        assert 0 < len(top) < k


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"max_p": 1.0, "min_lift": 0.0, "min_len": 1},
        {"max_consequent_len": 2, "max_p": 1.0},
        {"min_confidence": 0.5, "min_count": 5, "max_len": 3},
        {"prune_redundant": True, "min_count": 3},
        {"consequent": "i92", "max_p": 1.0, "min_count": 3},
        {"item": "i1", "min_count": 3},
    ],
    ids=[
        "defaults",
        "no-test",
        "two-item-consequents",
        "confident",
        "redundant",
        "consequent",
        "item",
    ],
)
def test_random_baskets_top_k_is_the_head_of_all_rules(
    tmp_path: Path, measure: str, seed: int, options: dict[str, object]
) -> None:
    baskets = random_baskets(tmp_path, seed)
    for k in (1, 5, 60, 5_000):
        thresholds = RuleThresholds(
            **{"min_support": 0.0001, "top_k": k, "top_k_by": measure, **options}  # type: ignore[arg-type]
        )
        assert_top_k_exact(baskets, thresholds)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("k", [3, 100, 2_000])
def test_ties_at_the_k_boundary_follow_the_rule_order(tmp_path: Path, measure: str, k: int) -> None:
    """15 identical baskets of 12 items: thousands of rules share lift, confidence and support,
    so the text of the antecedents and consequents decides which ones make the K."""
    baskets = random_baskets(tmp_path, 7, copies=15)
    thresholds = RuleThresholds(
        min_support=0.0001, top_k=k, top_k_by=measure, max_p=1.0, max_rules=0
    )
    top = assert_top_k_exact(baskets, thresholds)
    assert len(top) == k
    boundary = top.iloc[-1]
    assert (top[measure] == boundary[measure]).sum() > 1  # the cut falls inside a tie


def test_support_raises_the_count_floor_and_says_so(tmp_path: Path) -> None:
    baskets = random_baskets(tmp_path, 1)
    mined = mine_rules_with_report(baskets, RuleThresholds(top_k=5, top_k_by="support", max_p=1.0))
    assert len(mined.rules) == 5
    assert mined.count_threshold == int(mined.rules["rule_count"].min())
    assert any(
        note.startswith("top 5 rules by support; internal count floor raised from 10 to ")
        for note in mined.notes
    ), mined.notes


def test_the_budget_still_guards_a_top_k_search(tmp_path: Path) -> None:
    baskets = random_baskets(tmp_path, 1, copies=15)
    thresholds = RuleThresholds(min_support=0.001, top_k=10, max_p=1.0, max_rules=5_000)
    with pytest.raises(MiningBudgetError, match="15 baskets share the same 12 items"):
        mine_rules_with_report(baskets, thresholds)
    # By support, the 10 best rules are above 15 baskets: the floor rises past the standing
    # order before its combinations are counted; 5,000 rules need it, and the budget stops that.
    supported = dataclasses.replace(thresholds, top_k_by="support")
    mined = mine_rules_with_report(baskets, supported)
    assert len(mined.rules) == 10
    assert mined.count_threshold > 15
    with pytest.raises(MiningBudgetError, match="15 baskets share the same 12 items"):
        mine_rules_with_report(baskets, dataclasses.replace(supported, top_k=5_000))


def test_top_k_refuses_the_reference_engine(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--top-k is not available with --engine mlxtend"):
        mine_rules_with_report(random_baskets(tmp_path, 1), RuleThresholds(top_k=5), "mlxtend")


def mine_cli(db_url: str, data_dir: Path, path: Path, *options: str) -> tuple[int, str]:
    args = ["mine-rules", "--input", str(path), "--format", "basket"]
    args += ["--database-url", db_url, "--data-dir", str(data_dir), *options]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def write_basket_file(tmp_path: Path) -> Path:
    baskets = random_baskets(tmp_path, 4)
    path = tmp_path / "baskets.csv"
    path.write_text("\n".join(",".join(b) for b in baskets.as_lists()) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("measure", MEASURES)
def test_cli_writes_and_loads_the_top_k_rules(
    engine: Engine, db_url: str, tmp_path: Path, measure: str
) -> None:
    data_dir = tmp_path / "data"
    path = write_basket_file(tmp_path)
    code, output = mine_cli(
        db_url, data_dir, path, "--top-k", "12", "--top-k-by", measure, "--min-count", "5"
    )
    assert code == 0, output
    written = pd.read_csv(data_dir / "baseline_rules.csv")
    assert len(written) == 12
    expected = head_of_all_rules(
        read_basket_file(path),
        RuleThresholds(top_k=12, top_k_by=measure, min_count=5),
    )
    assert written["antecedents"].astype(str).tolist() == expected["antecedents"].tolist()
    assert written["consequents"].astype(str).tolist() == expected["consequents"].tolist()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bundle_rules")).scalar_one() == 12
        steps = conn.execute(text("SELECT steps FROM etl_runs ORDER BY run_id DESC")).scalar_one()
    detail = json.loads(str(steps))[0]["detail"]
    assert f"top 12 rules by {measure}" in detail


def test_cli_reads_top_k_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_basket_file(tmp_path)
    monkeypatch.setenv("CLUSTR_TOP_K", "7")
    monkeypatch.setenv("CLUSTR_TOP_K_BY", "confidence")
    output = tmp_path / "rules.csv"
    result = runner.invoke(
        app,
        [
            "mine-rules",
            "--input",
            str(path),
            "--format",
            "basket",
            "--no-load",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(output)) == 7
    assert "top 7 rules by confidence" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--top-k", "-1"], ["--top-k"]),
        (["--top-k", "lots"], ["--top-k"]),
        (["--top-k-by", "leverage"], ["--top-k-by"]),
        (["--top-k", "5", "--engine", "spark"], ["--top-k", "--engine spark"]),
        (["--top-k", "5", "--engine", "mlxtend"], ["--top-k", "--engine mlxtend"]),
    ],
)
def test_bad_top_k_options_are_one_line(
    tmp_path: Path, options: list[str], words: list[str]
) -> None:
    path = write_basket_file(tmp_path)
    args = ["mine-rules", "--input", str(path), "--format", "basket", "--no-load", *options]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    one_error_line(result.output, *words)
    assert not (tmp_path / "data" / "baseline_rules.csv").exists()


@pytest.mark.parametrize("command", ["mine-rules", "run-all"])
def test_top_k_is_an_option_of_the_mining_commands(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    words = " ".join(result.output.split())
    assert "--top-k " in words
    assert "CLUSTR_TOP_K;" in words
    assert "--top-k-by" in words
    assert "what --top-k ranks by: lift, confidence or support" in words
