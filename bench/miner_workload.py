"""Deterministic market-basket workload for bench_miner.py: Zipf-like items plus planted bundles.

Baskets have 1 + Poisson(3) distinct items (mean about 4) drawn from ``n_items`` labels with
popularity proportional to 1 / (rank + 5); some baskets also get one of a few planted pairs or
triples, so there are strong rules of size 2 and 3 above the noise. Same arguments, same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PLANTED_PAIRS = 12
PLANTED_TRIPLES = 8
PLANTED_SHARE = 0.08  # share of baskets that receive one planted bundle


def generate_basket_file(path: Path, n_baskets: int, n_items: int, seed: int = 20240605) -> None:
    """Write ``n_baskets`` comma-separated baskets (labels ``i0001``...) to ``path``."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(n_items) + 5.0)
    weights /= weights.sum()
    sizes = 1 + rng.poisson(3.0, size=n_baskets)
    draws = rng.choice(n_items, size=int(sizes.sum()), p=weights)
    bundles = _planted_bundles(rng, n_items)
    planted = rng.random(n_baskets) < PLANTED_SHARE
    bundle_of = rng.integers(0, len(bundles), size=n_baskets)
    labels = [f"i{code:04d}" for code in range(n_items)]
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    draw_list = draws.tolist()
    lines = []
    for basket in range(n_baskets):
        items = set(draw_list[bounds[basket] : bounds[basket + 1]])
        if planted[basket]:
            items.update(bundles[bundle_of[basket]])
        lines.append(",".join(labels[i] for i in sorted(items)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _planted_bundles(rng: np.random.Generator, n_items: int) -> list[tuple[int, ...]]:
    """Bundles of mid-popularity items (ranks 50..800) so they stand out from the Zipf noise."""
    pool = rng.permutation(np.arange(50, min(800, n_items)))
    bundles: list[tuple[int, ...]] = []
    position = 0
    for size, count in ((2, PLANTED_PAIRS), (3, PLANTED_TRIPLES)):
        for _ in range(count):
            bundles.append(tuple(int(i) for i in pool[position : position + size]))
            position += size
    return bundles
