"""Seeded 95 % percentile-bootstrap intervals over test baskets, the same resamples for every method.

A resample draws the baskets that have cases with replacement; a case-mean metric is then
(sum of its per-basket sums) / (cases in the drawn baskets), as on the full sample. Catalogue
coverage counts the items recommended in some drawn basket; an item recommended in at least
``ALWAYS_DRAWN`` different baskets counts in every resample (missing all of them has a chance
below e^-50), so only the rarer items are counted per resample.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clustr_etl.evaluation.metrics import CASE_METRICS, MethodTotals
from clustr_etl.evaluation.options import DEFAULT_RESAMPLES

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]
CONFIDENCE = 0.95
ALWAYS_DRAWN = 50
_CHUNK = 50


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, float | None]:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high}


def bootstrap_intervals(
    totals: dict[str, MethodTotals],
    cases: FloatArray,
    n_items: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, dict[str, Interval]]:
    """Per method and metric the value on all cases and its 95 % bootstrap interval."""
    used = np.flatnonzero(cases > 0)
    names = [(m, metric) for m in totals for metric in (*CASE_METRICS, "popularity_rank")]
    numerators = np.column_stack([_numerator(totals[m], metric)[used] for m, metric in names])
    denominators = np.column_stack(
        [_denominator(totals[m], metric, cases)[used] for m, metric in names]
    )
    catalogue = {m: _Catalogue(totals[m], used, n_items) for m in totals}
    rng = np.random.default_rng(seed)
    ratio_draws: list[FloatArray] = []
    cover_draws: dict[str, list[FloatArray]] = {m: [] for m in totals}
    for start in range(0, resamples, _CHUNK):
        weights = _resample_weights(rng, min(_CHUNK, resamples - start), used.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio_draws.append((weights @ numerators) / (weights @ denominators))
        by_basket = np.ascontiguousarray(weights.T)  # baskets x draws, for the sparse products
        for method, counter in catalogue.items():
            cover_draws[method].append(counter.coverage(by_basket))
    draws = np.vstack(ratio_draws)
    with np.errstate(invalid="ignore", divide="ignore"):
        point = numerators.sum(axis=0) / denominators.sum(axis=0)
    result: dict[str, dict[str, Interval]] = {m: {} for m in totals}
    for column, (method, metric) in enumerate(names):
        result[method][metric] = _interval(point[column], draws[:, column])
    for method, counter in catalogue.items():
        result[method]["catalogue_coverage"] = _interval(
            counter.full_coverage(), np.concatenate(cover_draws[method])
        )
    return result


def _numerator(totals: MethodTotals, metric: str) -> FloatArray:
    return totals.rank_sum if metric == "popularity_rank" else totals.sums[metric]


def _denominator(totals: MethodTotals, metric: str, cases: FloatArray) -> FloatArray:
    return totals.recommended if metric == "popularity_rank" else cases


def _resample_weights(rng: np.random.Generator, draws: int, n_baskets: int) -> FloatArray:
    """How often each basket is drawn in each of ``draws`` resamples (draws x baskets)."""
    picks = rng.integers(0, n_baskets, size=(draws, n_baskets), dtype=np.int32)
    picks += (np.arange(draws, dtype=np.int32) * n_baskets)[:, None]
    counts = np.bincount(picks.ravel(), minlength=draws * n_baskets)
    return counts.reshape(draws, n_baskets).astype(np.float64)


class _Catalogue:
    """Catalogue coverage of one method: the full figure and per resample."""

    def __init__(self, totals: MethodTotals, used: Int64Array, n_items: int):
        pairs = totals.basket_items()
        basket, item = pairs // n_items, pairs % n_items
        index = np.full(int(used[-1]) + 1 if used.size else 0, -1, dtype=np.int64)
        index[used] = np.arange(used.size)
        position = index[basket]
        per_item = np.bincount(item, minlength=n_items)
        self.n_items = n_items
        self.distinct = int((per_item > 0).sum())
        self.always = int((per_item >= ALWAYS_DRAWN).sum())
        rare_items = np.flatnonzero((per_item > 0) & (per_item < ALWAYS_DRAWN))
        column = np.full(n_items, -1, dtype=np.int64)
        column[rare_items] = np.arange(rare_items.size)
        rare = column[item] >= 0
        ones = np.ones(int(rare.sum()), dtype=np.float64)
        self.rare_by_item = sp.csr_matrix(
            (ones, (column[item[rare]], position[rare])), shape=(rare_items.size, used.size)
        )

    def full_coverage(self) -> float:
        return self.distinct / self.n_items if self.n_items else 0.0

    def coverage(self, by_basket: FloatArray) -> FloatArray:
        drawn = np.asarray(self.rare_by_item @ by_basket)  # rare items x draws: times recommended
        counts = (drawn > 0).sum(axis=0) + self.always
        return np.asarray(counts, dtype=np.float64) / max(self.n_items, 1)


def _interval(value: float, draws: FloatArray) -> Interval:
    if not np.isfinite(value):
        return Interval(None, None, None)
    tail = (1 - CONFIDENCE) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(draws, [tail, 100 - tail])
    if not np.isfinite(low):
        return Interval(float(value), None, None)
    return Interval(float(value), float(low), float(high))
