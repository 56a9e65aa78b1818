"""Multi-item consequents, the mlxtend >= 0.23 measures, Fisher p-values, p adjustment, redundancy
and the absolute count floor, each against an independent oracle (mlxtend, scipy, brute force)."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy import sparse
from scipy.stats import false_discovery_control, fisher_exact
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.mining import (
    Baskets,
    RuleThresholds,
    mine_rules,
    mine_rules_with_report,
    read_basket_file,
)
from clustr_etl.mining.measures import adjust_p_values
from clustr_etl.mining.summary import support_note
from mining_support import arules
from shared_data import shared_file
from test_mining_oracle import python_baskets

MLXTEND_METRICS = {
    "support": "support",
    "confidence": "confidence",
    "lift": "lift",
    "leverage": "leverage",
    "conviction": "conviction",
    "zhangs_metric": "zhangs_metric",
    "jaccard": "jaccard",
    "certainty": "certainty",
    "kulczynski": "kulczynski",
    "antecedent_support": "antecedent support",
    "consequent_support": "consequent support",
}


def mlxtend_all_splits(baskets: list[list[str]], thresholds: RuleThresholds) -> pd.DataFrame:
    """mlxtend fpgrowth + association_rules: every split, all its metrics, our key format."""
    labels = sorted({x for b in baskets for x in b})
    code = {label: i for i, label in enumerate(labels)}
    indptr = np.cumsum([0] + [len(b) for b in baskets])
    indices = np.asarray([code[x] for b in baskets for x in b], dtype=np.int32)
    matrix = sparse.csr_matrix(
        (np.ones(indices.size, dtype=bool), indices, indptr), shape=(len(baskets), len(labels))
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix, columns=labels)
    itemsets = fpgrowth(
        onehot, min_support=thresholds.min_support - 1e-12, use_colnames=True, max_len=10
    )
    rules = association_rules(
        itemsets,
        num_itemsets=len(baskets),
        metric="confidence",
        min_threshold=thresholds.min_confidence - 1e-12,
    )
    rules = rules[
        (rules["consequents"].map(len) <= thresholds.max_consequent_len)
        & (rules["lift"] > thresholds.min_lift + 1e-10)
    ]
    return pd.DataFrame(
        {
            "antecedents": ["|".join(sorted(a)) for a in rules["antecedents"]],
            "consequents": ["|".join(sorted(c)) for c in rules["consequents"]],
            **{ours: rules[theirs].to_numpy() for ours, theirs in MLXTEND_METRICS.items()},
        }
    )


def assert_same_as_mlxtend(ours: pd.DataFrame, oracle: pd.DataFrame) -> None:
    assert len(ours) == len(oracle) > 0
    key = ["antecedents", "consequents"]
    merged = ours.merge(oracle, on=key, how="outer", suffixes=("", "_mlxtend"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key].head()
    for metric in MLXTEND_METRICS:
        mine, theirs = merged[metric].to_numpy(), merged[f"{metric}_mlxtend"].to_numpy()
        assert np.array_equal(np.isinf(mine), np.isinf(theirs)), metric
        finite = ~np.isinf(mine)
        np.testing.assert_allclose(
            mine[finite], theirs[finite], rtol=1e-9, atol=1e-9, err_msg=metric
        )


@pytest.fixture(scope="module")
def groceries() -> tuple[Baskets, list[list[str]]]:
    path = shared_file("groceries.csv")
    return read_basket_file(path), python_baskets(path)


@pytest.mark.parametrize(
    "thresholds",
    [
        RuleThresholds(0.002, 0.3, 0.0, max_consequent_len=3, max_p=1.0),
        RuleThresholds(0.005, 0.1, 1.0, max_consequent_len=2, max_p=1.0),
        RuleThresholds(0.01, 0.05, 0.0, max_consequent_len=10, max_p=1.0),
    ],
    ids=lambda t: f"s{t.min_support}-c{t.min_confidence}-k{t.max_consequent_len}",
)
def test_groceries_every_split_matches_mlxtend(
    groceries: tuple[Baskets, list[list[str]]], thresholds: RuleThresholds
) -> None:
    ours = mine_rules(groceries[0], thresholds)
    assert ours["consequents"].str.contains("|", regex=False).any()
    assert_same_as_mlxtend(ours, mlxtend_all_splits(groceries[1], thresholds))


@pytest.mark.parametrize(
    "thresholds",
    [
        RuleThresholds(0.003, 0.2, 0.0, max_consequent_len=3, max_p=1.0),
        RuleThresholds(0.01, 0.1, 1.0, max_consequent_len=2, max_p=1.0),
    ],
    ids=lambda t: f"s{t.min_support}-c{t.min_confidence}-k{t.max_consequent_len}",
)
def test_market_basket_every_split_matches_mlxtend(thresholds: RuleThresholds) -> None:
    path = shared_file("Market_Basket_Optimisation.csv")
    ours = mine_rules(read_basket_file(path), thresholds)
    assert_same_as_mlxtend(ours, mlxtend_all_splits(python_baskets(path), thresholds))


def test_reference_engine_gives_the_same_multi_item_consequents(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    thresholds = RuleThresholds(0.003, 0.2, 1.0, max_consequent_len=3, max_p=0.05)
    fast = mine_rules(groceries[0], thresholds)
    pd.testing.assert_frame_equal(fast, mine_rules(groceries[0], thresholds, engine="mlxtend"))


def test_fisher_p_values_equal_scipy_fisher_exact(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    rules = mine_rules(groceries[0], RuleThresholds(0.002, 0.1, 0.0, max_p=1.0))
    sample = rules.sample(60, random_state=1)
    for row in sample.itertuples():
        n, a, c, r = row.n_transactions, row.antecedent_count, row.consequent_count, row.rule_count
        table = [[r, a - r], [c - r, n - a - c + r]]
        expected = fisher_exact(table, alternative="greater").pvalue
        assert row.p_value == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_holm_and_fdr_adjustments() -> None:
    p = np.asarray([0.01, 0.04, 0.03, 0.005, 0.5])
    m = p.size
    order = np.argsort(p)
    holm = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):  # Holm's step-down definition
        running = max(running, min(1.0, (m - rank) * p[i]))
        holm[i] = running
    np.testing.assert_allclose(adjust_p_values(p, "holm"), holm)
    np.testing.assert_allclose(adjust_p_values(p, "fdr"), false_discovery_control(p))
    np.testing.assert_array_equal(adjust_p_values(p, "none"), p)


@pytest.mark.parametrize("method", ["holm", "fdr", "none"])
def test_max_p_keeps_exactly_the_significant_rules(
    groceries: tuple[Baskets, list[list[str]]], method: str
) -> None:
    loose = RuleThresholds(0.001, 0.5, 0.0, max_p=1.0)
    everything = mine_rules(groceries[0], loose)
    adjusted = adjust_p_values(everything["p_value"].to_numpy(), method)
    expected = everything[adjusted < 0.01]
    strict = RuleThresholds(0.001, 0.5, 0.0, max_p=0.01, p_adjust=method)  # type: ignore[arg-type]
    mined = mine_rules_with_report(groceries[0], strict)
    assert 0 < len(mined.rules) < len(everything)
    pd.testing.assert_frame_equal(mined.rules, expected.reset_index(drop=True))
    assert mined.quality.tested == len(everything)
    assert mined.quality.not_significant == len(everything) - len(expected)


def test_prune_redundant_follows_arules_is_redundant(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    thresholds = RuleThresholds(0.002, 0.2, 0.0, min_len=1, max_p=1.0)
    rules = mine_rules(groceries[0], thresholds)
    redundant = set()
    for _, group in rules.groupby("consequents"):
        sides = [frozenset(a.split("|")) - {""} for a in group["antecedents"]]
        confidences = group["confidence"].to_numpy()
        for i, ante in enumerate(sides):
            if any(
                other < ante and confidences[j] >= confidences[i] - 1e-12
                for j, other in enumerate(sides)
            ):
                redundant.add((group["antecedents"].iloc[i], group["consequents"].iloc[i]))
    mined = mine_rules_with_report(groceries[0], replace(thresholds, prune_redundant=True))
    kept = set(zip(mined.rules["antecedents"], mined.rules["consequents"], strict=True))
    assert mined.quality.redundant == len(redundant) > 0
    assert kept == set(zip(rules["antecedents"], rules["consequents"], strict=True)) - redundant


def test_min_count_is_a_floor_under_min_support(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    baskets = groceries[0]  # 9,835 baskets: support 0.001 is 10 baskets
    floor = mine_rules(baskets, RuleThresholds(0.0001, 0.5, 0.0, min_count=10, max_p=1.0))
    pd.testing.assert_frame_equal(floor, mine_rules(baskets, arules(0.001, 0.5, 0.0)))
    assert int(floor["rule_count"].min()) == 10
    stricter_support = RuleThresholds(0.002, 0.5, 0.0, min_count=10, max_p=1.0)
    assert stricter_support.count_threshold(baskets.n_transactions) == 20
    assert support_note(RuleThresholds(0.001, min_count=10), 2000) == (
        "support 0.001 = 2 baskets < min count 10"
    )


def test_arules_groceries_count_reproduces_from_the_cli(tmp_path: Path) -> None:
    path = shared_file("groceries.csv")
    out = tmp_path / "rules.csv"
    result = CliRunner().invoke(
        app,
        [
            "mine-rules", "--input", str(path), "--format", "basket", "--no-load",
            "--min-support", "0.001", "--min-confidence", "0.5", "--min-lift", "0",
            "--max-p", "1", "--output", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rules = pd.read_csv(out, keep_default_na=False)
    assert len(rules) == 5668
    assert "min count 10" in result.output  # the summary names the floor (wrapped in the table)


def all_subsets_rules(rules: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(rules["antecedents"], rules["consequents"], strict=True))


def test_multi_item_consequents_are_every_split_of_the_itemset(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    rules = mine_rules(
        groceries[0], RuleThresholds(0.01, 0.0001, 0.0, max_consequent_len=5, max_p=1.0)
    )
    by_itemset: dict[frozenset[str], set[frozenset[str]]] = {}
    for ante, cons in all_subsets_rules(rules):
        items = frozenset(ante.split("|")) | frozenset(cons.split("|"))
        by_itemset.setdefault(items, set()).add(frozenset(cons.split("|")))
    for items, consequents in by_itemset.items():
        expected = {
            frozenset(c) for k in range(1, len(items)) for c in combinations(sorted(items), k)
        }
        assert consequents == expected
