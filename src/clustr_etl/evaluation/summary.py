"""The plain-words verdict: do the rules beat popularity (do the HR@10 intervals separate)?"""

from __future__ import annotations

from clustr_etl.evaluation.bootstrap import Interval

HEADLINE = "hr@10"


def verdict(methods: dict[str, dict[str, Interval]], metric: str = HEADLINE) -> str:
    """One sentence comparing ``rules`` with ``popularity`` on ``metric`` by their 95 % intervals."""
    rules, popular = methods["rules"][metric], methods["popularity"][metric]
    name = metric.upper()
    if rules.low is None or rules.high is None or popular.low is None or popular.high is None:
        return f"No {name} interval to compare the rules with popularity."
    figures = f"rules {_show(rules)} against popularity {_show(popular)}"
    if rules.low > popular.high:
        return f"The rules beat popularity on {name}: {figures}; the 95 % intervals separate."
    if rules.high < popular.low:
        return f"Popularity beats the rules on {name}: {figures}; the 95 % intervals separate."
    return (
        f"The rules do not clearly beat popularity on {name}: {figures}; "
        "the 95 % intervals overlap."
    )


def beats(methods: dict[str, dict[str, Interval]], winner: str, loser: str, metric: str) -> bool:
    """Whether ``winner``'s interval on ``metric`` lies wholly above ``loser``'s."""
    low, high = methods[winner][metric].low, methods[loser][metric].high
    return low is not None and high is not None and low > high


def _show(interval: Interval) -> str:
    return f"{interval.value:.3f} [{interval.low:.3f}, {interval.high:.3f}]"
