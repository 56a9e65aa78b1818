"""#alerts: what looks off in the data or the rules, each with what to do about it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clustr_etl.report.facts import HIGH_LIFT, TINY_COUNT, ReportFacts

MIN_BASKETS_AT_SUPPORT = 10  # an itemset at min support should come from at least this many baskets
NON_MERCHANDISE_SHARE = 0.05
TOP_ITEMS_CHECKED = 30
# Names retailers give to lines that are not goods (used when products has no is_merchandise column).
NON_MERCHANDISE_NAME = re.compile(
    r"\b(?:postage|carriage|bank charges?|manual|adjust(?:ment)?|dotcom|shipping|delivery charge|fee)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Alert:
    level: str  # "warning" or "info"
    title: str
    detail: str


def _non_merchandise(facts: ReportFacts) -> list[Alert]:
    products = facts.dataset.products
    if "is_merchandise" in products:
        flagged = products[~products["is_merchandise"].astype(bool)]
    else:
        flagged = products[products["name"].astype(str).str.contains(NON_MERCHANDISE_NAME)]
    lines = int(flagged["lines"].sum())
    share = lines / max(facts.dataset.lines, 1)
    top = set(products.nlargest(TOP_ITEMS_CHECKED, "lines")["product_id"])
    in_top = flagged[flagged["product_id"].isin(top)]
    if share < NON_MERCHANDISE_SHARE and in_top.empty:
        return []
    names = ", ".join(str(n) for n in in_top["name"].head(3)) or ", ".join(
        str(n) for n in flagged["name"].head(3)
    )
    return [
        Alert(
            "warning",
            "Non-merchandise items dominate",
            f"{len(flagged):,} non-merchandise products (e.g. {names}) make {share:.1%} of sales lines"
            f"{f' and {len(in_top)} of the top {TOP_ITEMS_CHECKED}' if len(in_top) else ''}: "
            "leave them out of bundle mining.",
        )
    ]


def alerts(facts: ReportFacts, min_support: float, planted: list[dict[str, object]]) -> list[Alert]:
    found: list[Alert] = []
    baskets = facts.dataset.baskets
    rules = facts.rules
    if baskets * min_support < MIN_BASKETS_AT_SUPPORT:
        found.append(
            Alert(
                "warning",
                "Too few baskets for the thresholds",
                f"{baskets:,} baskets x min support {min_support:g} = {baskets * min_support:.1f} baskets: "
                f"rules may rest on fewer than {MIN_BASKETS_AT_SUPPORT} baskets. Use more data or raise --min-support.",
            )
        )
    if rules.total == 0:
        found.append(
            Alert(
                "warning",
                "No rules",
                "bundle_rules is empty: run `clustr-etl mine-rules` (or lower --min-support / --min-confidence).",
            )
        )
    if rules.tiny_count_high_lift:
        found.append(
            Alert(
                "warning",
                "Very high lift from tiny counts",
                f"{rules.tiny_count_high_lift:,} rules have lift >= {HIGH_LIFT:g} but come from fewer than "
                f"{TINY_COUNT} baskets: treat them as noise until more data confirms them.",
            )
        )
    found.extend(_non_merchandise(facts))
    missing = [str(b["bundle"]) for b in planted if not b["found"]]
    if missing:
        found.append(
            Alert(
                "warning",
                "Planted bundles not found",
                f"bundles {', '.join(missing)} have no rule: see #planted.",
            )
        )
    if not found:
        found.append(
            Alert(
                "info", "Nothing looks off", "no alert was raised for this dataset and its rules."
            )
        )
    return found
