"""Planted bundles read as real (families and curated complements, realistic lifts) and are
recovered by clustr_etl.mining with the project's default thresholds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from clustr_etl.config.settings import load_settings
from clustr_etl.dataset.layout import PLANTED_FILE
from clustr_etl.dataset.statistics import (
    bundle_recovery,
    read_planted,
    rule_itemsets,
    weakest_pair_lifts,
)
from clustr_etl.mining import RuleThresholds, baskets_from_pairs, mine_rules, read_sales_csv
from clustr_etl.run.mine import rule_thresholds
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.simulate.bundles import STRENGTH_RANGE, TRIPLE_STRENGTH_RANGE
from clustr_etl.simulate.themes import COMPLEMENTS, DEPARTMENTS


def _default_thresholds() -> RuleThresholds:
    return rule_thresholds(load_settings())


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("bundles")
    generate_dataset(replace(GenerateOptions(), seed=1), raw_dir)
    return raw_dir


def _planted(raw_dir: Path) -> pd.DataFrame:
    return pd.read_csv(raw_dir / PLANTED_FILE, dtype={"product_ids": str}, keep_default_na=False)


def _members(raw_dir: Path) -> list[pd.DataFrame]:
    products = pd.read_csv(raw_dir / "products.csv", keep_default_na=False).set_index("product_id")
    return [
        products.loc[[int(item) for item in ids.split("|")]]
        for ids in _planted(raw_dir)["product_ids"]
    ]


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
    top = rules.sort_values("lift", ascending=False, kind="stable").head(20)
    assert 3.0 <= top["lift"].median() <= 25.0  # real data's range, not 40-60


def test_every_bundle_is_a_family_or_a_curated_complement(default_run: Path) -> None:
    planted = _planted(default_run)
    assert set(planted["kind"]) == {"family", "complement", "seasonal"}
    curated = {theme.theme: theme.subcategories for theme in COMPLEMENTS}
    for row, members in zip(planted.itertuples(), _members(default_run), strict=True):
        departments = {DEPARTMENTS[category] for category in members["category"]}
        assert len(departments) == 1, (row.theme, members["category"].tolist())
        if row.kind == "family":
            (subcategory,) = set(members["subcategory"])  # one product line: same noun
            assert row.theme.endswith(f" {subcategory}")
            brand = row.theme.removesuffix(f" {subcategory}")
            assert all(name.startswith(f"{brand} ") for name in members["name"]), row.theme
            assert all(f" {subcategory} " in name for name in members["name"]), row.theme
            assert members["name"].is_unique  # different variants (adjective or size)
        else:
            assert set(members["subcategory"]) <= set(curated[row.theme]), row.theme
            assert len(set(members["subcategory"])) == len(members)


def test_seasonal_bundles_happen_in_their_season(default_run: Path) -> None:
    planted = _planted(default_run)
    seasonal = planted[planted["kind"] == "seasonal"]
    assert {"barbecue", "holiday baking"} <= set(seasonal["theme"])
    sales = pd.read_csv(default_run / "sales.csv", usecols=["transaction_id", "product_id"])
    month = pd.to_datetime(pd.read_csv(default_run / "transactions.csv")["date"]).dt.month
    season = {"barbecue": {6, 7, 8}, "holiday baking": {11, 12}}
    for theme, months in season.items():
        ids = seasonal.loc[seasonal["theme"] == theme, "product_ids"].iloc[0]
        items = {int(item) for item in ids.split("|")}
        lines = sales[sales["product_id"].isin(items)]
        whole = lines.groupby("transaction_id")["product_id"].nunique() == len(items)
        bundle_months = month.iloc[whole[whole].index - 1]
        in_season = bundle_months.isin(months).mean()
        assert in_season >= 0.9, (theme, in_season)  # nearly all whole bundles fall in season
        window = month.index[month.isin(months)] + 1  # transaction ids of the season
        seasonal_sales = sales[sales["transaction_id"].isin(window)]
        rules = mine_rules(
            baskets_from_pairs(seasonal_sales["transaction_id"], seasonal_sales["product_id"]),
            _default_thresholds(),
        )
        found = {frozenset(itemset) for itemset in rule_itemsets(rules)}
        assert frozenset(str(item) for item in items) in found, theme  # mining the window finds it


def test_planted_strength_is_the_measured_weakest_pair_lift(default_run: Path) -> None:
    truth = _planted(default_run)
    ids = truth["product_ids"].str.split("|")
    assert all(parts == sorted(parts, key=int) for parts in ids)  # ascending ids
    pairs = truth[ids.str.len() == 2]["strength"]
    triples = truth[ids.str.len() == 3]["strength"]
    assert pairs.between(*STRENGTH_RANGE).all()  # like strong real pairs
    assert triples.between(*TRIPLE_STRENGTH_RANGE).all()
    measured = weakest_pair_lifts(
        pd.read_csv(default_run / "sales.csv"), read_planted(default_run / PLANTED_FILE)
    )
    ratio = pd.Series(measured) / truth["strength"]
    assert ratio.between(0.75, 1.3).all(), ratio.round(2).tolist()
