"""What a mining run should tell its user: which floor applied, what the filters dropped, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from clustr_etl.mining.quality import FilterCounts
from clustr_etl.mining.thresholds import RuleThresholds

# Below this many baskets per count threshold the data are too small for the thresholds: a rule
# then needs more than 0.5% of all baskets, so only the strongest few associations can show.
SMALL_DATA_RATIO = 200
ADJUST_NAMES = {"holm": "Holm", "fdr": "Benjamini-Hochberg", "none": "unadjusted"}


@dataclass
class MiningSummary:
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def support_note(thresholds: RuleThresholds, n_transactions: int) -> str:
    """E.g. "support 0.001 = 2 baskets < min count 10": which of the two floors applies."""
    by_support = thresholds.support_count(n_transactions)
    floor = int(thresholds.min_count)
    if thresholds.top_k and thresholds.top_k_by == "support" and thresholds.support_is_automatic:
        return f"min count {floor} (ranked by support: the default support does not apply)"
    support = f"support {thresholds.support:g} = {by_support:,} baskets"
    if by_support < floor:
        return f"{support} < min count {floor}"
    return f"{support} >= min count {floor}"


def summarize(
    scope: str,
    thresholds: RuleThresholds,
    n_transactions: int,
    quality: FilterCounts,
    n_rules: int,
) -> MiningSummary:
    summary = MiningSummary()
    prefix = "" if scope == "all" else f"{scope}: "
    summary.notes.append(
        f"{prefix}{n_transactions:,} baskets, {support_note(thresholds, n_transactions)}"
    )
    if thresholds.tests_significance and thresholds.top_k:
        summary.notes.append(
            f"{prefix}each rule significant at Fisher p < {thresholds.max_p:g} / {thresholds.top_k:,} "
            "(Bonferroni over the rules reported)"
        )
    elif thresholds.tests_significance:
        method = ADJUST_NAMES[thresholds.p_adjust]
        summary.notes.append(
            f"{prefix}{quality.not_significant:,} of {quality.tested:,} rules not significant "
            f"(Fisher, {method} p < {thresholds.max_p:g})"
        )
    if thresholds.prune_redundant:
        summary.notes.append(f"{prefix}{quality.redundant:,} redundant rules dropped")
    needed = thresholds.count_threshold(n_transactions)
    if n_transactions < needed * SMALL_DATA_RATIO:
        summary.warnings.append(
            f"{prefix}only {n_transactions:,} baskets: a rule needs {needed:,} of them "
            f"({needed / n_transactions:.1%}), so only the strongest bundles can show; "
            "mine more transactions (or a wider window) for more"
        )
    if n_rules == 0:
        summary.warnings.append(
            f"{prefix}no rule passed the thresholds; lower --min-count/--min-support, "
            "or raise --max-p"
        )
    return summary
