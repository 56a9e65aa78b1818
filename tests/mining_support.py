"""Rule thresholds with arules' semantics for the oracle tests: no basket floor, no significance test.

The project's defaults (``RuleThresholds()``) add --min-count 10 and --max-p 0.001; the oracles
(arules, mlxtend, brute force) know neither, so the tests that compare with them turn both off.
"""

from __future__ import annotations

from typing import Any

from clustr_etl.mining import RuleThresholds

ARULES = {"min_count": 1, "max_p": 1.0}


def arules(*args: Any, **kwargs: Any) -> RuleThresholds:
    """``RuleThresholds(...)`` without the count floor and the test (unless given)."""
    return RuleThresholds(*args, **{**ARULES, **kwargs})
