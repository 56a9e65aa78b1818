"""Planted bundles: coherent product pairs and triples bought together far more often than chance.

A planted bundle ``B`` (a product family or a curated complement, see :mod:`themes` and
:mod:`candidates`) is put whole into a share ``q`` of all baskets (among baskets with at least
``|B|`` lines), on top of the popularity-driven lines. Its products first get popularity ranks in
bands where real-looking lifts are reachable (``PAIR_BAND``; a triple's anchor in
``ANCHOR_BAND``, its companions in ``TRIPLE_BAND``). ``q`` is chosen so that the bundle's weakest
item pair has the target lift ``strength`` (log-uniform in ``STRENGTH_RANGE`` for pairs, like
strong real pairs; ``TRIPLE_STRENGTH_RANGE`` for triples, whose {i, j} -> k rules then reach
15-40, like Online Retail's tight families), raised when needed so that the bundle has support
>= ``PLANT_MIN_SUPPORT`` and its best single-consequent rule has confidence >=
``PLANT_MIN_CONFIDENCE`` - 1.5x the mining defaults (min_support 0.001, min_confidence 0.1), so
mining finds every bundle robustly.

``planted_bundles.csv``: ``bundle_id``, ``product_ids`` ("|"-joined, ascending), ``strength``
= the planted lift of the bundle's weakest item pair, P(i and j) / (P(i) P(j)), from the
generator's expected marginals (measured lifts land within 0.8-1.2x at 100k transactions),
``kind`` (family | complement | seasonal) and ``theme``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.simulate.candidates import Candidate, complement_candidates, family_candidates
from clustr_etl.simulate.catalog import Catalog

STRENGTH_RANGE = (3.0, 15.0)  # pairs: the lifts of strong real pairs (Groceries 3-15)
TRIPLE_STRENGTH_RANGE = (2.0, 5.0)  # a triple's weakest pair; its {i, j} -> k rules reach 15-45
TRIPLE_SHARE = 5  # one bundle in five is a triple
PLANT_MIN_SUPPORT = 0.0015
PLANT_MIN_CONFIDENCE = 0.15
MAX_PRESENCE = 0.12  # the very top products would need q so large that they dominate baskets
HEAD_PRESENCE = 0.03
ANCHOR_BAND = (HEAD_PRESENCE, MAX_PRESENCE)  # a triple's anchor
TRIPLE_BAND = (0.015, HEAD_PRESENCE)  # triple rules {i, j} -> k have lift ~ confidence / P(k)
PAIR_BAND = (0.006, 0.05)  # both items of a pair
PLACEMENT_TRIES = 4
PRODUCTS_PER_BUNDLE = 50
MAX_BUNDLES = 20


@dataclass(frozen=True)
class Bundle:
    items: tuple[int, ...]  # 0-based product indices, ascending
    strength: float  # planted lift of the weakest item pair
    probability: float  # share q of all baskets that get the bundle planted
    kind: str = "complement"  # family | complement | seasonal
    theme: str = ""
    months: tuple[int, ...] = ()  # planted only in these months (1-12); empty: all year

    def product_ids(self) -> str:
        return ITEM_SEPARATOR.join(str(item + 1) for item in self.items)


class Background:
    """Presence probabilities of products under popularity draws alone, for a basket-size law."""

    def __init__(self, popularity: npt.NDArray[np.float64], size_pmf: npt.NDArray[np.float64]):
        self.popularity = popularity.copy()
        self.size_pmf = size_pmf  # size_pmf[k] = P(basket has k + 1 lines)
        self.sizes = np.arange(1, size_pmf.size + 1, dtype=np.float64)
        self.presence = self.joint([*range(popularity.size)], each=True)

    def _per_size(self, items: list[int]) -> npt.NDArray[np.float64]:
        weight = self.popularity[items][:, None]
        return 1.0 - (1.0 - weight) ** self.sizes[None, :]

    def joint(self, items: list[int], each: bool = False) -> npt.NDArray[np.float64]:
        """P(all items present) (or, with ``each``, P(item present) for every item)."""
        per_size = self._per_size(items)
        if each:
            return per_size @ self.size_pmf
        return np.asarray(np.prod(per_size, axis=0) @ self.size_pmf)

    def swap(self, first: int, second: int) -> None:
        """Exchange two products' popularity (the popularity curve stays the same)."""
        for values in (self.popularity, self.presence):
            values[[first, second]] = values[[second, first]]

    def at_least(self, size: int) -> float:
        return float(self.size_pmf[size - 1 :].sum())


def _q_for_pair_lift(p_i: float, p_j: float, p_ij: float, lift: float) -> float:
    """Smallest q >= 0 with (q + p_ij) / ((q + p_i)(q + p_j)) = lift, or inf if unreachable."""
    b = lift * (p_i + p_j) - 1.0
    c = lift * p_i * p_j - p_ij
    if c <= 0:
        return 0.0
    disc = b * b - 4.0 * lift * c
    if disc < 0 or b >= 0:
        return math.inf
    return (-b - math.sqrt(disc)) / (2.0 * lift)


def _bundle_probability(background: Background, items: list[int], lift: float) -> float:
    presence = background.presence
    return max(
        _q_for_pair_lift(
            float(presence[i]), float(presence[j]), float(background.joint([i, j])), lift
        )
        for i, j in itertools.combinations(items, 2)
    )


def _acceptable(background: Background, items: list[int], q: float) -> bool:
    if not math.isfinite(q) or q >= background.at_least(len(items)) / MAX_BUNDLES:
        return False
    support = q + float(background.joint(items))
    smallest_antecedent = min(
        q + float(background.joint(list(rest)))
        for rest in itertools.combinations(items, len(items) - 1)
    )
    return support >= PLANT_MIN_SUPPORT and support / smallest_antecedent >= PLANT_MIN_CONFIDENCE


def _plant(
    background: Background, items: list[int], target: float, highest: float
) -> Bundle | None:
    """The bundle at the target lift, or at the least lift up to ``highest`` that is minable;
    else None."""
    low, high = target, highest
    if _acceptable(background, items, _bundle_probability(background, items, low)):
        high = low
    elif not _acceptable(background, items, _bundle_probability(background, items, high)):
        return None
    else:
        for _ in range(40):
            middle = (low + high) / 2
            if _acceptable(background, items, _bundle_probability(background, items, middle)):
                high = middle
            else:
                low = middle
    strength = round(high, 3)
    q = _bundle_probability(background, items, strength)
    return Bundle(tuple(sorted(items)), strength, q)


def _in_range(background: Background, low: float, high: float, locked: set[int]) -> list[int]:
    presence = background.presence
    inside = np.flatnonzero((presence >= low) & (presence < high))
    return [int(i) for i in inside if int(i) not in locked]


def _promote(
    background: Background,
    product: int,
    band: tuple[float, float],
    locked: set[int],
    rng: np.random.Generator,
) -> bool:
    """Give ``product`` a popularity inside ``band`` (swapping with an unlocked product)."""
    if band[0] <= background.presence[product] < band[1]:
        return True
    pool = _in_range(background, *band, locked)
    if not pool:
        return False
    background.swap(product, pool[int(rng.integers(len(pool)))])
    return True


def _place(
    background: Background,
    candidate: Candidate,
    strength: tuple[float, float],
    locked: set[int],
    rng: np.random.Generator,
) -> Bundle | None:
    """Plant a candidate at the target lift, first moving its products into the popularity bands
    where the planted lifts and rule confidences look like real data's."""
    triple = len(candidate.items) == 3
    low, high = strength
    target = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    bands = [ANCHOR_BAND, TRIPLE_BAND, TRIPLE_BAND] if triple else [PAIR_BAND, PAIR_BAND]
    for _ in range(PLACEMENT_TRIES):
        guard = locked | set(candidate.items)
        placed = all(
            _promote(background, item, band, guard - {item}, rng)
            for item, band in zip(candidate.items, bands, strict=True)
        )
        bundle = _plant(background, list(candidate.items), target, high) if placed else None
        if bundle is not None:
            return replace(
                bundle, kind=candidate.kind, theme=candidate.theme, months=candidate.months
            )
        pool = _in_range(background, 0.0, 1.0, guard)
        for item in candidate.items if pool else ():  # try other popularity ranks
            background.swap(item, pool[int(rng.integers(len(pool)))])
    return None


def _queue(catalog: Catalog, rng: np.random.Generator) -> list[Candidate]:
    """Complements (seasonal first) and families, alternating, so a default run has both."""
    complements = complement_candidates(catalog, rng)
    families = family_candidates(catalog, rng)
    queue: list[Candidate] = []
    for pair in itertools.zip_longest(complements, families):
        queue.extend(candidate for candidate in pair if candidate is not None)
    return queue


def plan_bundles(
    background: Background, catalog: Catalog, rng: np.random.Generator
) -> list[Bundle]:
    """Disjoint coherent bundles: product families and curated complements (some seasonal).

    Each bundle's anchor gets a popular rank (presence in ``ANCHOR_BAND``) and its companions
    ranks in the body, by exchanging popularity with other products (the popularity curve is
    unchanged); ``background`` holds the new popularity afterwards.
    """
    wanted = min(MAX_BUNDLES, background.popularity.size // PRODUCTS_PER_BUNDLE)
    triples = wanted // TRIPLE_SHARE
    locked: set[int] = set()
    bundles: list[Bundle] = []
    for candidate in _queue(catalog, rng):
        if len(bundles) >= wanted:
            break
        if len(candidate.items) == 3 and not triples:
            candidate = replace(candidate, items=candidate.items[:2])
        if locked.intersection(candidate.items):
            continue
        strength = TRIPLE_STRENGTH_RANGE if len(candidate.items) == 3 else STRENGTH_RANGE
        bundle = _place(background, candidate, strength, locked, rng)
        if bundle is not None:
            bundles.append(bundle)
            locked.update(candidate.items)
            triples -= len(candidate.items) == 3
    return bundles
