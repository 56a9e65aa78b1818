"""Rule thresholds and their exact comparison on integer counts.

A threshold is read as the exact decimal the user wrote (``0.001`` is 1/1000, not the nearest
binary float), and compared with counts using integer arithmetic, so a rule exactly at a threshold
is always kept:

* support:    count(A+C) >= max(ceil(min_support * N), min_count)   (the stricter one wins)
* confidence: count(A+{c}) >= min_confidence * count(A)
* lift:       count(A+{c}) * N > min_lift * count(A) * count(c)   (strict; min_lift = 0 keeps all)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from clustr_etl.config.settings import MiningSettings as RuleThresholds
from clustr_etl.config.settings import exact_fraction
from clustr_etl.config.specs import MAX_ITEMSET_SIZE

_INT64_SAFE = 2**62

# The rule thresholds are the ``mining`` group of the settings model (validated there, limits in config/specs.py).
__all__ = ["MAX_ITEMSET_SIZE", "RuleThresholds", "exact_fraction", "fraction_at_least"]


def fraction_at_least(
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    fraction: Fraction,
    *,
    strict: bool = False,
) -> npt.NDArray[np.bool_]:
    """Elementwise ``left >= fraction * right`` (``>`` when strict) on non-negative int counts, exactly."""
    num, den = fraction.numerator, fraction.denominator
    if left.size == 0:
        return np.zeros(0, dtype=bool)
    if int(left.max()) * den < _INT64_SAFE and int(right.max()) * num < _INT64_SAFE:
        scaled_left = left.astype(np.int64) * den
        scaled_right = right.astype(np.int64) * num
    else:  # huge numbers: Python integers (object arrays) never overflow
        scaled_left = left.astype(object) * den
        scaled_right = right.astype(object) * num
    result = scaled_left > scaled_right if strict else scaled_left >= scaled_right
    return np.asarray(result, dtype=bool)
