"""The schema as released in clustr-etl 0.1.0.

A 0.1.0 database (made by `init-db` before migrations existed) has these tables and no ``alembic_version``;
`clustr-etl migrate` stamps it at this revision and upgrades from here.

Revision ID: 0001_initial
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "etl_runs",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("command", sa.String(50), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'interrupted')",
            name="ck_etl_runs_status_values",
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_etl_runs"),
    )
    op.create_table(
        "products",
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("unit_price > 0", name="ck_products_unit_price_positive"),
        sa.PrimaryKeyConstraint("product_id", name="pk_products"),
        sa.UniqueConstraint("name", name="uq_products_name"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("signup_date", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
        sa.UniqueConstraint("email", name="uq_customers_email"),
    )
    op.create_table(
        "timeframe",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("day_of_week", sa.SmallInteger(), nullable=False),
        sa.Column("week_of_year", sa.SmallInteger(), nullable=False),
        sa.Column("is_weekend", sa.Boolean(), nullable=False),
        sa.Column("is_holiday", sa.Boolean(), nullable=False),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_timeframe_quarter_range"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="ck_timeframe_month_range"),
        sa.CheckConstraint("day BETWEEN 1 AND 31", name="ck_timeframe_day_range"),
        sa.CheckConstraint("day_of_week BETWEEN 1 AND 7", name="ck_timeframe_day_of_week_iso"),
        sa.CheckConstraint("week_of_year BETWEEN 1 AND 53", name="ck_timeframe_week_of_year_range"),
        sa.PrimaryKeyConstraint("date", name="pk_timeframe"),
    )
    op.create_table(
        "transactions",
        sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.customer_id"],
            name="fk_transactions_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["date"], ["timeframe.date"], name="fk_transactions_date_timeframe"
        ),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_transactions"),
    )
    op.create_index("ix_transactions_customer_id", "transactions", ["customer_id"])
    op.create_index("ix_transactions_date", "transactions", ["date"])
    op.create_table(
        "sales",
        sa.Column("sale_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
        sa.Column("discount", sa.Numeric(4, 3), nullable=False),
        sa.Column("line_total", sa.Numeric(12, 2), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_sales_quantity_positive"),
        sa.CheckConstraint("unit_price > 0", name="ck_sales_unit_price_positive"),
        sa.CheckConstraint("discount >= 0 AND discount < 1", name="ck_sales_discount_range"),
        sa.CheckConstraint("line_total >= 0", name="ck_sales_line_total_nonnegative"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.product_id"], name="fk_sales_product_id_products"
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.transaction_id"],
            name="fk_sales_transaction_id_transactions",
        ),
        sa.PrimaryKeyConstraint("sale_id", name="pk_sales"),
    )
    op.create_index("ix_sales_product_id", "sales", ["product_id"])
    op.create_index("ix_sales_transaction_id", "sales", ["transaction_id"])
    op.create_table(
        "bundle_rules",
        sa.Column("rule_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("antecedents", sa.String(2000), nullable=False),
        sa.Column("consequents", sa.String(2000), nullable=False),
        sa.Column("antecedent_names", sa.String(8000), nullable=True),
        sa.Column("consequent_names", sa.String(8000), nullable=True),
        sa.Column("support", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.Column("leverage", sa.Float(), nullable=False),
        sa.Column("conviction", sa.Float(), nullable=True),
        sa.Column("antecedent_count", sa.Integer(), nullable=False),
        sa.Column("consequent_count", sa.Integer(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("n_transactions", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("support > 0 AND support <= 1", name="ck_bundle_rules_support_range"),
        sa.CheckConstraint(
            "confidence > 0 AND confidence <= 1", name="ck_bundle_rules_confidence_range"
        ),
        sa.CheckConstraint("lift > 0", name="ck_bundle_rules_lift_positive"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["etl_runs.run_id"],
            name="fk_bundle_rules_run_id_etl_runs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("rule_id", name="pk_bundle_rules"),
    )
    op.create_index("ix_bundle_rules_run_id", "bundle_rules", ["run_id"])
    op.create_table(
        "bundle_rule_items",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.CheckConstraint(
            "side IN ('antecedent', 'consequent')", name="ck_bundle_rule_items_side_values"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["bundle_rules.rule_id"],
            name="fk_bundle_rule_items_rule_id_bundle_rules",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "side", "item_key", name="pk_bundle_rule_items"),
    )
    op.create_index("ix_bundle_rule_items_item_key_side", "bundle_rule_items", ["item_key", "side"])


def downgrade() -> None:
    for name in (
        "bundle_rule_items",
        "bundle_rules",
        "sales",
        "transactions",
        "timeframe",
        "customers",
        "products",
        "etl_runs",
    ):
        op.drop_table(name)
