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


def write_basket_file_fast(
    path: Path, n_baskets: int, n_items: int, mean_size: float = 4.0, seed: int = 20240605
) -> None:
    """The same kind of workload written with numpy only (seconds at 10M baskets): baskets of
    1 + Poisson(mean_size - 1) Zipf-like draws (repeats kept once), some with a planted bundle;
    labels ``i`` plus a fixed number of digits. Same arguments, same file."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(n_items) + 5.0)
    cumulative = np.cumsum(weights / weights.sum())
    bundles = _planted_bundles(rng, n_items)
    width = len(str(n_items - 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for first in range(0, n_baskets, 1_000_000):
            count = min(1_000_000, n_baskets - first)
            sizes = 1 + rng.poisson(mean_size - 1.0, size=count)
            basket = np.repeat(np.arange(count, dtype=np.int64), sizes)
            draws = np.searchsorted(cumulative, rng.random(basket.size), side="right")
            planted = np.flatnonzero(rng.random(count) < PLANTED_SHARE)
            chosen = rng.integers(0, len(bundles), size=planted.size)
            extra_basket = [
                np.repeat(planted[chosen == b], len(bundles[b])) for b in range(len(bundles))
            ]
            extra_items = [
                np.tile(bundles[b], int((chosen == b).sum())) for b in range(len(bundles))
            ]
            keys = np.unique(
                np.concatenate([basket, *extra_basket]) * n_items
                + np.concatenate([np.minimum(draws, n_items - 1), *extra_items])
            )
            handle.write(basket_bytes(keys // n_items, keys % n_items, width))


def basket_bytes(basket: np.ndarray, item: np.ndarray, width: int, prefix: str = "i") -> bytes:
    """``i<digits>`` per item, ``,`` between items of a basket, a newline after each basket."""
    cells = np.empty((item.size, width + 2), dtype=np.uint8)
    cells[:, 0] = ord(prefix)
    value = item.copy()
    for column in range(width, 0, -1):
        cells[:, column] = ord("0") + value % 10
        value //= 10
    last = np.ones(item.size, dtype=bool)
    last[:-1] = basket[1:] != basket[:-1]
    cells[:, width + 1] = np.where(last, ord("\n"), ord(","))
    return cells.tobytes()
