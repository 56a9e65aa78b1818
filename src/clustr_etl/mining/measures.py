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

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]


def rule_measures(
    rule_count: Int64Array, antecedent_count: Int64Array, consequent_count: Int64Array, n: int
) -> dict[str, FloatArray]:
    """Every float measure of the rules table, by column name."""
    r = rule_count.astype(np.float64)
    a = antecedent_count.astype(np.float64)
    c = consequent_count.astype(np.float64)
    s_ac, s_a, s_c = r / n, a / n, c / n
    confidence = r / a
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
        "lift": (r * n) / (a * c),
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


def fisher_greater(
    rule_count: Int64Array, antecedent_count: Int64Array, consequent_count: Int64Array, n: int
) -> FloatArray:
    """One-sided (greater) Fisher exact p-values of the 2x2 tables, vectorised."""
    from scipy.stats import hypergeom

    if rule_count.size == 0:
        return np.zeros(0, dtype=np.float64)
    p = hypergeom.sf(rule_count - 1, n, consequent_count, antecedent_count)
    return np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)


def adjust_p_values(p_values: FloatArray, method: str) -> FloatArray:
    """Holm (family-wise) or Benjamini-Hochberg ("fdr") adjusted p-values; "none" returns them."""
    if method == "none" or p_values.size == 0:
        return p_values
    if method == "fdr":
        from scipy.stats import false_discovery_control

        return np.asarray(false_discovery_control(p_values, method="bh"), dtype=np.float64)
    m = p_values.size
    order = np.argsort(p_values, kind="stable")
    scaled = np.maximum.accumulate(p_values[order] * (m - np.arange(m)))
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(scaled, 1.0)
    return adjusted
