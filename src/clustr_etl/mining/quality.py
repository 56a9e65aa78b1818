"""Rule-set filters applied after the thresholds, the same for every engine.

* significance: keep rules whose one-sided Fisher p-value, adjusted (Holm, Benjamini-Hochberg or
  none) over every rule that passed the thresholds (the rules tested), is below ``max_p``;
  ``max_p = 1`` turns the test off;
* redundancy (arules ``is.redundant``): drop a rule when a rule of the set with the same consequent
  and a proper subset of its antecedent (the empty one included) has at least its confidence.
  Confidences are compared exactly on counts: n(A'C)*n(A) >= n(AC)*n(A').
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.mining.measures import adjust_p_values, fisher_greater
from clustr_etl.mining.rules import RuleSet, subset_ids, subsets_of
from clustr_etl.mining.thresholds import RuleThresholds


@dataclass(frozen=True)
class FilterCounts:
    """How many rules passed the thresholds, failed the test, and were redundant."""

    tested: int = 0
    not_significant: int = 0
    redundant: int = 0


def apply_quality_filters(
    rules: pd.DataFrame, thresholds: RuleThresholds
) -> tuple[pd.DataFrame, FilterCounts]:
    """The rules that are significant (and not redundant with --prune-redundant), order kept."""
    tested = len(rules)
    kept = rules
    if thresholds.tests_significance and tested:
        adjusted = adjust_p_values(rules["p_value"].to_numpy(dtype=np.float64), thresholds.p_adjust)
        kept = rules[adjusted < float(thresholds.max_p)]
    not_significant = tested - len(kept)
    redundant = 0
    if thresholds.prune_redundant and len(kept):
        mask = redundant_rules(kept)
        redundant = int(mask.sum())
        kept = kept[~mask]
    return kept.reset_index(drop=True), FilterCounts(tested, not_significant, redundant)


TEST_ROWS = 1_000_000  # rules whose p-values are computed at a time


def filter_rule_set(rules: RuleSet, thresholds: RuleThresholds) -> tuple[RuleSet, FilterCounts]:
    """``apply_quality_filters`` on numeric rules: p-values only when a test is asked for
    (``--max-p`` below 1), names only when redundancy is pruned."""
    tested = len(rules)
    kept = rules
    if thresholds.tests_significance and tested:
        adjusted = adjust_p_values(p_values(rules), thresholds.p_adjust)
        kept = rules.take(adjusted < float(thresholds.max_p))
        del adjusted
    not_significant = tested - len(kept)
    redundant = 0
    if thresholds.prune_redundant and len(kept):
        mask = redundant_rule_set(kept)
        redundant = int(mask.sum())
        kept = kept.take(~mask)
    return kept, FilterCounts(tested, not_significant, redundant)


def p_values(rules: RuleSet) -> np.ndarray:
    """The one-sided Fisher p-value of every rule, TEST_ROWS rules at a time."""
    values = np.empty(len(rules), dtype=np.float64)
    n = rules.catalog.n_transactions
    for start in range(0, len(rules), TEST_ROWS):
        part = rules.take(np.arange(start, min(start + TEST_ROWS, len(rules))))
        values[start : start + len(part)] = fisher_greater(
            part.rule_counts, part.antecedent_counts, part.consequent_counts, n
        )
    return values


def redundant_rule_set(rules: RuleSet) -> npt.NDArray[np.bool_]:
    """``redundant_rules`` on numbers: each antecedent's proper subsets are itemset ids (no names),
    the rules are found by (antecedent id, consequent id) in one sorted key array."""
    catalog = rules.catalog
    if any(ITEM_SEPARATOR in label for label in catalog.labels):  # keys split as the names are
        names = catalog.names(np.concatenate([rules.antecedents, rules.consequents]))
        sides = {"antecedents": names[: len(rules)], "consequents": names[len(rules) :]}
        return redundant_rules(
            pd.DataFrame(
                {
                    **sides,
                    "rule_count": rules.rule_counts,
                    "antecedent_count": rules.antecedent_counts,
                }
            )
        )
    offsets = catalog.offsets
    total = int(catalog.counts.size)
    keys = rules.antecedents.astype(np.int64) * total + rules.consequents
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    r = rules.rule_counts.astype(np.int64)
    a = rules.antecedent_counts
    drop = subset_ids(catalog.itemsets)
    levels = np.searchsorted(offsets, rules.antecedents, side="right") - 1
    mask = np.zeros(len(rules), dtype=bool)
    for size in range(1, len(offsets) - 1):
        rows = np.flatnonzero(levels == size)
        if not rows.size:
            continue
        local = rules.antecedents[rows].astype(np.int64) - offsets[size]
        for length in range(size):
            for kept in itertools.combinations(range(size), length):
                general = subsets_of(drop, local, size, kept) + offsets[length]
                wanted = general * total + rules.consequents[rows]
                found = np.minimum(np.searchsorted(sorted_keys, wanted), keys.size - 1)
                hit = sorted_keys[found] == wanted
                other, mine = order[found[hit]], rows[hit]
                confident = r[other] * a[mine] >= r[mine] * a[other]
                mask[mine[confident]] = True
    return mask


def redundant_rules(rules: pd.DataFrame) -> np.ndarray:
    """Boolean mask: rules with a more general rule (same consequent) at least as confident."""
    antecedents = rules["antecedents"].tolist()
    consequents = rules["consequents"].tolist()
    rule_counts = rules["rule_count"].to_numpy(dtype=np.int64).tolist()
    ante_counts = rules["antecedent_count"].to_numpy(dtype=np.int64).tolist()
    index = {
        (ante, cons): (r, a)
        for ante, cons, r, a in zip(antecedents, consequents, rule_counts, ante_counts, strict=True)
    }
    mask = np.zeros(len(rules), dtype=bool)
    for row, (ante, cons, r, a) in enumerate(
        zip(antecedents, consequents, rule_counts, ante_counts, strict=True)
    ):
        items = ante.split(ITEM_SEPARATOR) if ante else []
        mask[row] = any(
            _at_least_as_confident(index.get((ITEM_SEPARATOR.join(sub), cons)), r, a)
            for length in range(len(items))
            for sub in itertools.combinations(items, length)
        )
    return mask


def _at_least_as_confident(general: tuple[int, int] | None, r: int, a: int) -> bool:
    return general is not None and general[0] * a >= r * general[1]
