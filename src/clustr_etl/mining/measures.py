"""Interest measures of rules ``A => C`` from exact counts, and their one-sided Fisher p-values.

With N baskets, n(A), n(C), n(AC) and s(X) = n(X)/N (as mlxtend >= 0.23 defines them):

* support = s(AC), confidence = n(AC)/n(A), lift = n(AC)*N / (n(A)*n(C)),
  leverage = s(AC) - s(A)s(C), conviction = (1 - s(C)) / (1 - confidence) (inf at confidence 1);
* zhangs_metric = leverage / max(s(AC)(1 - s(A)), s(A)(s(C) - s(AC))) (0 when that is 0);
* jaccard = s(AC) / (s(A) + s(C) - s(AC)); certainty = (confidence - s(C)) / (1 - s(C)) (0 when
  s(C) = 1); kulczynski = (n(AC)/n(A) + n(AC)/n(C)) / 2;
* p_value: one-sided Fisher exact test of "A and C independent" against positive association,
  P(X >= n(AC)) for X ~ Hypergeometric(N, n(C), n(A)) (arules' ``is.significant``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]
IntArray = npt.NDArray[np.signedinteger[Any]]  # counts as int64, or int32 where they fit


def rule_measures(
    rule_count: Int64Array, antecedent_count: Int64Array, consequent_count: Int64Array, n: int
) -> dict[str, FloatArray]:
    """Every float measure of the rules table, by column name."""
    r = rule_count.astype(np.float64)
    a = antecedent_count.astype(np.float64)
    c = consequent_count.astype(np.float64)
    lift, confidence, s_ac = sort_measures(rule_count, antecedent_count, consequent_count, n)
    s_a, s_c = a / n, c / n
    leverage = (rule_count * n - antecedent_count * consequent_count) / float(n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(
            antecedent_count == rule_count,
            np.inf,
            (a * (n - c)) / (n * (a - r)),
        )
        zhang_denominator = np.maximum(s_ac * (1 - s_a), s_a * (s_c - s_ac))
        zhang = np.where(zhang_denominator == 0, 0.0, leverage / zhang_denominator)
        certainty = np.where(s_c == 1, 0.0, (confidence - s_c) / (1 - s_c))
    return {
        "support": s_ac,
        "confidence": confidence,
        "lift": lift,
        "leverage": leverage,
        "conviction": conviction.astype(np.float64),
        "zhangs_metric": zhang.astype(np.float64),
        "jaccard": s_ac / (s_a + s_c - s_ac),
        "certainty": certainty.astype(np.float64),
        "kulczynski": (r / a + r / c) / 2,
        "antecedent_support": s_a,
        "consequent_support": s_c,
        "p_value": fisher_greater(rule_count, antecedent_count, consequent_count, n),
    }


def sort_measures(
    rule_count: IntArray, antecedent_count: IntArray, consequent_count: IntArray, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Lift, confidence and support: the measures the rules are ordered by (the same floats as
    the rules table's columns, so an order computed on them is the table's order)."""
    r = rule_count.astype(np.float64)
    a = antecedent_count.astype(np.float64)
    c = consequent_count.astype(np.float64)
    return (r * n) / (a * c), r / a, r / n


def fisher_greater(
    rule_count: IntArray, antecedent_count: IntArray, consequent_count: IntArray, n: int
) -> FloatArray:
    """One-sided (greater) Fisher exact p-values of the 2x2 tables, vectorised (numpy only).

    P(X >= r) for X ~ Hypergeometric(N, n(C), n(A)): the pmf at the starting point (log-gamma),
    then the ratio recurrence pmf(x+1)/pmf(x) summed until the terms no longer count. Above the
    mode the upper tail is summed; at or below it, 1 - the lower tail (both sums then decrease
    from their first term, so they converge in a few standard deviations of X).
    """
    r = rule_count.astype(np.float64)
    a = antecedent_count.astype(np.float64)
    c = consequent_count.astype(np.float64)
    mode = np.floor((a + 1) * (c + 1) / (n + 2))
    upper = r > mode
    p = np.empty(r.size, dtype=np.float64)
    p[upper] = _tail_sum(r[upper], a[upper], c[upper], n, step=1)
    below = ~upper
    start = r[below] - 1  # P(X >= r) = 1 - P(X <= r - 1)
    lowest = np.maximum(0.0, a[below] + c[below] - n)
    lower_tail = np.where(
        start >= lowest, _tail_sum(np.maximum(start, lowest), a[below], c[below], n, step=-1), 0.0
    )
    p[below] = 1.0 - lower_tail
    return np.clip(p, 0.0, 1.0)


TAIL_BLOCK = 256  # most recurrence steps taken at once (a cumulative product per block)
FIRST_BLOCK = 16  # the first block: most tails of strong rules end within a few steps
TAIL_ROWS = 4_096  # tables summed together (bounds memory: a few arrays of rows x block floats)


def _tail_sum(start: FloatArray, a: FloatArray, c: FloatArray, n: int, step: int) -> FloatArray:
    """Sum of the hypergeometric pmf from ``start`` outwards (step +1 up, -1 down), a batch of
    TAIL_ROWS tables at a time."""
    total = np.zeros(start.size, dtype=np.float64)
    for lo in range(0, start.size, TAIL_ROWS):
        hi = lo + TAIL_ROWS
        total[lo:hi] = _tail_sum_rows(start[lo:hi], a[lo:hi], c[lo:hi], n, step)
    return total


def _tail_sum_rows(
    start: FloatArray, a: FloatArray, c: FloatArray, n: int, step: int
) -> FloatArray:
    """The tail sums of a few tables; blocks of steps double from FIRST_BLOCK up to TAIL_BLOCK.

    The ratio of neighbouring terms is 0 at the end of the support, so terms past it vanish.
    """
    term = np.exp(_log_pmf(start, a, c, n))
    total = term.copy()
    x = start.copy()
    block = FIRST_BLOCK
    active = np.flatnonzero(term > 0)
    while active.size:
        offsets = np.arange(block, dtype=np.float64) * step
        xs = x[active, None] + offsets  # the x each ratio steps away from
        aa, cc = a[active, None], c[active, None]
        if step > 0:
            ratio = (aa - xs) * (cc - xs) / ((xs + 1) * (n - aa - cc + xs + 1))
        else:
            ratio = xs * (n - aa - cc + xs) / ((cc - xs + 1) * (aa - xs + 1))
        terms = term[active, None] * np.cumprod(np.maximum(ratio, 0.0), axis=1)
        total[active] += terms.sum(axis=1)
        term[active] = terms[:, -1]
        x[active] += block * step
        done = term[active] <= total[active] * 1e-17
        active = active[~done]
        block = min(block * 2, TAIL_BLOCK)
    return total


def _log_pmf(x: FloatArray, a: FloatArray, c: FloatArray, n: int) -> FloatArray:
    """log P(X = x): log C(c, x) + log C(N - c, a - x) - log C(N, a)."""
    return _log_choose(c, x) + _log_choose(n - c, a - x) - _log_choose(np.full_like(a, n), a)


_LGAMMA = np.frompyfunc(math.lgamma, 1, 1)


def _log_choose(total: FloatArray, k: FloatArray) -> FloatArray:
    values = _LGAMMA(total + 1) - _LGAMMA(k + 1) - _LGAMMA(total - k + 1)
    return np.asarray(values, dtype=np.float64)


def adjust_p_values(p_values: FloatArray, method: str) -> FloatArray:
    """Holm (family-wise) or Benjamini-Hochberg ("fdr") adjusted p-values; "none" returns them."""
    if method == "none" or p_values.size == 0:
        return p_values
    m = p_values.size
    order = np.argsort(p_values, kind="stable")
    ranked = p_values[order]
    if method == "fdr":  # Benjamini-Hochberg: min over larger ranks of p * m / rank
        scaled = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:  # Holm: max over smaller ranks of p * (m - rank + 1)
        scaled = np.maximum.accumulate(ranked * (m - np.arange(m)))
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(scaled, 1.0)
    return adjusted
