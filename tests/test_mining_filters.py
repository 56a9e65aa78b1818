"""--max-basket-size leaves large baskets out (and counts them); --consequent and --item keep the
rules with that consequent / containing that item; an item in no basket is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl.cli.app import app
from clustr_etl.mining import RuleThresholds, mine_rules_with_report, read_basket_file
from clustr_etl.mining.filters import without_large_baskets
from test_mining_budget import write_baskets

runner = CliRunner()
LOOSE = {"min_support": 0.001, "min_count": 10, "max_p": 1.0, "max_rules": 0}


def test_large_baskets_are_left_out_and_counted(tmp_path: Path) -> None:
    baskets = read_basket_file(write_baskets(tmp_path / "b.csv"))
    kept, left_out = without_large_baskets(baskets, 11)
    assert left_out == 15  # the 12-item standing orders
    assert kept.n_transactions == baskets.n_transactions - 15
    assert kept.as_lists() == [b for b in baskets.as_lists() if len(b) <= 11]
    mined = mine_rules_with_report(baskets, RuleThresholds(**LOOSE, max_basket_size=11))
    assert mined.notes == ["15 baskets of more than 11 items left out (--max-basket-size)"]
    assert not mined.rules["antecedents"].str.contains("W").any()
    assert int(mined.rules["n_transactions"].iloc[0]) == kept.n_transactions


@pytest.mark.parametrize("engine", ["fast", "mlxtend"])
def test_consequent_and_item_keep_only_those_rules(tmp_path: Path, engine: str) -> None:
    baskets = read_basket_file(write_baskets(tmp_path / "b.csv"))
    everything = mine_rules_with_report(baskets, RuleThresholds(**LOOSE), engine).rules  # type: ignore[arg-type]
    to_w3 = mine_rules_with_report(baskets, RuleThresholds(**LOOSE, consequent="W3"), engine).rules  # type: ignore[arg-type]
    assert len(to_w3) == (everything["consequents"] == "W3").sum() > 0
    assert set(to_w3["consequents"]) == {"W3"}
    with_w3 = mine_rules_with_report(baskets, RuleThresholds(**LOOSE, item="W3"), engine).rules  # type: ignore[arg-type]
    sides = with_w3["antecedents"] + "|" + with_w3["consequents"]
    assert sides.str.split("|").map(lambda keys: "W3" in keys).all()
    expected = (everything["antecedents"] + "|" + everything["consequents"]).str.split("|")
    assert len(with_w3) == expected.map(lambda keys: "W3" in keys).sum()
    assert not with_w3["antecedents"].str.contains("W30").any()  # whole keys, not substrings


def test_an_item_in_no_basket_is_one_line(tmp_path: Path) -> None:
    path = write_baskets(tmp_path / "b.csv")
    for flag in ("--consequent", "--item"):
        result = runner.invoke(
            app,
            ["mine-rules", "--input", str(path), "--format", "basket", "--no-load", flag, "W99"],
        )
        assert result.exit_code == 2
        one_error_line(result.output, flag, "W99", "in no basket")


def test_cli_max_basket_size_says_how_many_were_left_out(tmp_path: Path) -> None:
    path = write_baskets(tmp_path / "b.csv")
    args = ["--input", str(path), "--format", "basket", "--no-load", "--min-support", "0.001"]
    args += ["--max-basket-size", "11", "--output", str(tmp_path / "r.csv")]
    result = runner.invoke(app, ["mine-rules", *args])
    assert result.exit_code == 0, result.output
    assert "15 baskets of more than 11 items left out" in " ".join(result.output.split())
