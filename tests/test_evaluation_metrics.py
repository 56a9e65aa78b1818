"""evaluate's metrics by hand on a tiny example, and its honesty on planted and on independent baskets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clustr_etl.evaluation.evaluate import Evaluation, EvaluationOptions, evaluate_baskets
from clustr_etl.evaluation.summary import beats
from clustr_etl.mining import RuleThresholds, baskets_from_pairs, mine_rules
from clustr_etl.mining.baskets import Baskets

TINY = EvaluationOptions(min_test_baskets=1, resamples=200)


def baskets(rows: list[list[int]]) -> Baskets:
    tids = [t for t, row in enumerate(rows) for _ in row]
    items = [item for row in rows for item in row]
    return baskets_from_pairs(np.asarray(tids), np.asarray(items))


def rules_table(rows: list[tuple[str, str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["antecedents", "consequents", "confidence", "lift", "support"]
    )


# Popularity in training baskets: 4 (4 baskets), 3 (3), 2 (2), 1 (1).
TRAIN = baskets([[4, 3, 2, 1], [4, 3, 2], [4, 3], [4]])
RULES = rules_table(
    [
        ("1", "3", 0.5, 1.5, 0.3),
        ("1", "2", 0.8, 2.0, 0.4),  # ranks before 1=>3: higher confidence
        ("2", "4", 0.6, 1.2, 0.3),
    ]
)
# Cases (context -> rules' list -> hidden item):
#   [1,2] hide 1: {2} -> [4]     miss       | hide 2: {1} -> [2, 3]  hit at 1
#   [1,3,4] hide 1: {3,4} -> []  miss       | hide 3: {1,4} -> [2, 3] hit at 2 | hide 4: {1,3} -> [2] miss
TEST = baskets([[1, 2], [1, 3, 4]])


def value(result: Evaluation, method: str, metric: str) -> float | None:
    return result.methods[method][metric].value


def test_rule_metrics_by_hand() -> None:
    result = evaluate_baskets(TRAIN, RULES, [TEST], TINY)

    assert result.cases == 5
    assert value(result, "rules", "hr@1") == pytest.approx(1 / 5)
    assert value(result, "rules", "hr@5") == pytest.approx(2 / 5)
    assert value(result, "rules", "hr@10") == pytest.approx(2 / 5)
    assert value(result, "rules", "mrr@10") == pytest.approx((1 + 1 / 2) / 5)
    assert value(result, "rules", "ndcg@10") == pytest.approx((1 + 1 / math.log2(3)) / 5)
    assert value(result, "rules", "coverage") == pytest.approx(4 / 5)
    assert value(result, "rules", "catalogue_coverage") == pytest.approx(3 / 4)  # 2, 3 and 4
    # popularity ranks (1 = most sold) of the 6 recommended items: 4 | 2 3 | 2 3 | 2
    assert value(result, "rules", "popularity_rank") == pytest.approx((1 + 5 + 5 + 3) / 6)


def test_popularity_and_fill_by_hand() -> None:
    result = evaluate_baskets(TRAIN, RULES, [TEST], TINY)
    # popularity lists: {2}->[4,3,1] (1 at 3) | {1}->[4,3,2] (2 at 3) | {3,4}->[2,1] (1 at 2)
    #                   {1,4}->[3,2] (3 at 1) | {1,3}->[4,2] (4 at 1)
    assert value(result, "popularity", "hr@1") == pytest.approx(2 / 5)
    assert value(result, "popularity", "hr@5") == pytest.approx(1.0)
    assert value(result, "popularity", "mrr@10") == pytest.approx(
        (1 / 3 + 1 / 3 + 1 / 2 + 1 + 1) / 5
    )
    assert value(result, "popularity", "coverage") == 1.0
    # co-occurrence: {2}->[4,3,1] | {1}->[4,3,2] | {3,4}->[2,1] | {1,4}->[3,2] | {1,3}->[4,2]
    assert value(result, "cooccurrence", "hr@1") == pytest.approx(2 / 5)
    assert value(result, "cooccurrence", "mrr@10") == pytest.approx(
        (1 / 3 + 1 / 3 + 1 / 2 + 1 + 1) / 5
    )
    assert value(result, "cooccurrence", "popularity_rank") == pytest.approx(
        (1 + 2 + 4 + 1 + 2 + 3 + 3 + 4 + 2 + 3 + 1 + 3) / 12
    )
    # rules then popularity: {2}->[4,3,1] | {1}->[2,3,4] | {3,4}->[2,1] | {1,4}->[2,3] | {1,3}->[2,4]
    assert value(result, "rules+popularity", "hr@1") == pytest.approx(1 / 5)
    assert value(result, "rules+popularity", "mrr@10") == pytest.approx(
        (1 / 3 + 1 + 1 / 2 + 1 / 2 + 1 / 2) / 5
    )


def test_items_in_the_basket_are_never_recommended() -> None:
    rules = rules_table([("1", "2", 0.9, 2.0, 0.5), ("1", "3", 0.8, 2.0, 0.5)])
    result = evaluate_baskets(TRAIN, rules, [baskets([[1, 2, 3]])], TINY)
    # hide 2: {1,3} -> [2] ; hide 3: {1,2} -> [3] ; hide 1: {2,3} -> []
    assert value(result, "rules", "hr@1") == pytest.approx(2 / 3)


def test_intervals_are_seeded_and_contain_the_value() -> None:
    first = evaluate_baskets(TRAIN, RULES, [TEST, TEST, TEST], TINY)
    again = evaluate_baskets(TRAIN, RULES, [TEST, TEST, TEST], TINY)
    assert first.to_json() == again.to_json()
    for figures in first.methods.values():
        for interval in figures.values():
            if interval.low is not None:
                assert interval.value is not None
                assert interval.high is not None
                assert interval.low - 1e-12 <= interval.value <= interval.high + 1e-12


def generated(planted: bool, n_baskets: int, seed: int) -> Baskets:
    """Baskets of 1-4 items drawn by a Zipf-like popularity over 200 items; with ``planted``, half of
    the baskets also hold one of 10 bundles of 3 mid-popularity items."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, 201) ** 0.8
    weights /= weights.sum()
    bundles = np.arange(100, 130).reshape(10, 3)
    rows: list[list[int]] = []
    for _ in range(n_baskets):
        items = set(rng.choice(200, size=rng.integers(1, 5), replace=False, p=weights).tolist())
        if planted and rng.random() < 0.5:
            items |= set(bundles[rng.integers(10)].tolist())
        rows.append(sorted(items))
    return baskets(rows)


THRESHOLDS = RuleThresholds(min_support=0.002, min_confidence=0.1)


@pytest.mark.parametrize("seed", [1, 2])
def test_planted_bundles_rules_beat_popularity(seed: int) -> None:
    train, test = generated(True, 8000, seed), generated(True, 1500, seed + 100)
    result = evaluate_baskets(train, mine_rules(train, THRESHOLDS), [test], EvaluationOptions())
    assert beats(result.methods, "rules", "popularity", "hr@10"), result.summary
    assert result.summary.startswith("The rules beat popularity")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_independent_items_rules_do_not_beat_popularity(seed: int) -> None:
    train, test = generated(False, 8000, seed), generated(False, 1500, seed + 100)
    result = evaluate_baskets(train, mine_rules(train, THRESHOLDS), [test], EvaluationOptions())
    assert not beats(result.methods, "rules", "popularity", "hr@10"), result.summary
    assert not beats(result.methods, "rules+popularity", "popularity", "hr@10"), result.summary


def test_group_rules_equal_to_the_overall_rules_score_the_same() -> None:
    options = EvaluationOptions(min_test_baskets=1, resamples=50, by="segment")
    other = baskets([[2, 4], [1, 2, 3], [3, 4]])
    result = evaluate_baskets(
        TRAIN, RULES, [TEST, other], options, group_rules={0: RULES, 1: RULES}
    )
    assert result.methods["rules by segment"] == result.methods["rules"]
    only_first = evaluate_baskets(TRAIN, RULES, [TEST, other], options, group_rules={0: RULES})
    assert value(only_first, "rules by segment", "coverage") == pytest.approx(4 / 12)


def test_products_per_basket_equal_products_per_context() -> None:
    from clustr_etl.evaluation.cases import build_cases, coded_baskets
    from clustr_etl.evaluation.evaluate import _context

    vocabulary = {label: code for code, label in enumerate(TRAIN.labels)}
    test = coded_baskets([TEST, baskets([[2, 9, 4], [3, 1]])], vocabulary)  # 9: unseen in training
    cases = build_cases(test, None, 0)
    context = _context(cases, len(vocabulary))
    dense = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert context.sums is not None
    np.testing.assert_array_equal(context.times(dense), context.matrix.toarray() @ dense)
