"""SQLAlchemy 2 ORM models: the schema other Clustr layers read. Keep table and column names stable.

Each CSV written by the simulator has exactly the columns of its table, in this order
(see ``CSV_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("unit_price > 0", name="unit_price_positive"),)

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(100))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # The retailer's own key (e.g. a StockCode) when imported; NULL for generated products.
    sku: Mapped[str | None] = mapped_column(String(100), unique=True)
    # False for postage, fees, discounts, vouchers...: kept so revenue reconciles, left out of mining.
    is_merchandise: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The product line's kind (pasta sauce, phone case); empty for imported catalogs without one.
    subcategory: Mapped[str | None] = mapped_column(String(100))


class Customer(Base):
    __tablename__ = "customers"

    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    city: Mapped[str] = mapped_column(String(100))
    signup_date: Mapped[dt.date] = mapped_column(Date)
    segment: Mapped[str] = mapped_column(String(50))
    # The retailer's customer key when imported; NULL for generated customers.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)


class Timeframe(Base):
    __tablename__ = "timeframe"
    __table_args__ = (
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("day BETWEEN 1 AND 31", name="day_range"),
        CheckConstraint("day_of_week BETWEEN 1 AND 7", name="day_of_week_iso"),
        CheckConstraint("week_of_year BETWEEN 1 AND 53", name="week_of_year_range"),
    )

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    quarter: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[int] = mapped_column(SmallInteger)
    day_of_week: Mapped[int] = mapped_column(SmallInteger)
    week_of_year: Mapped[int] = mapped_column(SmallInteger)
    is_weekend: Mapped[bool]
    is_holiday: Mapped[bool]


class Transaction(Base):
    __tablename__ = "transactions"

    transaction_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    date: Mapped[dt.date] = mapped_column(ForeignKey("timeframe.date"), index=True)
    # The retailer's invoice / order number when imported; NULL for generated transactions.
    invoice_no: Mapped[str | None] = mapped_column(String(100), unique=True)


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("discount >= 0 AND discount < 1", name="discount_range"),
        CheckConstraint("line_total >= 0", name="line_total_nonnegative"),
    )

    sale_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transaction_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("transactions.transaction_id"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.product_id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    line_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class BundleRule(Base):
    """One association rule ``antecedents => consequents``; item keys joined by ``|``, sorted."""

    __tablename__ = "bundle_rules"
    __table_args__ = (
        CheckConstraint("support > 0 AND support <= 1", name="support_range"),
        CheckConstraint("confidence > 0 AND confidence <= 1", name="confidence_range"),
        CheckConstraint("lift > 0", name="lift_positive"),
    )

    rule_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Which baskets were mined: 'all' or one customer group, e.g. 'segment=loyal' (mine-rules --by).
    scope: Mapped[str] = mapped_column(String(200), server_default="all", index=True)
    antecedents: Mapped[str] = mapped_column(String(2000))
    consequents: Mapped[str] = mapped_column(String(2000))
    antecedent_names: Mapped[str | None] = mapped_column(String(8000))
    consequent_names: Mapped[str | None] = mapped_column(String(8000))
    support: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    lift: Mapped[float] = mapped_column(Float)
    leverage: Mapped[float] = mapped_column(Float)
    # NULL when confidence is 1 (conviction is infinite); see README.
    conviction: Mapped[float | None] = mapped_column(Float)
    # Measures as mlxtend >= 0.23 defines them, and the one-sided Fisher p-value (see README).
    zhangs_metric: Mapped[float | None] = mapped_column(Float)
    jaccard: Mapped[float | None] = mapped_column(Float)
    certainty: Mapped[float | None] = mapped_column(Float)
    kulczynski: Mapped[float | None] = mapped_column(Float)
    antecedent_support: Mapped[float | None] = mapped_column(Float)
    consequent_support: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    antecedent_count: Mapped[int] = mapped_column(Integer)
    consequent_count: Mapped[int] = mapped_column(Integer)
    rule_count: Mapped[int] = mapped_column(Integer)
    n_transactions: Mapped[int] = mapped_column(Integer)
    # The transaction dates mined (mine-rules --since/--until/--last-days); NULL = unbounded.
    since: Mapped[dt.date | None] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # The etl_runs row of the command that mined this rule (NULL when loaded outside a recorded run).
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("etl_runs.run_id", ondelete="SET NULL"), index=True
    )


class BundleRuleItem(Base):
    """One item of one side of a rule, so "rules whose antecedent contains X" uses an index."""

    __tablename__ = "bundle_rule_items"
    __table_args__ = (
        CheckConstraint("side IN ('antecedent', 'consequent')", name="side_values"),
        Index("ix_bundle_rule_items_item_key_side", "item_key", "side"),
    )

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("bundle_rules.rule_id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(10), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(200), primary_key=True)


class RuleEvaluation(Base):
    """One figure of ``clustr-etl evaluate``: a method's metric on held-out baskets, with its 95 % interval."""

    __tablename__ = "rule_evaluations"

    evaluation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The etl_runs row of the evaluate command (NULL when written outside a recorded run).
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("etl_runs.run_id", ondelete="SET NULL"), index=True
    )
    # The temporal split, e.g. 'train 2011-01-04..2011-11-08, test 2011-11-09..2011-12-09'.
    split: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(100))
    # hr, mrr, ndcg (at k), coverage, catalogue_coverage, popularity_rank (k: the list length).
    metric: Mapped[str] = mapped_column(String(50))
    k: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    cases: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class EtlRun(Base):
    """The run ledger: one row per database command (init-db, load, mine-rules, run-all).

    ``parameters`` and ``steps`` are JSON text; the database URL in ``parameters`` is masked.
    """

    __tablename__ = "etl_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'interrupted')", name="status_values"
        ),
    )

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command: Mapped[str] = mapped_column(String(50))
    parameters: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    steps: Mapped[str] = mapped_column(Text, default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)


# Tables loaded from CSV files, parents before children.
DATA_TABLES: tuple[str, ...] = ("products", "customers", "timeframe", "transactions", "sales")
RULE_TABLES: tuple[str, ...] = ("bundle_rules", "bundle_rule_items")
# The insert-only tables: an appended batch never changes their rows.
FACT_TABLES: tuple[str, ...] = ("transactions", "sales")

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(column.name for column in Base.metadata.tables[name].columns)
    for name in DATA_TABLES
}


def table(name: str) -> Table:
    """The schema's table ``name`` (a name from this module, never from user input)."""
    return Base.metadata.tables[name]
