"""Exact thresholds: rules exactly at min support/confidence are kept, lift is strict, bad values fail.

Also checks the fast engine against a brute-force miner (itertools + Fraction) on random baskets,
including the chunked and sparse counting paths.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clustr_etl.dataset.rule_columns import MINED_COLUMNS as RULE_COLUMNS
from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.mining import (
    Baskets,
    MiningEngine,
    RuleThresholds,
    baskets_from_pairs,
    mine_rules,
)
from clustr_etl.mining import itemsets as itemsets_module
from mining_support import arules

ENGINES: list[MiningEngine] = ["fast", "mlxtend"]


def make_baskets(baskets: list[list[str]]) -> Baskets:
    tids = [t for t, basket in enumerate(baskets) for _ in basket]
    keys = [item for basket in baskets for item in basket]
    return baskets_from_pairs(np.asarray(tids), np.asarray(keys, dtype=object))


def brute_force(
    baskets: list[list[str]], thresholds: RuleThresholds
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Every rule A => {c} with exact Fraction comparisons: {(antecedents, consequent): counts}."""
    n = len(baskets)
    counts: Counter[frozenset[str]] = Counter()
    for basket in baskets:
        items = sorted(set(basket))
        for size in range(1, min(len(items), thresholds.max_len) + 1):
            counts.update(frozenset(c) for c in itertools.combinations(items, size))
    counts[frozenset()] = n
    support = Fraction(str(thresholds.support))
    confidence = Fraction(str(thresholds.min_confidence))
    lift = Fraction(str(thresholds.min_lift))
    rules = {}
    for itemset, count in counts.items():
        if not thresholds.min_len <= len(itemset) <= thresholds.max_len or count < support * n:
            continue
        for consequent in itemset:
            antecedent = itemset - {consequent}
            a, c = counts[antecedent], counts[frozenset([consequent])]
            if count >= confidence * a and Fraction(count * n, a * c) > lift:
                rules["|".join(sorted(antecedent)), consequent] = (count, a, c)
    return rules


def as_dict(rules: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (a, c): (int(r), int(ac), int(cc))
        for a, c, r, ac, cc in zip(
            rules["antecedents"],
            rules["consequents"],
            rules["rule_count"],
            rules["antecedent_count"],
            rules["consequent_count"],
            strict=True,
        )
    }


def hundred_baskets() -> list[list[str]]:
    """100 baskets: a in 25, b in 20, both in 7 (support 0.07, confidence a => b exactly 0.28)."""
    return [["a", "b"]] * 7 + [["a"]] * 18 + [["b"]] * 13 + [["c"]] * 62


@pytest.mark.parametrize(
    ("min_support", "n", "expected"),
    [
        (0.001, 9835, 10),
        (0.07, 100, 7),  # 0.07 * 100 == 7.000000000000001 in floats
        (0.1, 30, 3),  # 0.1 * 30 == 3.0000000000000004
        (0.006, 9835, 60),
        (0.0005, 1_000_000, 500),
        (1.0, 5, 5),
        (1e-9, 10, 1),
    ],
)
def test_min_count_is_exact_ceiling_of_the_decimal_threshold(
    min_support: float, n: int, expected: int
) -> None:
    assert arules(min_support=min_support).support_count(n) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_rule_exactly_at_min_support_and_min_confidence_is_kept(engine: MiningEngine) -> None:
    assert math.ceil(0.07 * 100) == 8
    assert 0.28 * 25 > 7
    thresholds = arules(min_support=0.07, min_confidence=0.28, min_lift=0.0)
    rules = mine_rules(make_baskets(hundred_baskets()), thresholds, engine=engine)
    assert as_dict(rules) == {("a", "b"): (7, 25, 20), ("b", "a"): (7, 20, 25)}
    row = rules.set_index(["antecedents", "consequents"]).loc[("a", "b")]
    assert (row["support"], row["confidence"], row["lift"]) == (0.07, 0.28, 1.4)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("min_support", "min_confidence"), [(0.071, 0.28), (0.07, 0.281), (0.08, 0.1)]
)
def test_rule_just_below_a_threshold_is_dropped(
    engine: MiningEngine, min_support: float, min_confidence: float
) -> None:
    thresholds = arules(min_support, min_confidence, min_lift=0.0)
    rules = mine_rules(make_baskets(hundred_baskets()), thresholds, engine=engine)
    assert ("a", "b") not in as_dict(rules)


@pytest.mark.parametrize("engine", ENGINES)
def test_lift_filter_is_strict_and_zero_disables_it(engine: MiningEngine) -> None:
    # x and y independent: n(x)=n(y)=2, n(xy)=1, N=4 -> lift exactly 1.
    baskets = make_baskets([["x", "y"], ["x"], ["y"], ["z"]])

    def mined(min_lift: float) -> set[tuple[str, str]]:
        thresholds = arules(0.25, 0.5, min_lift=min_lift)
        return set(as_dict(mine_rules(baskets, thresholds, engine=engine)))

    assert mined(1.0) == set()
    assert mined(0.0) == {("x", "y"), ("y", "x")}
    assert mined(0.999) == {("x", "y"), ("y", "x")}


def test_conviction_is_infinite_when_confidence_is_one() -> None:
    baskets = make_baskets([["p", "q"], ["p", "q"], ["q"], ["r"]])
    rules = mine_rules(baskets, arules(0.5, 0.5, min_lift=0.0))
    by_rule = rules.set_index(["antecedents", "consequents"])
    assert by_rule.loc[("p", "q"), "confidence"] == 1.0
    assert by_rule.loc[("p", "q"), "conviction"] == math.inf
    # q => p: confidence 2/3, conviction = (1 - 2/4) / (1 - 2/3) = 1.5
    assert by_rule.loc[("q", "p"), "conviction"] == pytest.approx(1.5, rel=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
def test_min_len_one_adds_empty_antecedent_rules_and_max_len_bounds_size(
    engine: MiningEngine,
) -> None:
    data = [["a", "b", "c"]] * 6 + [["a", "b"]] * 2 + [["c"]] * 2
    baskets = make_baskets(data)
    rules = mine_rules(baskets, arules(0.5, 0.5, 0.0, min_len=1, max_len=2), engine=engine)
    found = as_dict(rules)
    assert found[("", "a")] == (8, 10, 8)
    assert max(len(a.split("|")) + 1 for a, _ in found if a) == 2
    assert found == brute_force(data, arules(0.5, 0.5, 0.0, min_len=1, max_len=2))
    three_only = mine_rules(baskets, arules(0.5, 0.5, 0.0, min_len=3), engine=engine)
    assert set(three_only["antecedents"].str.count(r"\|")) == {1}


def test_numeric_keys_sort_numerically_and_rules_are_ordered() -> None:
    data = [["10", "9", "100"]] * 5 + [["9", "10"]] * 3 + [["100"]] * 2
    rules = mine_rules(make_baskets(data), arules(0.3, 0.1, 0.0))
    assert tuple(rules.columns) == RULE_COLUMNS
    assert "9|10" in set(rules["antecedents"])
    expected = rules.sort_values(
        ["lift", "confidence", "support", "antecedents", "consequents"],
        ascending=[False, False, False, True, True],
    )
    assert rules.index.tolist() == list(range(len(rules)))
    pd.testing.assert_frame_equal(rules, expected.reset_index(drop=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_support": 0.0},
        {"min_support": -0.1},
        {"min_support": 1.5},
        {"min_support": math.nan},
        {"min_support": True},
        {"min_confidence": 0.0},
        {"min_confidence": 1.01},
        {"min_lift": -1.0},
        {"min_lift": math.inf},
        {"min_len": 0},
        {"min_len": 3, "max_len": 2},
        {"max_len": 2.5},
        {"max_len": 1000},
    ],
)
def test_invalid_thresholds_raise_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as excinfo:
        arules(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(excinfo.value)


def test_empty_baskets_and_unknown_engine_raise() -> None:
    empty = Baskets(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), [])
    with pytest.raises(InputFileError):
        mine_rules(empty, arules())
    with pytest.raises(ConfigError, match="engine"):
        mine_rules(make_baskets([["a"]]), arules(), engine="spark")  # type: ignore[arg-type]


basket_lists = st.lists(
    st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6), min_size=1, max_size=40
)
threshold_values = st.tuples(
    st.sampled_from([0.05, 0.1, 0.125, 0.2, 0.25, 1 / 3]),
    st.sampled_from([0.1, 0.25, 0.5, 0.75, 1.0]),
    st.sampled_from([0.0, 1.0, 1.5]),
    st.integers(1, 3),
    st.integers(3, 5),
)


@settings(max_examples=60, deadline=None)
@given(data=basket_lists, values=threshold_values, tiny_chunks=st.booleans())
def test_fast_engine_matches_brute_force(
    data: list[list[str]], values: tuple[float, float, float, int, int], tiny_chunks: bool
) -> None:
    thresholds = arules(*values)
    with pytest.MonkeyPatch.context() as patch:
        if tiny_chunks:  # exercise chunked candidate generation and sparse counting
            patch.setattr(itemsets_module, "CANDIDATE_CHUNK", 3)
            patch.setattr(itemsets_module, "MAX_DENSE_KEYS", 5)
        rules = mine_rules(make_baskets(data), thresholds)
    assert as_dict(rules) == brute_force(data, thresholds)
