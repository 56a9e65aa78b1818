"""Everything fixed before transactions are drawn: catalog, customers, calendar, sizes, bundles.

Random streams: every table and every transaction block draws from its own generator,
``SeedSequence(seed, spawn_key=(stream, index))``, so the output never depends on how blocks are
grouped into chunks or spread over workers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from clustr_etl.dataset.csv_writer import money_texts
from clustr_etl.simulate.bundles import Background, Bundle, plan_bundles
from clustr_etl.simulate.calendar import Calendar, build_calendar
from clustr_etl.simulate.catalog import Catalog, build_catalog
from clustr_etl.simulate.customers import SEGMENTS, Customers, build_customers
from clustr_etl.simulate.guides import GuideTable, RowGuideTable
from clustr_etl.simulate.options import BLOCK_SIZE, GenerateOptions
from clustr_etl.simulate.sizes import segment_size_laws

STREAM_CATALOG, STREAM_CUSTOMERS, STREAM_DAYS, STREAM_BUNDLES = 0, 1, 2, 3
STREAM_HEADER, STREAM_LINES = 10, 11
# Batches (``generate --next-days``): keyed by the batch's first day (index from the start date).
STREAM_BATCH_DAYS, STREAM_BATCH_CUSTOMERS = 20, 21


def stream_rng(seed: int, stream: int, index: int = 0, *more: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, index, *more)))
    )


@dataclass(frozen=True)
class BasketModel:
    """What a worker needs to draw any block of transactions (picklable, no Python objects)."""

    seed: int
    n_transactions: int
    epoch_day0: int
    day_start: npt.NDArray[np.int64]  # first transaction index of each day (len days + 1)
    eligible: npt.NDArray[np.int64]  # customers signed up on or before each day
    visit_cumsum: npt.NDArray[np.float64]  # cumulative visit weights in customer-id order
    customer_segment: npt.NDArray[np.int8]
    size_cdf: npt.NDArray[np.float64]  # (segments, cap) cumulative size law
    popularity_cdf: npt.NDArray[np.float64]
    popularity_guide: npt.NDArray[np.int64]  # guide[j] = first product with cdf > j / len(guide)
    price_cents: npt.NDArray[np.int64]
    single_quantity: npt.NDArray[np.float64]
    segment_discount: npt.NDArray[np.float64]
    day_discount: npt.NDArray[np.float64]
    bundle_items: npt.NDArray[np.int64]  # (bundles, 3), -1 padded
    bundle_size: npt.NDArray[np.int64]
    day_month: npt.NDArray[np.int64]  # calendar month (0-11) of each day
    bundle_cumprob: npt.NDArray[np.float64]  # (12, bundles) cumulative activation per month
    quantity_values: npt.NDArray[np.int64]  # a fitted quantity law (twins); empty: built-in law
    quantity_cdf: npt.NDArray[np.float64]
    # A batch continues the ids after the base's and draws from streams of its own.
    first_transaction_id: int = 0  # ids start after this one
    stream_suffix: tuple[int, ...] = ()  # appended to each block's spawn key

    @property
    def n_blocks(self) -> int:
        return -(-self.n_transactions // BLOCK_SIZE)

    @property
    def n_products(self) -> int:
        return int(self.price_cents.size)

    @functools.cached_property
    def price_texts(self) -> pa.Array:
        """Each product's unit price as the CSV writes it (``"3.49"``)."""
        return money_texts(self.price_cents, 10, 2)

    @functools.cached_property
    def customer_guide(self) -> GuideTable:
        """Draws customers by visit weight (as ``searchsorted(visit_cumsum, ...)``)."""
        return GuideTable.build(self.visit_cumsum)

    @functools.cached_property
    def size_guide(self) -> RowGuideTable:
        """Draws basket sizes by segment (as ``searchsorted(size_cdf[segment], ...)``)."""
        return RowGuideTable.build(self.size_cdf)


@dataclass(frozen=True)
class Plan:
    options: GenerateOptions
    calendar: Calendar
    catalog: Catalog
    customers: Customers
    bundles: list[Bundle]
    model: BasketModel


def _segment_transaction_share(
    customers: Customers, expected_per_day: npt.NDArray[np.float64], eligible: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Expected share of transactions per segment (customers are drawn among those signed up)."""
    total = np.cumsum(customers.visit_weight)[eligible - 1]
    shares = np.empty(len(SEGMENTS))
    for index in range(len(SEGMENTS)):
        weight = np.where(customers.segment == index, customers.visit_weight, 0.0)
        shares[index] = float(expected_per_day @ (np.cumsum(weight)[eligible - 1] / total))
    return np.asarray(shares / shares.sum(), dtype=np.float64)


def _monthly_activation(
    bundles: list[Bundle],
    background: Background,
    calendar: Calendar,
    busyness: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """(12, bundles): probability that an eligible basket of each month gets each bundle.

    A seasonal bundle is planted only in its months, as often there as it takes to reach its
    share ``q`` of all baskets over the whole calendar (so its lift in season is higher).
    """
    share = busyness / busyness.sum()
    by_month = np.bincount(calendar.month.astype(np.int64) - 1, weights=share, minlength=12)
    activation = np.zeros((12, len(bundles)))
    for column, bundle in enumerate(bundles):
        base = bundle.probability / background.at_least(len(bundle.items))
        if not bundle.months:
            activation[:, column] = base
            continue
        months = np.array(bundle.months) - 1
        in_season = float(by_month[months].sum())
        if in_season > 0:
            activation[months, column] = min(1.0, base / in_season)
    return activation


def build_plan(options: GenerateOptions) -> Plan:
    seed = options.seed
    calendar = build_calendar(options.start_date, options.days)
    catalog = build_catalog(options.products, stream_rng(seed, STREAM_CATALOG))
    customers = build_customers(options.customers, options.days, stream_rng(seed, STREAM_CUSTOMERS))
    busyness = calendar.busyness()
    eligible = eligible_customers(customers, options.days)
    share = _segment_transaction_share(customers, busyness / busyness.sum(), eligible)
    basket_factor = np.array([spec.basket_factor for spec in SEGMENTS])
    laws = segment_size_laws(options.mean_items, options.basket_cap, basket_factor, share)
    background = Background(catalog.popularity, share @ laws)
    bundles = plan_bundles(background, catalog, stream_rng(seed, STREAM_BUNDLES))
    catalog = replace(catalog, popularity=background.popularity)
    parts = PlanParts(calendar, catalog, customers, busyness, laws, background, bundles)
    model = basket_model(
        options,
        parts,
        single_quantity=catalog.single_quantity(),
        segment_discount=np.array([spec.discount_rate for spec in SEGMENTS]),
        day_discount=calendar.discount_factor(),
    )
    return Plan(options, calendar, catalog, customers, bundles, model)


def eligible_customers(customers: Customers, days: int) -> npt.NDArray[np.int64]:
    """How many customers (in id order) have signed up by each day."""
    return np.searchsorted(customers.signup, np.arange(days), side="right").astype(np.int64)


@dataclass(frozen=True)
class PlanParts:
    """What :func:`basket_model` assembles (from the built-in generator or a fitted twin)."""

    calendar: Calendar
    catalog: Catalog
    customers: Customers
    busyness: npt.NDArray[np.float64]  # relative transactions per day
    laws: npt.NDArray[np.float64]  # (segments, cap) basket-size pmf per segment
    background: Background
    bundles: list[Bundle]


def basket_model(
    options: GenerateOptions,
    parts: PlanParts,
    *,
    single_quantity: npt.NDArray[np.float64],
    segment_discount: npt.NDArray[np.float64],
    day_discount: npt.NDArray[np.float64],
    quantity_values: npt.NDArray[np.int64] | None = None,
    quantity_cdf: npt.NDArray[np.float64] | None = None,
) -> BasketModel:
    calendar, catalog, bundles = parts.calendar, parts.catalog, parts.bundles
    per_day = stream_rng(options.seed, STREAM_DAYS).multinomial(
        options.transactions, parts.busyness / parts.busyness.sum()
    )
    day_start = np.concatenate([[0], np.cumsum(per_day)]).astype(np.int64)
    width = max([3, *(len(bundle.items) for bundle in bundles)])
    items = np.full((len(bundles), width), -1, dtype=np.int64)
    for row, bundle in enumerate(bundles):
        items[row, : len(bundle.items)] = bundle.items
    sizes = np.array([len(bundle.items) for bundle in bundles], dtype=np.int64)
    activation = _monthly_activation(bundles, parts.background, calendar, parts.busyness)
    cdf = np.cumsum(parts.laws, axis=1)
    cdf[:, -1] = 1.0
    popularity_cdf = np.cumsum(catalog.popularity)
    popularity_cdf[-1] = 1.0
    guide_size = 8 * catalog.n_products
    guide = np.searchsorted(popularity_cdf, np.arange(guide_size) / guide_size, side="right")
    return BasketModel(
        seed=options.seed,
        n_transactions=options.transactions,
        epoch_day0=calendar.epoch_day0,
        day_start=day_start,
        eligible=eligible_customers(parts.customers, calendar.n_days),
        visit_cumsum=np.cumsum(parts.customers.visit_weight),
        customer_segment=parts.customers.segment,
        size_cdf=cdf,
        popularity_cdf=popularity_cdf,
        popularity_guide=guide.astype(np.int64),
        price_cents=catalog.price_cents,
        single_quantity=single_quantity,
        segment_discount=segment_discount,
        day_discount=day_discount,
        bundle_items=items,
        bundle_size=sizes,
        day_month=calendar.month.astype(np.int64) - 1,
        bundle_cumprob=np.cumsum(activation, axis=1),
        quantity_values=np.zeros(0, np.int64) if quantity_values is None else quantity_values,
        quantity_cdf=np.zeros(0) if quantity_cdf is None else quantity_cdf,
    )
