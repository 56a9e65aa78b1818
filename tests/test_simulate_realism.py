"""The generated data has the shapes of real retail data (ranges from the issue, calibrated on
Groceries and UCI Online Retail). A change that breaks realism fails here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from clustr_etl.dataset.statistics import dataset_stats, read_dataset
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.simulate.catalog import build_catalog
from clustr_etl.simulate.vocabulary import CATEGORIES
from shared_data import shared_file


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    raw_dir = tmp_path_factory.mktemp("realism")
    generate_dataset(GenerateOptions(), raw_dir)  # the defaults: 100k transactions
    return read_dataset(raw_dir)


@pytest.fixture(scope="module")
def stats(dataset: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return dataset_stats(dataset)


def test_basket_sizes_are_overdispersed_with_many_single_line_baskets(
    stats: dict[str, Any],
) -> None:
    assert stats["basket_dispersion"] >= 2.0  # Poisson would give 1
    assert 0.10 <= stats["basket_single_share"] <= 0.30
    assert stats["basket_mean"] == pytest.approx(4.5, rel=0.05)
    assert stats["basket_max"] <= 30


def test_mean_items_and_max_items_options_are_honoured(tmp_path: Path) -> None:
    options = GenerateOptions(transactions=20_000, mean_items=7.0, max_items=12, products=300)
    generate_dataset(options, tmp_path)
    size = pd.read_csv(tmp_path / "sales.csv").groupby("transaction_id").size()
    assert size.max() == 12
    assert size.mean() == pytest.approx(7.0, rel=0.06)
    assert size.var() / size.mean() > 1.0  # still not a constant basket


def test_product_popularity_is_long_tailed(stats: dict[str, Any]) -> None:
    assert 0.08 <= stats["top1_product_share"] <= 0.35
    assert 0.55 <= stats["top20_product_share"] <= 0.85


def test_catalog_has_categories_unique_realistic_names_and_long_tailed_prices(
    dataset: dict[str, pd.DataFrame], stats: dict[str, Any]
) -> None:
    products = dataset["products"]
    assert stats["categories"] >= 8
    assert products["name"].is_unique
    assert not products["name"].str.contains(r"Product \d|[,\"\n]", regex=True).any()
    assert stats["price_p99_over_median"] >= 5.0
    median_by_category = products.groupby("category")["unit_price"].median()
    assert median_by_category.max() / median_by_category.min() >= 5  # electronics vs produce


def test_names_stay_unique_for_tens_of_thousands_of_products() -> None:
    capacity = sum(spec.capacity for spec in CATEGORIES)
    catalog = build_catalog(capacity + 5_000, np.random.default_rng(3))  # past every combination
    assert len(set(catalog.names)) == catalog.n_products
    assert (catalog.price_cents > 0).all()


def test_customers_are_heterogeneous(
    dataset: dict[str, pd.DataFrame], stats: dict[str, Any]
) -> None:
    customers = dataset["customers"]
    assert 0.50 <= stats["top20_customer_revenue_share"] <= 0.80
    assert stats["segment_visits_ratio"] >= 3.0  # loyal vs occasional visits per customer
    assert stats["segment_basket_ratio"] >= 1.2  # and basket sizes differ by segment
    assert customers["email"].is_unique
    assert customers["city"].nunique() >= 20
    assert customers["first_name"].nunique() >= 50


def test_calendar_shows_seasonality_and_a_weekday_profile(stats: dict[str, Any]) -> None:
    assert stats["holiday_season_ratio"] >= 1.3
    assert stats["weekday_ratio"] >= 1.2


def test_lines_are_mostly_single_units_with_some_discounts(stats: dict[str, Any]) -> None:
    assert stats["quantity_one_share"] >= 0.60
    assert 0.03 <= stats["discounted_share"] <= 0.30


def test_real_groceries_baskets_meet_the_same_targets() -> None:
    """The calibration anchor: real baskets pass the basket and popularity checks used above."""
    path = shared_file("groceries.csv")
    baskets = [set(line.rstrip("\n").split(",")) for line in path.open(encoding="utf-8")]
    size = np.array([len(basket) for basket in baskets])
    assert size.var() / size.mean() >= 2.0
    assert 0.10 <= (size == 1).mean() <= 0.30
    counts = pd.Series([item for basket in baskets for item in basket]).value_counts().to_numpy()
    top20 = counts[: len(counts) // 5].sum() / counts.sum()
    assert 0.55 <= top20 <= 0.85
