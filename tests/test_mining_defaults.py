"""The default thresholds give few, reliable rules on small data (issue 12's size table, small end).

The large end (100k and 1M transactions, recall >= 90%) is measured by bench/bench_bundles.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clustr_etl.config.settings import load_settings
from clustr_etl.dataset.layout import PLANTED_FILE
from clustr_etl.dataset.statistics import read_planted
from clustr_etl.mining import mine_rules_with_report, read_sales_csv
from clustr_etl.mining.planted import planted_precision
from clustr_etl.run.mine import rule_thresholds
from clustr_etl.simulate import GenerateOptions, generate_dataset


@pytest.mark.parametrize(("transactions", "seed"), [(2_000, 1), (2_000, 3), (20_000, 1)])
def test_top_rules_by_lift_are_planted_with_the_defaults(
    tmp_path: Path, transactions: int, seed: int
) -> None:
    generate_dataset(replace(GenerateOptions(), seed=seed, transactions=transactions), tmp_path)
    thresholds = rule_thresholds(load_settings())
    mined = mine_rules_with_report(read_sales_csv(tmp_path / "sales.csv"), thresholds)
    precision = planted_precision(mined.rules, read_planted(tmp_path / PLANTED_FILE))
    assert len(mined.rules) < 1000  # not thousands of coincidences
    assert precision is None or precision >= 0.9, (len(mined.rules), precision)
    assert mined.quality.not_significant > 0  # the test did the work, not luck
