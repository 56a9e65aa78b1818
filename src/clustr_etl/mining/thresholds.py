"""Rule thresholds and their exact comparison on integer counts.

A threshold is read as the exact decimal the user wrote (``0.001`` is 1/1000, not the nearest
binary float), and compared with counts using integer arithmetic, so a rule exactly at a threshold
is always kept:

* support:    count(A+C) >= max(ceil(min_support * N), min_count)   (the stricter one wins)
* confidence: count(A+{c}) >= min_confidence * count(A)
* lift:       count(A+{c}) * N > min_lift * count(A) * count(c)   (strict; min_lift = 0 keeps all)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from clustr_etl.errors import ConfigError

MAX_ITEMSET_SIZE = 64
_INT64_SAFE = 2**62
P_ADJUST_METHODS: tuple[str, ...] = ("holm", "fdr", "none")
PAdjust = Literal["holm", "fdr", "none"]


def exact_fraction(value: float) -> Fraction:
    """The decimal number a user typed: the shortest repr of the float, as an exact fraction."""
    return Fraction(Decimal(repr(float(value))))


@dataclass(frozen=True)
class RuleThresholds:
    """Minimum support, confidence and lift, the itemset size range (items in A+C), and the
    rule-quality options: an absolute basket floor, consequent size, significance, redundancy.

    The defaults here are arules' (no floor, no test); the CLI defaults live in ``Settings``.
    """

    min_support: float = 0.001
    min_confidence: float = 0.1
    min_lift: float = 1.0
    min_len: int = 2
    max_len: int = 10
    min_count: int = 1
    max_consequent_len: int = 1
    max_p: float = 1.0
    p_adjust: PAdjust = "holm"
    prune_redundant: bool = False

    def __post_init__(self) -> None:
        self._check_ranges()
        self._check_quality_options()

    def _check_ranges(self) -> None:
        for name in ("min_support", "min_confidence"):
            value = getattr(self, name)
            if not _is_real(value) or not 0 < value <= 1:
                raise ConfigError(
                    f"{name.replace('_', '-')} must be a number in (0, 1], got {value!r}",
                    "e.g. --min-support 0.001 --min-confidence 0.3",
                )
        if not _is_real(self.min_lift) or not 0 <= self.min_lift < math.inf:
            raise ConfigError(
                f"min-lift must be a finite number >= 0, got {self.min_lift!r}",
                "rules with lift > min-lift are kept; 0 keeps every rule",
            )
        for name in ("min_len", "max_len"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(f"{name.replace('_', '-')} must be an integer, got {value!r}")
        if not 1 <= self.min_len <= self.max_len <= MAX_ITEMSET_SIZE:
            raise ConfigError(
                f"need 1 <= min-len <= max-len <= {MAX_ITEMSET_SIZE}, "
                f"got min-len {self.min_len} and max-len {self.max_len}",
                "min-len/max-len count the items of a whole rule (antecedent plus consequent)",
            )

    def _check_quality_options(self) -> None:
        for name, low in (("min_count", 1), ("max_consequent_len", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(
                    f"{name.replace('_', '-')} must be a whole number >= {low}, got {value!r}",
                    "e.g. --min-count 10 --max-consequent-len 1",
                )
        if not _is_real(self.max_p) or not 0 < self.max_p <= 1:
            raise ConfigError(
                f"max-p must be a number in (0, 1], got {self.max_p!r}",
                "e.g. --max-p 0.05; --max-p 1 turns the significance test off",
            )
        if self.p_adjust not in P_ADJUST_METHODS:
            raise ConfigError(f"unknown p-adjust method {self.p_adjust!r}", "use holm, fdr or none")

    def support_count(self, n_transactions: int) -> int:
        """Smallest itemset count with support >= min_support (exact, at least 1)."""
        fraction = exact_fraction(self.min_support)
        return max(1, -((-fraction.numerator * n_transactions) // fraction.denominator))

    def count_threshold(self, n_transactions: int) -> int:
        """The count a rule's itemset needs: the stricter of min_support and min_count."""
        return max(self.support_count(n_transactions), int(self.min_count))

    @property
    def tests_significance(self) -> bool:
        return float(self.max_p) < 1.0


def _is_real(value: object) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and not math.isnan(float(value))
    )


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
