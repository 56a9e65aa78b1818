"""The per-basket rule lists (evaluation.rule_lists) give exactly the lists of ranking every fired
rule of every case (tests/rule_oracle.py, the implementation they replaced), on mined rules with
long antecedents, several consequent items, rules that always fire and per-group subsets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clustr_etl.evaluation.cases import build_cases, coded_baskets
from clustr_etl.evaluation.evaluate import _context
from clustr_etl.evaluation.recommenders import ByGroup, Context, Recommender, popularity_ranks
from clustr_etl.evaluation.rule_lists import RuleRecommender
from clustr_etl.mining import RuleThresholds, baskets_from_pairs, mine_rules
from clustr_etl.mining.baskets import Baskets
from rule_oracle import RuleRecommender as Oracle

K = 10


def baskets(rows: list[list[int]]) -> Baskets:
    tids = [t for t, row in enumerate(rows) for _ in row]
    items = [item for row in rows for item in row]
    return baskets_from_pairs(np.asarray(tids), np.asarray(items))


def random_baskets(n: int, seed: int, n_items: int = 60) -> Baskets:
    """Baskets of 1-12 items (plus bundles): a Zipf-like popularity plus five overlapping bundles, so that many
    rules of 1-4 antecedent items fire on a long basket and share their consequents."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, n_items + 1) ** 0.7
    weights /= weights.sum()
    bundles = [[3, 7, 11, 19], [7, 11, 23], [2, 3, 30, 31, 32], [40, 41], [11, 19, 41, 50]]
    rows = []
    for _ in range(n):
        size = int(rng.integers(1, 13))
        items = set(rng.choice(n_items, size=min(size, n_items), replace=False, p=weights).tolist())
        for bundle in bundles:
            if rng.random() < 0.3:
                items |= set(bundle)
        items.add(int(rng.integers(n_items, n_items + 3)))  # some items unseen in training
        rows.append(sorted(items))
    return baskets(rows)


def contexts(train: Baskets, test: list[Baskets], chunk: int) -> list[Context]:
    vocabulary = {label: code for code, label in enumerate(train.labels)}
    cases = build_cases(coded_baskets(test, vocabulary), None, 0)
    n_items = len(train.labels)
    parts = [cases.subset(slice(s, s + chunk)) for s in range(0, cases.n_cases, chunk)]
    return [_context(part, n_items) for part in parts]


def assert_same_lists(train: Baskets, rules: pd.DataFrame, test: list[Baskets], chunk: int) -> int:
    vocabulary = {label: code for code, label in enumerate(train.labels)}
    pop_rank = popularity_ranks(train)[0]
    ours, oracle = RuleRecommender(rules, vocabulary, pop_rank), Oracle(rules, vocabulary, pop_rank)
    chunks = contexts(train, test, chunk)
    shown = 0
    for context in chunks:
        expected = oracle.recommend(context, K)
        np.testing.assert_array_equal(ours.recommend(context, K), expected)
        shown += int((expected >= 0).sum())
    return shown


@pytest.mark.parametrize(
    ("seed", "thresholds", "chunk"),
    [
        (1, RuleThresholds(min_support=0.05, min_confidence=0.05, max_len=5, max_p=1.0), 97),
        (2, RuleThresholds(min_support=0.04, min_confidence=0.2, max_len=4), 500),
        (3, RuleThresholds(min_support=0.06, max_consequent_len=3, max_len=4, max_p=1.0), 64),
        (4, RuleThresholds(min_support=0.05, min_len=1, max_len=3, min_lift=0.0, max_p=1.0), 211),
    ],
    ids=["long-antecedents", "defaults-like", "several-consequents", "always-firing"],
)
def test_rule_lists_equal_the_per_case_ranking(
    seed: int, thresholds: RuleThresholds, chunk: int
) -> None:
    train = random_baskets(1500, seed)
    rules = mine_rules(train, thresholds)
    assert len(rules) > 200, len(rules)
    if thresholds.min_len == 1:
        assert (rules["antecedents"] == "").any()
    if thresholds.max_consequent_len > 1:
        assert rules["consequents"].str.contains("|", regex=False).any()
    test = [random_baskets(120, seed + 100), random_baskets(40, seed + 200)]
    assert assert_same_lists(train, rules, test, chunk) > 1000
    assert max(len(a.split("|")) for a in rules["antecedents"]) >= min(thresholds.max_len - 1, 3)


def test_rule_lists_with_few_or_no_rules() -> None:
    train = random_baskets(300, 5)
    test = [random_baskets(30, 6)]
    rules = mine_rules(train, RuleThresholds(min_support=0.05, max_len=3))
    assert_same_lists(train, rules.head(0), test, 50)  # no rule: every list empty
    assert_same_lists(train, rules.head(3), test, 50)


def test_rule_lists_per_group_equal_the_per_case_ranking() -> None:
    train = random_baskets(1500, 7)
    vocabulary = {label: code for code, label in enumerate(train.labels)}
    pop_rank = popularity_ranks(train)[0]
    rules = mine_rules(train, RuleThresholds(min_support=0.04, max_len=4))
    halves = {0: rules.iloc[::2], 1: rules.iloc[1::2]}
    ours = ByGroup({g: RuleRecommender(r, vocabulary, pop_rank) for g, r in halves.items()})
    oracle: dict[int, Recommender] = {g: Oracle(r, vocabulary, pop_rank) for g, r in halves.items()}
    chunks = contexts(train, [random_baskets(60, 8), random_baskets(60, 9)], 150)
    for context in chunks:
        np.testing.assert_array_equal(
            ours.recommend(context, K), ByGroup(oracle).recommend(context, K)
        )


def test_contexts_without_basket_sums_are_their_own_baskets() -> None:
    train = random_baskets(800, 10)
    vocabulary = {label: code for code, label in enumerate(train.labels)}
    pop_rank = popularity_ranks(train)[0]
    rules = mine_rules(train, RuleThresholds(min_support=0.04, max_len=4))
    chunks = contexts(train, [random_baskets(50, 11)], 100)
    for context in chunks:
        bare = Context(
            context.rows,
            context.codes,
            context.n_rows,
            context.n_items,
            context.matrix,
            context.group,
            context.in_basket,
        )
        np.testing.assert_array_equal(
            RuleRecommender(rules, vocabulary, pop_rank).recommend(bare, K),
            Oracle(rules, vocabulary, pop_rank).recommend(bare, K),
        )
