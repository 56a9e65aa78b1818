"""The product catalog: unique realistic names, category prices and long-tailed popularity.

Calibration (see README figures): in UCI Online Retail the top 1 % of 3,922 stock codes carry 9.4 %
of invoice lines and the top 20 % carry 64 %; in Groceries (169 items) the top 20 % carry 66 %.
Unit prices there have p99 = 11.6x the median. Popularity here follows a Zipf-Mandelbrot law over
a category-weighted random ranking; prices are log-normal per category times size and brand tier,
rounded to charm prices (x.x9, or x.99 from $20).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from clustr_etl.dataset.csv_writer import flags, numbers, scaled_decimal, strings
from clustr_etl.simulate.vocabulary import CATEGORIES, CategorySpec

ZIPF_EXPONENT = 1.05
ZIPF_OFFSET = 10.0
# Brand position 0-1 are premium, 6-7 store brands.
BRAND_TIER = (1.35, 1.2, 1.05, 1.0, 1.0, 0.95, 0.85, 0.8)


@dataclass(frozen=True)
class Catalog:
    """Products as parallel arrays; product ``i`` has id ``i + 1``."""

    names: list[str]
    category: npt.NDArray[np.int16]  # index into CATEGORIES
    price_cents: npt.NDArray[np.int64]
    popularity: npt.NDArray[np.float64]  # share of background draws, sums to 1
    brand: npt.NDArray[np.int16]  # index into the category's brands
    noun: npt.NDArray[np.int16]  # index into the category's nouns: the subcategory
    # A reused real catalog (twins) names its own categories and subcategories:
    category_names: tuple[str, ...] | None = None  # indexed by ``category``
    subcategory_names: tuple[str, ...] | None = None  # one per product

    @property
    def n_products(self) -> int:
        return len(self.names)

    def single_quantity(self) -> npt.NDArray[np.float64]:
        """Probability that a line of each product has quantity 1."""
        per_category = np.array([spec.single_quantity for spec in CATEGORIES])
        return per_category[self.category]

    def subcategory(self, product: int) -> str:
        if self.subcategory_names is not None:
            return self.subcategory_names[product]
        return CATEGORIES[int(self.category[product])].nouns[int(self.noun[product])]

    def category_name(self, product: int) -> str:
        if self.category_names is not None:
            return self.category_names[int(self.category[product])]
        return CATEGORIES[int(self.category[product])].name

    def table(self) -> pa.Table:
        return pa.table(
            {
                "product_id": numbers(np.arange(1, self.n_products + 1), np.int32, pa.int32()),
                "name": strings(self.names),
                "category": strings([self.category_name(i) for i in range(self.n_products)]),
                "unit_price": scaled_decimal(self.price_cents, 10, 2),
                # Generated products have no retailer key (import fills it); all are merchandise.
                "sku": pa.nulls(self.n_products, pa.string()),
                "is_merchandise": flags(np.ones(self.n_products, dtype=np.bool_)),
                "subcategory": strings([self.subcategory(i) for i in range(self.n_products)]),
            }
        )


def build_catalog(n_products: int, rng: np.random.Generator) -> Catalog:
    shares = np.array([spec.share for spec in CATEGORIES])
    drawn = rng.choice(len(CATEGORIES), size=n_products, p=shares / shares.sum())
    category = np.sort(drawn).astype(np.int16)  # ids grouped by category, like a real catalog
    names: list[str] = [""] * n_products
    price = np.empty(n_products, dtype=np.float64)
    brand = np.zeros(n_products, dtype=np.int16)
    noun = np.zeros(n_products, dtype=np.int16)
    for index, spec in enumerate(CATEGORIES):
        members = np.flatnonzero(category == index)
        if members.size:
            _name_and_price(spec, members, names, price, rng, (brand, noun))
    traffic = np.array([spec.traffic for spec in CATEGORIES])[category]
    # Weighted random order (Efraimidis-Spirakis): high-traffic categories rank higher on average.
    keys = np.log(rng.random(n_products)) / traffic
    rank = np.empty(n_products, dtype=np.int64)
    rank[np.argsort(-keys, kind="stable")] = np.arange(n_products)
    weight = 1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT
    return Catalog(
        names=names,
        category=category,
        price_cents=charm_price_cents(price),
        popularity=weight / weight.sum(),
        brand=brand,
        noun=noun,
    )


def _name_and_price(
    spec: CategorySpec,
    members: npt.NDArray[np.int64],
    names: list[str],
    price: npt.NDArray[np.float64],
    rng: np.random.Generator,
    line: tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]],
) -> None:
    """Unique names (brand adjective noun size) and log-normal prices for one category;
    ``line`` receives each product's brand and noun (its product line)."""
    n_brands, n_adjectives, n_nouns = len(spec.brands), len(spec.adjectives), len(spec.nouns)
    capacity = spec.capacity
    picks = rng.permutation(capacity)
    noise = rng.lognormal(0.0, spec.price_sigma, size=members.size)
    for position, product in enumerate(members.tolist()):
        edition, slot = divmod(position, capacity)
        combo = int(picks[slot])
        combo, brand = divmod(combo, n_brands)
        combo, adjective = divmod(combo, n_adjectives)
        size, noun = divmod(combo, n_nouns)
        label, size_factor = spec.sizes[size]
        line[0][product], line[1][product] = brand, noun
        name = f"{spec.brands[brand]} {spec.adjectives[adjective]} {spec.nouns[noun]} {label}"
        pack = edition + 1
        names[product] = name if pack == 1 else f"{name} {pack}-Pack"
        tier = BRAND_TIER[brand % len(BRAND_TIER)]
        price[product] = spec.median_price * size_factor * tier * float(noise[position]) * pack


def charm_price_cents(price: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Round to retail price points: x.x9 below $20, x.99 from $20; at least $0.49."""
    dimes = np.maximum(np.rint(price * 10.0), 5).astype(np.int64) * 10 - 1
    dollars = np.rint(price).astype(np.int64) * 100 - 1
    return np.where(price < 20.0, dimes, dollars)
