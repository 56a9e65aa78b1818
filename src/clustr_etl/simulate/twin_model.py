"""The fitted model of a synthetic twin: a small JSON file a user can read, edit and regenerate from.

    {"format": "clustr-etl twin model", "version": 1,
     "source": {...what it was fitted on...},
     "calendar": {"start_date", "days", "weekday_weights" (Mon..Sun), "month_weights" (Jan..Dec)},
     "customers": {"per_transaction", "segments": [{"name", "share", "discounted_share",
                   "visit_quantiles", "basket_size_pmf"}]},
     "quantity": {"values", "probabilities"},
     "bundles": [{"product_ids", "share", "support", "lift"}],
     "product_columns": [...], "products": [[product_id, name, category, subcategory,
                                              unit_price, weight], ...]}

Reading checks every key and range and names the first bad one (``ConfigError``, exit 2).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from clustr_etl.errors import ConfigError

MODEL_FORMAT = "clustr-etl twin model"
MODEL_VERSION = 1
MODEL_FILE = "twin_model.json"
PRODUCT_COLUMNS = ("product_id", "name", "category", "subcategory", "unit_price", "weight")


@dataclass(frozen=True)
class TwinSegment:
    name: str
    share: float  # share of customers
    discounted_share: float  # share of the segment's lines with a discount
    visit_quantiles: list[float]  # transactions per customer at evenly spaced quantiles 0..1
    basket_size_pmf: list[float]  # P(basket has 1, 2, ... lines)


@dataclass(frozen=True)
class TwinBundle:
    product_ids: list[int]
    share: float  # planted share of all baskets
    support: float  # observed in the real data
    lift: float  # observed lift of the strongest rule on these products


@dataclass(frozen=True)
class TwinProduct:
    product_id: int
    name: str
    category: str
    subcategory: str
    unit_price: str  # decimal text, as in products.csv
    weight: float  # share of background line draws


@dataclass(frozen=True)
class TwinModel:
    source: dict[str, Any]
    start_date: date
    days: int
    weekday_weights: list[float]
    month_weights: list[float]
    customers_per_transaction: float
    segments: list[TwinSegment]
    quantity_values: list[int]
    quantity_probabilities: list[float]
    bundles: list[TwinBundle]
    products: list[TwinProduct]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "source": self.source,
            "calendar": {
                "start_date": self.start_date.isoformat(),
                "days": self.days,
                "weekday_weights": self.weekday_weights,
                "month_weights": self.month_weights,
            },
            "customers": {
                "per_transaction": self.customers_per_transaction,
                "segments": [asdict(segment) for segment in self.segments],
            },
            "quantity": {
                "values": self.quantity_values,
                "probabilities": self.quantity_probabilities,
            },
            "bundles": [asdict(bundle) for bundle in self.bundles],
            "product_columns": list(PRODUCT_COLUMNS),
            "products": [list(asdict(product).values()) for product in self.products],
        }


def _json(value: Any, indent: str = "") -> str:
    """Indented JSON whose lists of numbers or of short rows stay on one line each."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def model_text(model: TwinModel) -> str:
    """The model as JSON: one product, bundle or number list per line, readable and diffable."""
    return _json(model.to_json()) + "\n"


class _Reader:
    """Typed access to the parsed JSON that names the key of any missing or bad value."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(
            f"model file {self.path}: {key} {problem}",
            "fix the value, or fit a new model with `clustr-etl generate --like DIR`",
        )

    def get(self, data: Any, key: str, name: str) -> Any:
        if not isinstance(data, dict) or name not in data:
            raise self.fail(f"{key}.{name}".lstrip("."), "is missing")
        return data[name]

    def number(self, value: Any, key: str, low: float, high: float = math.inf) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(key, f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low:g} and {high:g}, got {value!r}")
        return float(value)

    def integer(self, value: Any, key: str, low: int, high: float = math.inf) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        self.number(value, key, low, high)
        return value

    def numbers(self, value: Any, key: str, low: float = 0.0, length: int = 0) -> list[float]:
        if not isinstance(value, list) or not value or (length and len(value) != length):
            wanted = f"{length} numbers" if length else "a non-empty list of numbers"
            raise self.fail(key, f"must be {wanted}")
        values = [self.number(item, f"{key}[{i}]", low) for i, item in enumerate(value)]
        if not sum(values) > 0:
            raise self.fail(key, "must not be all zero")
        return values

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be text, got {value!r}")
        return value


def read_model(path: Path) -> TwinModel:
    """The model in ``path``; ``ConfigError`` naming the first missing or out-of-range key."""
    read = _Reader(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read model file {path}: {err.strerror}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise ConfigError(f"model file {path} is not JSON: {err}") from None
    if read.get(data, "", "format") != MODEL_FORMAT:
        raise read.fail("format", f"must be {MODEL_FORMAT!r}")
    read.integer(read.get(data, "", "version"), "version", MODEL_VERSION, MODEL_VERSION)
    calendar = read.get(data, "", "calendar")
    start = read.text(read.get(calendar, "calendar", "start_date"), "calendar.start_date")
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise read.fail(
            "calendar.start_date", f"must be a date YYYY-MM-DD, got {start!r}"
        ) from None
    customers = read.get(data, "", "customers")
    quantity = read.get(data, "", "quantity")
    values = read.get(quantity, "quantity", "values")
    source = read.get(data, "", "source")
    if not isinstance(source, dict):
        raise read.fail("source", "must be an object")
    model = TwinModel(
        source=source,
        start_date=start_date,
        days=read.integer(read.get(calendar, "calendar", "days"), "calendar.days", 1, 36_600),
        weekday_weights=read.numbers(
            read.get(calendar, "calendar", "weekday_weights"), "calendar.weekday_weights", length=7
        ),
        month_weights=read.numbers(
            read.get(calendar, "calendar", "month_weights"), "calendar.month_weights", length=12
        ),
        customers_per_transaction=read.number(
            read.get(customers, "customers", "per_transaction"), "customers.per_transaction", 1e-6
        ),
        segments=_segments(read, read.get(customers, "customers", "segments")),
        quantity_values=[
            read.integer(v, f"quantity.values[{i}]", 1)
            for i, v in enumerate(values if isinstance(values, list) else [None])
        ],
        quantity_probabilities=read.numbers(
            read.get(quantity, "quantity", "probabilities"), "quantity.probabilities"
        ),
        bundles=_bundles(read, read.get(data, "", "bundles")),
        products=_products(read, read.get(data, "", "products")),
    )
    if len(model.quantity_values) != len(model.quantity_probabilities):
        raise read.fail("quantity.probabilities", "must have one number per quantity value")
    known = {product.product_id for product in model.products}
    for index, bundle in enumerate(model.bundles):
        missing = [item for item in bundle.product_ids if item not in known]
        if missing:
            raise read.fail(f"bundles[{index}].product_ids", f"names unknown product {missing[0]}")
    return model


def _segments(read: _Reader, items: Any) -> list[TwinSegment]:
    if not isinstance(items, list) or not items:
        raise read.fail("customers.segments", "must be a non-empty list")
    segments = []
    for index, item in enumerate(items):
        key = f"customers.segments[{index}]"
        segments.append(
            TwinSegment(
                name=read.text(read.get(item, key, "name"), f"{key}.name"),
                share=read.number(read.get(item, key, "share"), f"{key}.share", 0.0, 1.0),
                discounted_share=read.number(
                    read.get(item, key, "discounted_share"), f"{key}.discounted_share", 0.0, 1.0
                ),
                visit_quantiles=read.numbers(
                    read.get(item, key, "visit_quantiles"), f"{key}.visit_quantiles"
                ),
                basket_size_pmf=read.numbers(
                    read.get(item, key, "basket_size_pmf"), f"{key}.basket_size_pmf"
                ),
            )
        )
    if not sum(segment.share for segment in segments) > 0:
        raise read.fail("customers.segments", "shares must not all be zero")
    return segments


def _bundles(read: _Reader, items: Any) -> list[TwinBundle]:
    if not isinstance(items, list):
        raise read.fail("bundles", "must be a list")
    bundles = []
    for index, item in enumerate(items):
        key = f"bundles[{index}]"
        ids = read.get(item, key, "product_ids")
        if not isinstance(ids, list) or len(ids) < 2:
            raise read.fail(f"{key}.product_ids", "must list at least two product ids")
        bundles.append(
            TwinBundle(
                product_ids=[read.integer(v, f"{key}.product_ids", 1) for v in ids],
                share=read.number(read.get(item, key, "share"), f"{key}.share", 0.0, 1.0),
                support=read.number(read.get(item, key, "support"), f"{key}.support", 0.0, 1.0),
                lift=read.number(read.get(item, key, "lift"), f"{key}.lift", 0.0),
            )
        )
    return bundles


def _products(read: _Reader, rows: Any) -> list[TwinProduct]:
    if not isinstance(rows, list) or len(rows) < 2:
        raise read.fail("products", "must list at least two products")
    products = []
    for index, row in enumerate(rows):
        key = f"products[{index}]"
        if not isinstance(row, list) or len(row) != len(PRODUCT_COLUMNS):
            raise read.fail(key, f"must be a list of {len(PRODUCT_COLUMNS)} values")
        product_id, name, category, subcategory, price, weight = row
        if read.integer(product_id, f"{key}.product_id", 1) != index + 1:
            raise read.fail(f"{key}.product_id", f"must be {index + 1} (ids count from 1)")
        try:
            cents = round(float(read.text(price, f"{key}.unit_price")) * 100)
        except ValueError:
            cents = 0
        if cents <= 0:
            raise read.fail(f"{key}.unit_price", f"must be a positive price, got {price!r}")
        products.append(
            TwinProduct(
                product_id=product_id,
                name=read.text(name, f"{key}.name"),
                category=read.text(category, f"{key}.category"),
                subcategory=read.text(subcategory, f"{key}.subcategory"),
                unit_price=price,
                weight=read.number(weight, f"{key}.weight", 0.0),
            )
        )
    return products
