"""Report facts from the database: generic SQLAlchemy Core queries that aggregate in SQL
(GROUP BY and counts), so a million transactions come back as a few thousand rows."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, MetaData, Table, case, func, inspect, select
from sqlalchemy.sql.elements import ColumnElement

from clustr_etl.dataset.rule_columns import REPORTED_COLUMNS
from clustr_etl.errors import SchemaError
from clustr_etl.report.facts import (
    HIGH_LIFT,
    TINY_COUNT,
    DatasetFacts,
    PlantedBundle,
    RuleFacts,
)
from clustr_etl.report.planted import candidate_keys
from clustr_etl.store.models import DATA_TABLES, Base
from clustr_etl.store.schema import require_tables

RUN_ALL_HINT = "run `clustr-etl run-all` first (or `init-db` and `load`)"

_T = Base.metadata.tables


def _reflect(conn: Connection, name: str) -> Table:
    """The table as the database has it (a newer schema may have extra columns)."""
    return Table(name, MetaData(), autoload_with=conn)


def _frame(conn: Connection, query: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def require_data(engine: Engine) -> None:
    """Raise SchemaError when the database has no tables or no transactions yet."""
    require_tables(engine, DATA_TABLES, RUN_ALL_HINT)
    with engine.connect() as conn:
        sales = conn.execute(select(func.count()).select_from(_T["sales"])).scalar_one()
    if not sales:
        raise SchemaError("the database has no sales yet", RUN_ALL_HINT)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _products(conn: Connection) -> pd.DataFrame:
    products, sales = _reflect(conn, "products"), _T["sales"]
    wanted = ["product_id", "name", "category", "unit_price", "is_merchandise"]
    columns = [products.c[name] for name in wanted if name in products.c]
    frame = _frame(conn, select(*columns), [c.name for c in columns])
    lines = _frame(
        conn,
        select(sales.c.product_id, func.count()).group_by(sales.c.product_id),
        ["product_id", "lines"],
    )
    frame = frame.merge(lines, on="product_id", how="left")
    frame["lines"] = frame["lines"].fillna(0).astype("int64")
    frame["unit_price"] = frame["unit_price"].astype(float)
    return frame


def _customers(conn: Connection) -> pd.DataFrame:
    """Every customer with transactions, lines and revenue: sales are summed per basket first (one
    pass over the sales index), then per customer (a join of 1M baskets, not of every line)."""
    customers, transactions, sales = _T["customers"], _T["transactions"], _T["sales"]
    frame = _frame(
        conn, select(customers.c.customer_id, customers.c.segment), ["customer_id", "segment"]
    )
    baskets = (
        select(
            sales.c.transaction_id,
            func.count().label("lines"),
            func.sum(sales.c.line_total).label("revenue"),
        )
        .group_by(sales.c.transaction_id)
        .subquery()
    )
    spend = _frame(
        conn,
        select(
            transactions.c.customer_id,
            func.count(),
            func.sum(baskets.c.lines),
            func.sum(baskets.c.revenue),
        )
        .select_from(
            transactions.outerjoin(
                baskets, baskets.c.transaction_id == transactions.c.transaction_id
            )
        )
        .group_by(transactions.c.customer_id),
        ["customer_id", "transactions", "lines", "revenue"],
    )
    frame = frame.merge(spend, on="customer_id", how="left")
    for name in ("transactions", "lines"):
        frame[name] = frame[name].fillna(0).astype("int64")
    frame["revenue"] = frame["revenue"].astype(float).fillna(0.0)
    return frame


def _share_of(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def read_dataset(engine: Engine) -> DatasetFacts:
    sales, transactions, timeframe = _T["sales"], _T["transactions"], _T["timeframe"]
    with engine.connect() as conn:
        rows = {name: _count(conn, _T[name]) for name in (*DATA_TABLES, "bundle_rules")}
        per_basket = (
            select(func.count().label("size"))
            .select_from(sales)
            .group_by(sales.c.transaction_id)
            .subquery()
        )
        sizes = _frame(
            conn,
            select(per_basket.c.size, func.count())
            .group_by(per_basket.c.size)
            .order_by(per_basket.c.size),
            ["size", "baskets"],
        )
        days = _frame(
            conn,
            select(transactions.c.date, func.count())
            .group_by(transactions.c.date)
            .order_by(transactions.c.date),
            ["date", "transactions"],
        )
        lines, quantity_one, discounted, revenue = conn.execute(
            select(
                func.count(),
                _share_of(sales.c.quantity == 1),
                _share_of(sales.c.discount > 0),
                func.coalesce(func.sum(sales.c.line_total), 0),
            )
        ).one()
        holidays = conn.execute(select(_share_of(timeframe.c.is_holiday))).scalar_one()
        return DatasetFacts(
            table_rows=rows,
            basket_sizes=sizes,
            products=_products(conn),
            days=days,
            customers=_customers(conn),
            calendar_days=rows["timeframe"],
            holidays=int(holidays),
            lines=int(lines),
            quantity_one_lines=int(quantity_one),
            discounted_lines=int(discounted),
            revenue=float(revenue),
        )


def read_rules(engine: Engine, cap: int, planted: list[PlantedBundle]) -> RuleFacts:
    """The rule count and the ``cap`` best rules by lift (``scope = 'all'`` when the column exists)."""
    if "bundle_rules" not in inspect(engine).get_table_names():
        return RuleFacts()
    with engine.connect() as conn:
        rules = _reflect(conn, "bundle_rules")
        scoped: list[ColumnElement[bool]] = [rules.c.scope == "all"] if "scope" in rules.c else []
        total, tiny, smallest, baskets = conn.execute(
            select(
                func.count(),
                _share_of((rules.c.lift >= HIGH_LIFT) & (rules.c.rule_count < TINY_COUNT)),
                func.min(rules.c.rule_count),
                func.max(rules.c.n_transactions),
            ).where(*scoped)
        ).one()
        columns = [rules.c[name] for name in REPORTED_COLUMNS]
        top = _frame(
            conn,
            select(*columns)
            .where(*scoped)
            .order_by(rules.c.lift.desc(), rules.c.rule_id)
            .limit(cap),
            list(REPORTED_COLUMNS),
        )
        antecedents, consequents = candidate_keys(planted)
        matches = _frame(
            conn,
            select(*columns).where(
                *scoped,
                rules.c.antecedents.in_(sorted(antecedents)),
                rules.c.consequents.in_(sorted(consequents)),
            ),
            list(REPORTED_COLUMNS),
        )
    return RuleFacts(
        total=int(total),
        top=top,
        tiny_count_high_lift=int(tiny),
        min_rule_count=None if smallest is None else int(smallest),
        n_transactions=None if baskets is None else int(baskets),
        matches=matches,
    )
