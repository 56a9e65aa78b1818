"""Natural keys of imported data: products.sku, customers.external_id, transactions.invoice_no
(nullable, unique) and products.is_merchandise (true for every existing row).

Revision ID: 0002_natural_keys
Revises: 0001_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_natural_keys"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("sku", sa.String(100), nullable=True))
        batch.add_column(
            sa.Column("is_merchandise", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.create_unique_constraint("uq_products_sku", ["sku"])
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_customers_external_id", ["external_id"])
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("invoice_no", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_transactions_invoice_no", ["invoice_no"])


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_constraint("uq_transactions_invoice_no", type_="unique")
        batch.drop_column("invoice_no")
    with op.batch_alter_table("customers") as batch:
        batch.drop_constraint("uq_customers_external_id", type_="unique")
        batch.drop_column("external_id")
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint("uq_products_sku", type_="unique")
        batch.drop_column("is_merchandise")
        batch.drop_column("sku")
