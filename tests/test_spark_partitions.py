"""How many FPGrowth groups and input partitions Spark mining uses (no Spark needed)."""

from __future__ import annotations

import pytest

from clustr_etl.spark.mining import BASKETS_PER_TREE, MIN_TREES, fpgrowth_partitions


@pytest.mark.parametrize("n_baskets", [1, 9_835, 200_000, 1_000_000, 10_000_000, 123_456_789])
def test_no_group_or_task_holds_more_than_its_share_of_baskets(n_baskets: int) -> None:
    parts = fpgrowth_partitions(n_baskets, 1)
    assert n_baskets / parts <= BASKETS_PER_TREE
    assert parts <= max(MIN_TREES, -(-n_baskets // BASKETS_PER_TREE))


def test_the_count_is_the_same_from_1m_to_10m_baskets_and_grows_beyond() -> None:
    assert fpgrowth_partitions(1_000_000, 2) == fpgrowth_partitions(10_000_000, 2) == MIN_TREES
    assert fpgrowth_partitions(100_000_000, 2) == 400


def test_small_inputs_keep_few_partitions_and_more_input_partitions_are_kept() -> None:
    assert fpgrowth_partitions(9_835, 1) == 1  # Groceries: one task, no shuffle of empty ones
    assert fpgrowth_partitions(200_000, 1) == 8
    assert fpgrowth_partitions(200_000, 16) == 16
