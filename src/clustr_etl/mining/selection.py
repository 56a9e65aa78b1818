"""Which baskets to mine: a date window, customer groups (``--by segment``), merchandise only.

Sale lines are read in bulk, grouped by transaction (``db_reader``); the few other facts (transaction
dates, the customer group of each transaction, the non-merchandise products) come from generic
SQLAlchemy Core queries built from the ORM metadata, and the lines are filtered in numpy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Boolean, Engine, column, func, inspect, select

from clustr_etl.dataset.rule_columns import DEFAULT_SCOPE
from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.db_reader import SaleLines, read_sale_lines
from clustr_etl.store.models import Customer, Product, Transaction

Int64Array = npt.NDArray[np.int64]

# Customer columns a rule set can be split by (--by); each distinct value is one scope.
GROUP_COLUMNS: tuple[str, ...] = ("segment", "city")
MERCHANDISE_COLUMN = "is_merchandise"


@dataclass(frozen=True)
class BasketSelection:
    """What to mine: ``by`` a customer column (plus 'all'), dates ``since``..``until`` (inclusive)
    or the ``last_days`` days up to the latest transaction, non-merchandise products or not."""

    by: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    last_days: int | None = None
    include_non_merchandise: bool = False

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUP_COLUMNS:
            raise ConfigError(
                f"--by {self.by}: not a customer column rules can be split by",
                f"choose one of: {', '.join(GROUP_COLUMNS)}",
            )
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ConfigError(
                f"--since {self.since} is after --until {self.until}", "swap the two dates"
            )
        if self.last_days is not None:
            if self.last_days < 1:
                raise ConfigError(f"--last-days must be >= 1, got {self.last_days}")
            if self.since is not None or self.until is not None:
                raise ConfigError(
                    "--last-days cannot be combined with --since/--until", "give one or the other"
                )

    @property
    def needs_transactions(self) -> bool:
        return any(v is not None for v in (self.by, self.since, self.until, self.last_days))


@dataclass(frozen=True)
class Scope:
    """One set of baskets to mine, named like 'all' or 'segment=loyal', and its window."""

    name: str
    baskets: Baskets
    since: dt.date | None
    until: dt.date | None


@dataclass(frozen=True)
class SelectedBaskets:
    scopes: list[Scope]
    non_merchandise_lines: int  # sale lines left out as non-merchandise


def select_baskets(
    engine: Engine, selection: BasketSelection, lines: SaleLines | None = None
) -> SelectedBaskets:
    """The scopes to mine from the database's sales, filtered as ``selection`` says (``lines``: the
    sale lines already read with ``read_sale_lines``, for callers selecting several windows)."""
    window = resolve_window(engine, selection) if selection.needs_transactions else (None, None)
    owned = lines is None  # read here, so the baskets may take over its arrays
    lines = read_sale_lines(engine) if lines is None else lines
    dropped = 0
    if not selection.include_non_merchandise:
        excluded = non_merchandise_products(engine)
        if excluded.size:
            before = lines.n_lines
            lines = lines.without_products(excluded)
            dropped, owned = before - lines.n_lines, True
    if not selection.needs_transactions:
        scope = Scope(DEFAULT_SCOPE, _baskets(lines, reuse=owned), None, None)
        return SelectedBaskets([scope], dropped)
    since, until = window
    chosen, groups = _transactions(engine, selection.by, since, until)
    lines = lines.of_transactions(chosen)
    scopes = [Scope(DEFAULT_SCOPE, _baskets(lines, reuse=False), since, until)]
    for value, members in groups.items():
        group = lines.of_transactions(members)
        if group.n_lines:
            scopes.append(Scope(f"{selection.by}={value}", group.baskets(), since, until))
    return SelectedBaskets(scopes, dropped)


def _baskets(lines: SaleLines, *, reuse: bool) -> Baskets:
    if lines.n_lines == 0:
        raise InputFileError(
            "no sale lines left to mine", "widen the window or use --include-non-merchandise"
        )
    return lines.baskets(reuse=reuse)


def non_merchandise_products(engine: Engine) -> Int64Array:
    """Product ids flagged ``is_merchandise = false`` (none while the column does not exist)."""
    columns = {column["name"] for column in inspect(engine).get_columns(Product.__tablename__)}
    if MERCHANDISE_COLUMN not in columns:  # databases before the flag existed
        return np.zeros(0, dtype=np.int64)
    flag = column(MERCHANDISE_COLUMN, Boolean)  # a fixed name, not user input
    query = select(Product.product_id).select_from(Product.__table__).where(flag.is_(False))
    with engine.connect() as conn:
        ids = conn.execute(query).scalars().all()
    return np.asarray(ids, dtype=np.int64)


def resolve_window(
    engine: Engine, selection: BasketSelection
) -> tuple[dt.date | None, dt.date | None]:
    """The window as dates; refuses one that lies outside the transactions' dates."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(Transaction.date), func.max(Transaction.date))
        ).one()
    if first is None or last is None:
        raise InputFileError("the transactions table is empty: nothing to mine", "load it first")
    first, last = as_date(first), as_date(last)
    if selection.last_days is not None:
        return last - dt.timedelta(days=selection.last_days - 1), last
    since, until = selection.since, selection.until
    if (since is not None and since > last) or (until is not None and until < first):
        raise ConfigError(
            f"the window {since or '...'} to {until or '...'} is outside the data "
            f"(transactions from {first} to {last})",
            "choose --since/--until within those dates",
        )
    return since, until


def _transactions(
    engine: Engine, by: str | None, since: dt.date | None, until: dt.date | None
) -> tuple[Int64Array, dict[str, Int64Array]]:
    """Transaction ids in the window, and per value of customer column ``by`` its transaction ids."""
    columns: list[Any] = [Transaction.transaction_id]
    if by is not None:
        columns.append(Customer.__table__.c[by])
    query = select(*columns)
    if by is not None:
        query = query.join(Customer, Customer.customer_id == Transaction.customer_id)
    if since is not None:
        query = query.where(Transaction.date >= since)
    if until is not None:
        query = query.where(Transaction.date <= until)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    ids = np.asarray([row[0] for row in rows], dtype=np.int64)
    groups: dict[str, Int64Array] = {}
    if by is not None:
        values = np.asarray([str(row[1]) for row in rows], dtype=object)
        for value in sorted(set(values.tolist())):
            groups[value] = ids[values == value]
    return ids, groups


def as_date(value: object) -> dt.date:
    """A date from what a driver returns for a DATE column (date, datetime or ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
