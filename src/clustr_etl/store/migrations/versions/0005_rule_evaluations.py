"""rule_evaluations: the figures of `clustr-etl evaluate` (method, metric, k, value, 95 % interval).

A new, empty table; nothing else changes.

Revision ID: 0005_rule_evaluations
Revises: 0004_product_subcategory
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rule_evaluations"
down_revision = "0004_product_subcategory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_evaluations",
        sa.Column("evaluation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("split", sa.String(200), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("metric", sa.String(50), nullable=False),
        sa.Column("k", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["etl_runs.run_id"],
            name="fk_rule_evaluations_run_id_etl_runs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", name="pk_rule_evaluations"),
    )
    op.create_index("ix_rule_evaluations_run_id", "rule_evaluations", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_rule_evaluations_run_id", table_name="rule_evaluations")
    op.drop_table("rule_evaluations")
