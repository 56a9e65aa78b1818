"""Planted bundles are recovered by clustr_etl.mining with the project's default thresholds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from clustr_etl.mining import RuleThresholds, mine_rules, read_sales_csv
from clustr_etl.pipeline import rule_thresholds
from clustr_etl.settings import load_settings
from clustr_etl.simulate import PLANTED_FILE, GenerateOptions, generate_dataset
from clustr_etl.simulate.realism import bundle_recovery, read_planted, weakest_pair_lifts


def _default_thresholds() -> RuleThresholds:
    return rule_thresholds(load_settings())


@pytest.mark.parametrize("seed", [1, 2])
def test_default_mining_recovers_planted_bundles(tmp_path: Path, seed: int) -> None:
    generate_dataset(replace(GenerateOptions(), seed=seed), tmp_path)
    planted = read_planted(tmp_path / PLANTED_FILE)
    assert len(planted) == 20
    assert {len(bundle) for bundle in planted} == {2, 3}
    rules = mine_rules(read_sales_csv(tmp_path / "sales.csv"), _default_thresholds())
    recall, precision = bundle_recovery(rules, planted)
    assert recall >= 0.90, f"found {recall:.0%} of planted bundles with {_default_thresholds()}"
    assert precision >= 0.80, f"top-20 precision {precision:.0%} with {_default_thresholds()}"


def test_planted_strength_is_the_measured_weakest_pair_lift(tmp_path: Path) -> None:
    generate_dataset(replace(GenerateOptions(), seed=3), tmp_path)
    truth = pd.read_csv(tmp_path / PLANTED_FILE, dtype={"product_ids": str})
    ids = truth["product_ids"].str.split("|")
    assert all(parts == sorted(parts, key=int) for parts in ids)  # ascending ids
    assert truth["strength"].between(2.0, 5.0).all()  # like strong real pairs
    measured = weakest_pair_lifts(
        pd.read_csv(tmp_path / "sales.csv"), read_planted(tmp_path / PLANTED_FILE)
    )
    ratio = pd.Series(measured) / truth["strength"]
    assert ratio.between(0.75, 1.3).all(), ratio.round(2).tolist()
