"""The fast miner against two oracles on real data.

1. mlxtend (fpgrowth + association_rules, single-item consequents), fed by an independent Python
   reader: identical rule set, counts, and metrics to 1e-9. mlxtend compares floats, so it gets the
   thresholds minus 1e-12 (support, confidence) or plus 1e-10 (lift): with at most ~1e5 baskets
   no exact ratio lies that close to a threshold, so this equals the exact semantics.
2. R arules' published results for Groceries (arulesViz vignette, "Machine Learning with R",
   arules examples): rule counts, rule-length distributions, and the top rules by lift.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules, fpgrowth
from scipy import sparse

from clustr_etl.mining import (
    Baskets,
    RuleThresholds,
    baskets_from_pairs,
    mine_rules,
    read_basket_file,
    write_rules_csv,
)
from mining_support import arules
from shared_data import shared_file

METRICS = ["support", "confidence", "lift", "leverage", "conviction"]


def python_baskets(path: Path) -> list[list[str]]:
    """An independent reader: split lines on commas, strip, drop empties, de-duplicate."""
    with path.open(encoding="utf-8-sig") as handle:
        baskets = [sorted({x.strip() for x in line.split(",")} - {""}) for line in handle]
    return [b for b in baskets if b]


def retail_invoices() -> list[list[str]]:
    """Online Retail invoices (cancellations 'C...' left out) as baskets of stock codes."""
    baskets: dict[str, set[str]] = {}
    with gzip.open(shared_file("online_retail.csv.gz"), "rt", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            invoice, stock = line.split(",", 2)[:2]
            if not invoice.startswith("C"):
                baskets.setdefault(invoice, set()).add(stock)
    return [sorted(items) for _, items in sorted(baskets.items())]


def mlxtend_rules(baskets: list[list[str]], thresholds: RuleThresholds) -> pd.DataFrame:
    labels = sorted({x for b in baskets for x in b})
    code = {label: i for i, label in enumerate(labels)}
    indptr = np.cumsum([0] + [len(b) for b in baskets])
    indices = np.asarray([code[x] for b in baskets for x in b], dtype=np.int32)
    matrix = sparse.csr_matrix(
        (np.ones(indices.size, dtype=bool), indices, indptr), shape=(len(baskets), len(labels))
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix, columns=labels)
    n = len(baskets)
    itemsets = fpgrowth(
        onehot,
        min_support=thresholds.min_support - 1e-12,
        use_colnames=True,
        max_len=thresholds.max_len,
    )
    rules = association_rules(
        itemsets,
        num_itemsets=n,
        metric="confidence",
        min_threshold=thresholds.min_confidence - 1e-12,
    )
    size = rules["antecedents"].map(len) + rules["consequents"].map(len)
    keep = (
        (rules["consequents"].map(len) == 1)
        & (rules["lift"] > thresholds.min_lift + 1e-10)
        & (size >= thresholds.min_len)
    )
    rules = rules[keep]
    return pd.DataFrame(
        {
            "antecedents": ["|".join(sorted(a)) for a in rules["antecedents"]],
            "consequents": [next(iter(c)) for c in rules["consequents"]],
            "rule_count": np.rint(rules["support"].to_numpy() * n).astype(np.int64),
            **{metric: rules[metric].to_numpy() for metric in METRICS},
        }
    )


def assert_same_rules(ours: pd.DataFrame, oracle: pd.DataFrame) -> None:
    assert len(ours) == len(oracle) > 0
    key = ["antecedents", "consequents"]
    merged = ours.merge(oracle, on=key, how="outer", suffixes=("", "_oracle"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key].head()
    assert (merged["rule_count"] == merged["rule_count_oracle"]).all()
    for metric in METRICS:
        ours_values, oracle_values = (
            merged[metric].to_numpy(),
            merged[f"{metric}_oracle"].to_numpy(),
        )
        infinite = np.isinf(ours_values)
        assert np.array_equal(infinite, np.isinf(oracle_values)), metric
        np.testing.assert_allclose(
            ours_values[~infinite], oracle_values[~infinite], rtol=1e-9, atol=1e-12, err_msg=metric
        )


GROCERIES_SETTINGS = [
    arules(0.001, 0.5, min_lift=0.0),
    arules(0.002, 0.2, min_lift=1.0),
    arules(0.01, 0.05, min_lift=0.0, min_len=2, max_len=3),
    arules(0.003, 0.3, min_lift=1.5, min_len=3),
]


@pytest.fixture(scope="module")
def groceries() -> tuple[Baskets, list[list[str]]]:
    path = shared_file("groceries.csv")
    return read_basket_file(path), python_baskets(path)


@pytest.mark.parametrize("thresholds", GROCERIES_SETTINGS, ids=repr)
def test_groceries_match_mlxtend(
    groceries: tuple[Baskets, list[list[str]]], thresholds: RuleThresholds
) -> None:
    baskets, lists = groceries
    assert_same_rules(mine_rules(baskets, thresholds), mlxtend_rules(lists, thresholds))


@pytest.mark.parametrize(
    "thresholds",
    [arules(0.002, 0.2, min_lift=1.0), arules(0.005, 0.1, min_lift=0.0)],
    ids=repr,
)
def test_market_basket_matches_mlxtend(thresholds: RuleThresholds) -> None:
    path = shared_file("Market_Basket_Optimisation.csv")
    assert_same_rules(
        mine_rules(read_basket_file(path), thresholds),
        mlxtend_rules(python_baskets(path), thresholds),
    )


def test_online_retail_invoices_match_mlxtend() -> None:
    lists = retail_invoices()
    tids = np.repeat(np.arange(len(lists)), [len(b) for b in lists])
    keys = np.asarray([x for b in lists for x in b], dtype=object)
    thresholds = arules(0.015, 0.3, min_lift=1.0)
    ours = mine_rules(baskets_from_pairs(tids, keys), thresholds)
    assert_same_rules(ours, mlxtend_rules(lists, thresholds))


def test_reference_engine_equals_fast_engine(groceries: tuple[Baskets, list[list[str]]]) -> None:
    thresholds = arules(0.002, 0.3, min_lift=1.0, min_len=1)
    fast = mine_rules(groceries[0], thresholds)
    pd.testing.assert_frame_equal(fast, mine_rules(groceries[0], thresholds, engine="mlxtend"))


def size_distribution(rules: pd.DataFrame) -> dict[int, int]:
    sizes = rules["antecedents"].map(lambda a: len(a.split("|")) if a else 0) + 1
    return {int(k): int(v) for k, v in sizes.value_counts().sort_index().items()}


# (support, confidence, minlen) -> (rule count, rule-length distribution, top rules by lift with
# published support, confidence, lift). minlen 1 is arules' default.
ARULES_PUBLISHED = {
    (0.001, 0.5, 1): (
        5668,
        {2: 11, 3: 1461, 4: 3211, 5: 939, 6: 46},
        [
            ("Instant food products|soda", "hamburger meat", 0.001220132, 0.6315789, 18.99565),
            ("popcorn|soda", "salty snack", 0.001220132, 0.6315789, 16.69779),
            ("baking powder|flour", "sugar", 0.001016777, 0.5555556, 16.40807),
        ],
    ),
    (0.001, 0.8, 1): (
        410,
        {3: 29, 4: 229, 5: 140, 6: 12},
        [("liquor|red/blush wine", "bottled beer", 0.001931876, 0.9047619, 11.23527)],
    ),
    (0.006, 0.25, 2): (
        463,
        {2: 150, 3: 297, 4: 16},
        [
            ("herbs", "root vegetables", 0.007015760, 0.4312500, 3.956477),
            ("berries", "whipped/sour cream", 0.009049314, 0.2721713, 3.796886),
            (
                "other vegetables|tropical fruit|whole milk",
                "root vegetables",
                0.007015760,
                0.4107143,
                3.768074,
            ),
            ("beef|other vegetables", "root vegetables", 0.007930859, 0.4020619, 3.688692),
            ("other vegetables|tropical fruit", "pip fruit", 0.009456024, 0.2634561, 3.482649),
        ],
    ),
    (0.01, 0.5, 1): (15, {3: 15}, []),
}


@pytest.mark.parametrize("setting", list(ARULES_PUBLISHED), ids=str)
def test_groceries_reproduce_arules_published_results(
    groceries: tuple[Baskets, list[list[str]]], setting: tuple[float, float, int]
) -> None:
    support, confidence, min_len = setting
    count, distribution, top = ARULES_PUBLISHED[setting]
    # arules has no lift filter: min_lift 0 (its minlen=1 {} => {x} rules need support >= conf).
    rules = mine_rules(groceries[0], arules(support, confidence, 0.0, min_len, 10))
    assert len(rules) == count
    assert size_distribution(rules) == distribution
    for rank, (lhs, rhs, supp, conf, lift) in enumerate(top):
        row = rules.iloc[rank]
        assert (row["antecedents"], row["consequents"]) == (lhs, rhs)
        assert row["support"] == pytest.approx(supp, abs=5e-10)
        assert row["confidence"] == pytest.approx(conf, abs=5e-8)
        assert row["lift"] == pytest.approx(lift, rel=5e-7)


def test_groceries_5668_rules_summary_matches_arules(
    groceries: tuple[Baskets, list[list[str]]],
) -> None:
    rules = mine_rules(groceries[0], arules(0.001, 0.5, 0.0, 1, 10))
    # summary(rules) in arules prints 4 significant digits
    assert rules["support"].min() == pytest.approx(0.001017, abs=5e-7)
    assert rules["support"].max() == pytest.approx(0.022267, abs=5e-7)
    assert rules["confidence"].mean() == pytest.approx(0.6250, abs=5e-5)
    assert rules["lift"].mean() == pytest.approx(3.262, abs=5e-4)
    assert rules["lift"].min() == pytest.approx(1.957, abs=5e-4)
    assert int(rules["rule_count"].min()) == 10


def test_write_rules_csv_round_trips_full_precision(
    tmp_path: Path, groceries: tuple[Baskets, list[list[str]]]
) -> None:
    rules = mine_rules(groceries[0], arules(0.001, 0.8, 0.0))
    rules.insert(2, "antecedent_names", rules["antecedents"].str.upper())
    path = tmp_path / "rules.csv"
    write_rules_csv(rules, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(rules.columns)
    back = pd.read_csv(path, keep_default_na=False)
    assert list(back.columns) == list(rules.columns)
    for metric in METRICS:
        assert back[metric].astype(float).tolist() == rules[metric].tolist()
    infinite = rules["conviction"].map(math.isinf)
    assert infinite.any()
    texts = pd.read_csv(path, dtype=str, keep_default_na=False)["conviction"]
    assert set(texts[infinite]) == {"inf"}
    assert texts[~infinite].map(float).tolist() == rules["conviction"][~infinite].tolist()
    assert texts.iloc[0] == repr(float(rules["conviction"].iloc[0]))
