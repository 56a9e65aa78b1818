"""Coherent bundle candidates in a catalog: product families and curated complements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from clustr_etl.simulate.catalog import Catalog
from clustr_etl.simulate.themes import COMPLEMENTS, Complement
from clustr_etl.simulate.vocabulary import CATEGORIES


@dataclass(frozen=True)
class Candidate:
    """Products that belong together (the first is the anchor), and why."""

    items: tuple[int, ...]
    kind: str  # family | complement | seasonal
    theme: str
    months: tuple[int, ...] = ()  # 1-12; empty: all year


def family_candidates(catalog: Catalog, rng: np.random.Generator) -> list[Candidate]:
    """Product lines with at least two variants (same brand and subcategory), in random order.

    A line with three or more variants gives a triple, else a pair.
    """
    lines: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for product in range(catalog.n_products):
        key = (
            int(catalog.category[product]),
            int(catalog.brand[product]),
            int(catalog.noun[product]),
        )
        lines[key].append(product)
    found = []
    for (category, brand, noun), members in sorted(lines.items()):
        if len(members) < 2:
            continue
        spec = CATEGORIES[category]
        chosen = [int(i) for i in rng.permutation(members)[: min(3, len(members))]]
        found.append(Candidate(tuple(chosen), "family", f"{spec.brands[brand]} {spec.nouns[noun]}"))
    return [found[i] for i in rng.permutation(len(found))]


def _by_subcategory(catalog: Catalog) -> dict[str, list[int]]:
    members: dict[str, list[int]] = defaultdict(list)
    for product in range(catalog.n_products):
        members[catalog.subcategory(product)].append(product)
    return members


def _complement(
    catalog: Catalog,
    theme: Complement,
    members: dict[str, list[int]],
    rng: np.random.Generator,
) -> Candidate | None:
    pools = [members.get(name, []) for name in theme.subcategories]
    if not all(pools):
        return None
    if theme.same_brand:
        brands = set.intersection(*({int(catalog.brand[p]) for p in pool} for pool in pools))
        if brands:
            brand = sorted(brands)[int(rng.integers(len(brands)))]
            pools = [[p for p in pool if catalog.brand[p] == brand] for pool in pools]
    items = tuple(int(pool[int(rng.integers(len(pool)))]) for pool in pools)
    return Candidate(items, theme.kind, theme.theme, theme.months)


def complement_candidates(catalog: Catalog, rng: np.random.Generator) -> list[Candidate]:
    """One candidate per curated theme whose subcategories the catalog has (seasonal first)."""
    members = _by_subcategory(catalog)
    found = [_complement(catalog, theme, members, rng) for theme in COMPLEMENTS]
    present = [candidate for candidate in found if candidate is not None]
    order = [present[i] for i in rng.permutation(len(present))]
    return sorted(order, key=lambda candidate: candidate.kind != "seasonal")
