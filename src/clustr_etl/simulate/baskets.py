"""Draw one block of transactions and their sale lines, vectorized with numpy.

Block ``b`` holds transactions ``b * BLOCK_SIZE .. (b + 1) * BLOCK_SIZE - 1`` (0-based) and draws
from two generators of its own: the *header* stream (customer, basket size), which a first cheap
pass also reads to count each block's lines (so sale ids are known before any chunk is drawn),
and the *lines* stream (products, quantities, discounts).

Money is integer cents; ``line_total = round_half_up(quantity * unit_price * (1 - discount), 2)``
computed exactly as ``(quantity * cents * (1000 - discount_milli) + 500) // 1000``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clustr_etl.simulate.options import BLOCK_SIZE
from clustr_etl.simulate.plan import STREAM_HEADER, STREAM_LINES, BasketModel, stream_rng

IntArray = npt.NDArray[np.int64]

# Discount levels in thousandths (5 % .. 50 %, and 1/3 off) and their relative frequency.
DISCOUNT_MILLI = np.array([50, 100, 150, 200, 250, 300, 333, 400, 500], dtype=np.int64)
DISCOUNT_WEIGHT = np.array([0.14, 0.3, 0.12, 0.16, 0.1, 0.08, 0.04, 0.03, 0.03])
DISCOUNT_CDF = np.cumsum(DISCOUNT_WEIGHT / DISCOUNT_WEIGHT.sum())
MULTI_QUANTITY_P = 0.55  # quantity beyond 1 is 1 + Geometric(p)
MAX_QUANTITY = 24
MAX_REDRAW_ROUNDS = 64


@dataclass(frozen=True)
class BlockHeader:
    first: int  # 0-based index of the block's first transaction
    day: IntArray
    customer: IntArray  # 0-based
    size: IntArray


@dataclass(frozen=True)
class Block:
    transaction_id: IntArray
    customer_id: IntArray
    epoch_day: IntArray  # days since 1970-01-01
    sale_transaction_id: IntArray
    product_id: IntArray
    quantity: IntArray
    price_cents: IntArray
    discount_milli: IntArray
    total_cents: IntArray

    @property
    def n_lines(self) -> int:
        return int(self.product_id.size)


def block_header(model: BasketModel, block: int) -> BlockHeader:
    first = block * BLOCK_SIZE
    stop = min(first + BLOCK_SIZE, model.n_transactions)
    rng = stream_rng(model.seed, STREAM_HEADER, block, *model.stream_suffix)
    day = _days(model.day_start, first, stop)
    eligible = model.eligible[day]
    draw = rng.random(stop - first) * model.visit_cumsum[eligible - 1]
    customer = np.minimum(model.customer_guide.search(draw), eligible - 1)
    segment = model.customer_segment[customer]
    size = model.size_guide.search(segment, rng.random(stop - first)) + 1
    np.minimum(size, model.size_cdf.shape[1], out=size)
    return BlockHeader(first, day, customer, size)


def _days(day_start: IntArray, first: int, stop: int) -> IntArray:
    """The day of transactions ``first .. stop - 1`` (``day_start``: each day's first one)."""
    first_day = int(np.searchsorted(day_start, first, side="right")) - 1
    end_day = int(np.searchsorted(day_start, stop - 1, side="right"))
    bounds = day_start[first_day : end_day + 1].copy()  # the days' first transactions
    bounds[0], bounds[-1] = first, stop
    return np.repeat(np.arange(first_day, end_day, dtype=np.int64), np.diff(bounds))


def block_line_counts(model: BasketModel) -> IntArray:
    """Lines of every block (first pass: header streams only)."""
    return np.array(
        [int(block_header(model, block).size.sum()) for block in range(model.n_blocks)],
        dtype=np.int64,
    )


def _draw_products(model: BasketModel, rng: np.random.Generator, count: int) -> IntArray:
    """Inverse-CDF draws by popularity: a guide table jumps close, a few steps finish.

    Gives exactly ``searchsorted(popularity_cdf, u, side="right")``, several times faster.
    """
    cdf, guide = model.popularity_cdf, model.popularity_guide
    u = rng.random(count)
    drawn = guide[(u * guide.size).astype(np.int64)]
    pending = np.flatnonzero(cdf[drawn] <= u)
    while pending.size:
        drawn[pending] += 1
        pending = pending[cdf[drawn[pending]] <= u[pending]]
    return drawn


def _repeated_lines(
    owner: IntArray, position: IntArray, product: IntArray, start: IntArray, n_products: int
) -> IntArray:
    """Lines (block-wide, ascending) repeating a product already earlier in the same basket.

    One sort of (basket, product, position) keys, packed in 32 bits when they fit: lines of a
    basket with the same product sit together, the first one (lowest position) first.
    """
    position_bits = max(1, int(position.max(initial=0)).bit_length())
    key = (owner * n_products + product) << position_bits | position
    if (int(owner.max(initial=0)) + 1) * n_products << position_bits <= np.iinfo(np.int32).max:
        key = key.astype(np.int32)
    key.sort()
    item = key >> position_bits
    repeat = key[1:][item[1:] == item[:-1]].astype(np.int64)
    repeat_owner = (repeat >> position_bits) // n_products
    return np.sort(start[repeat_owner] + (repeat & ((1 << position_bits) - 1)))


def _pick_bundles(model: BasketModel, u: npt.NDArray[np.float64], month: IntArray) -> IntArray:
    """The bundle each basket gets (``n_bundles``: none), by the activation law of its month.

    Baskets come in day order, so each month is one run of them.
    """
    pick = np.empty(u.size, dtype=np.int64)
    bounds = [0, *(np.flatnonzero(month[1:] != month[:-1]) + 1).tolist(), u.size]
    for begin, end in itertools.pairwise(bounds):
        cumprob = model.bundle_cumprob[int(month[begin])]
        pick[begin:end] = np.searchsorted(cumprob, u[begin:end], side="right")
    return pick


def _fill_products(
    model: BasketModel, rng: np.random.Generator, header: BlockHeader
) -> tuple[IntArray, IntArray]:
    """Products per line: planted bundles first, popularity draws after, no repeats in a basket."""
    size = header.size
    n = size.size
    start = np.cumsum(size) - size
    owner = np.repeat(np.arange(n), size)
    line_start, line_size = np.repeat(start, size), np.repeat(size, size)
    position = np.arange(owner.size) - line_start
    product = _draw_products(model, rng, owner.size)
    pick = _pick_bundles(model, rng.random(n), model.day_month[header.day])
    n_bundles = model.bundle_size.size
    if n_bundles:
        chosen = np.minimum(pick, n_bundles - 1)
        active = (pick < n_bundles) & (size >= model.bundle_size[chosen])
        planted = active[owner] & (position < model.bundle_size[chosen][owner])
        product[planted] = model.bundle_items[chosen[owner[planted]], position[planted]]
    redraw = _repeated_lines(owner, position, product, start, model.n_products)
    for _ in range(MAX_REDRAW_ROUNDS):
        if redraw.size == 0:
            break
        product[redraw] = _draw_products(model, rng, redraw.size)
        # Only the baskets that had a repeat need checking again.
        touched = np.zeros(n, dtype=np.bool_)
        touched[owner[redraw]] = True
        lines = np.flatnonzero(touched[owner])
        redraw = _repeated_lines(
            owner[lines], position[lines], product[lines], start, model.n_products
        )
    else:
        _draw_without_replacement(model, rng, owner, product, lines)
    # Rotate each basket's lines by a random offset, so planted items are not always first.
    offset = (rng.random(n) * size).astype(np.int64)
    rotated = position + np.repeat(offset, size)
    rotated -= line_size * (rotated >= line_size)
    return owner, product[line_start + rotated]


def _draw_without_replacement(
    model: BasketModel,
    rng: np.random.Generator,
    owner: IntArray,
    product: IntArray,
    lines: IntArray,
) -> None:
    """Rare fallback (baskets nearly as large as the catalog): redraw repeats exactly."""
    weights = np.diff(np.concatenate([[0.0], model.popularity_cdf]))
    for basket in np.unique(owner[lines]).tolist():
        members = np.flatnonzero(owner == basket)
        _, first = np.unique(product[members], return_index=True)
        repeated = np.setdiff1d(np.arange(members.size), first)
        taken = np.unique(product[members])
        free = np.setdiff1d(np.arange(model.n_products), taken)
        p = weights[free] / weights[free].sum()
        product[members[repeated]] = rng.choice(free, size=repeated.size, replace=False, p=p)


def _quantities(model: BasketModel, rng: np.random.Generator, product: IntArray) -> IntArray:
    """Units per line: the fitted law of a twin, else mostly 1 with a geometric tail."""
    n_lines = product.size
    if model.quantity_cdf.size:
        drawn = np.searchsorted(model.quantity_cdf, rng.random(n_lines), side="right")
        return model.quantity_values[np.minimum(drawn, model.quantity_values.size - 1)]
    multiple = np.flatnonzero(rng.random(n_lines) >= model.single_quantity[product])
    quantity = np.ones(n_lines, dtype=np.int64)
    extra = rng.geometric(MULTI_QUANTITY_P, multiple.size)
    quantity[multiple] = 1 + np.minimum(extra, MAX_QUANTITY - 1)
    return quantity


def generate_block(model: BasketModel, block: int) -> Block:
    header = block_header(model, block)
    rng = stream_rng(model.seed, STREAM_LINES, block, *model.stream_suffix)
    owner, product = _fill_products(model, rng, header)
    n_lines = owner.size
    quantity = _quantities(model, rng, product)
    segment = model.customer_segment[header.customer]
    rate = (model.segment_discount[segment] * model.day_discount[header.day])[owner]
    discounted = np.flatnonzero(rng.random(n_lines) < rate)
    level = np.searchsorted(DISCOUNT_CDF, rng.random(discounted.size), side="right")
    discount = np.zeros(n_lines, dtype=np.int64)
    discount[discounted] = DISCOUNT_MILLI[np.minimum(level, DISCOUNT_MILLI.size - 1)]
    price = model.price_cents[product]
    total = (quantity * price * (1000 - discount) + 500) // 1000
    first_id = model.first_transaction_id + header.first + 1
    transaction_id = np.arange(first_id, first_id + header.size.size, dtype=np.int64)
    return Block(
        transaction_id=transaction_id,
        customer_id=header.customer + 1,
        epoch_day=header.day + model.epoch_day0,
        sale_transaction_id=transaction_id[owner],
        product_id=product + 1,
        quantity=quantity,
        price_cents=price,
        discount_milli=discount,
        total_cents=total,
    )
