"""products.subcategory: the product line's kind (pasta sauce, phone case), used by planted bundles.

Nullable: rows loaded before this revision, and imported catalogs without subcategories, keep NULL.

Revision ID: 0004_product_subcategory
Revises: 0003_rule_measures
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_product_subcategory"
down_revision = "0003_rule_measures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("subcategory", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("subcategory")
