"""A generation plan from a fitted twin model: the real catalog, new customers and transactions.

Customers are scaled with the transactions (``per_transaction``), so each one visits about as
often as in the real data; names, emails and cities are synthetic. Random streams are those of
:mod:`clustr_etl.simulate.plan`, so a twin is as deterministic as the built-in generator.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from clustr_etl.errors import ConfigError
from clustr_etl.simulate.bundles import Background, Bundle
from clustr_etl.simulate.calendar import Calendar, build_calendar
from clustr_etl.simulate.catalog import Catalog
from clustr_etl.simulate.customers import EXISTING_YEARS, Customers, build_customers
from clustr_etl.simulate.options import GenerateOptions
from clustr_etl.simulate.plan import (
    STREAM_CUSTOMERS,
    Plan,
    PlanParts,
    basket_model,
    stream_rng,
)
from clustr_etl.simulate.twin_model import TwinModel

STREAM_TWIN_VISITS = 20


def _catalog(model: TwinModel, limit: int | None) -> Catalog:
    products = model.products
    if limit is not None and limit < len(products):
        needed = max(max(bundle.product_ids) for bundle in model.bundles) if model.bundles else 0
        if limit < needed:
            raise ConfigError(
                f"--products {limit} is too few for this twin: its planted bundles use "
                f"product {needed}",
                f"pass --products {needed} or more, or leave --products out",
            )
        products = products[:limit]
    categories = sorted({product.category for product in products})
    category_index = {name: index for index, name in enumerate(categories)}
    weight = np.array([product.weight for product in products], dtype=np.float64)
    if not weight.sum() > 0:
        raise ConfigError("the twin model's products all have weight 0", "fit it again")
    cents = np.array([round(float(product.unit_price) * 100) for product in products])
    return Catalog(
        names=[product.name for product in products],
        category=np.array([category_index[p.category] for p in products], dtype=np.int16),
        price_cents=cents.astype(np.int64),
        popularity=weight / weight.sum(),
        brand=np.zeros(len(products), dtype=np.int16),
        noun=np.zeros(len(products), dtype=np.int16),
        category_names=tuple(categories),
        subcategory_names=tuple(product.subcategory for product in products),
    )


def _customers(model: TwinModel, options: GenerateOptions) -> Customers:
    count = max(1, round(model.customers_per_transaction * options.transactions))
    base = build_customers(count, model.days, stream_rng(options.seed, STREAM_CUSTOMERS))
    rng = stream_rng(options.seed, STREAM_TWIN_VISITS)
    shares = np.array([segment.share for segment in model.segments])
    segment = rng.choice(len(shares), size=count, p=shares / shares.sum()).astype(np.int8)
    visits = np.zeros(count)
    u = rng.random(count)
    for index, spec in enumerate(model.segments):
        grid = np.linspace(0.0, 1.0, len(spec.visit_quantiles))
        mask = segment == index
        visits[mask] = np.interp(u[mask], grid, spec.visit_quantiles)
    if not visits.sum() > 0:
        visits[:] = 1.0
    signup = np.sort(rng.integers(-365 * EXISTING_YEARS, 0, size=count))  # all before day one
    return replace(
        base,
        signup=signup.astype(np.int64),
        segment=segment,
        visit_weight=visits,
        segment_names=tuple(spec.name for spec in model.segments),
    )


def _size_laws(model: TwinModel, cap: int) -> npt.NDArray[np.float64]:
    width = min(cap, max(len(segment.basket_size_pmf) for segment in model.segments))
    laws = np.zeros((len(model.segments), width))
    for row, segment in enumerate(model.segments):
        pmf = np.array(segment.basket_size_pmf[:width], dtype=np.float64)
        laws[row, : pmf.size] = pmf
        laws[row, -1] += sum(segment.basket_size_pmf[width:])  # more lines than products
        laws[row] /= laws[row].sum()
    return laws


def _busyness(model: TwinModel, calendar: Calendar) -> npt.NDArray[np.float64]:
    weekday = np.array(model.weekday_weights)[calendar.iso_weekday.astype(np.int64) - 1]
    month = np.array(model.month_weights)[calendar.month.astype(np.int64) - 1]
    busyness = np.asarray(weekday * month, dtype=np.float64)
    if not busyness.sum() > 0:
        raise ConfigError(
            "the twin model's weekday_weights and month_weights leave no day with transactions"
        )
    return busyness


def build_twin_plan(
    model: TwinModel, options: GenerateOptions, products: int | None = None
) -> Plan:
    """The plan of a twin of ``options.transactions`` transactions (``products``: keep only the
    first N products of the model's catalog)."""
    calendar = build_calendar(model.start_date, model.days)
    catalog = _catalog(model, products)
    customers = _customers(model, options)
    busyness = _busyness(model, calendar)
    laws = _size_laws(model, catalog.n_products)
    visits = np.bincount(customers.segment, weights=customers.visit_weight, minlength=len(laws))
    share = visits / visits.sum()
    background = Background(catalog.popularity, share @ laws)
    bundles = [
        Bundle(
            items=tuple(sorted(item - 1 for item in bundle.product_ids)),
            strength=bundle.lift,
            probability=bundle.share,
            kind="fitted",
            theme="observed co-purchase",
        )
        for bundle in model.bundles
    ]
    total = sum(b.probability / background.at_least(len(b.items)) for b in bundles)
    if total > 1.0:  # more planted baskets than baskets: keep the proportions
        bundles = [replace(b, probability=b.probability / total) for b in bundles]
    parts = PlanParts(calendar, catalog, customers, busyness, laws, background, bundles)
    values = np.array(model.quantity_values, dtype=np.int64)
    probabilities = np.array(model.quantity_probabilities, dtype=np.float64)
    quantity_cdf = np.cumsum(probabilities / probabilities.sum())
    quantity_cdf[-1] = 1.0
    plan_options = replace(
        options, products=catalog.n_products, days=model.days, start_date=model.start_date
    )
    basket = basket_model(
        plan_options,
        parts,
        single_quantity=np.ones(catalog.n_products),
        segment_discount=np.array([segment.discounted_share for segment in model.segments]),
        day_discount=np.ones(calendar.n_days),
        quantity_values=values,
        quantity_cdf=quantity_cdf,
    )
    return Plan(plan_options, calendar, catalog, customers, bundles, basket)
