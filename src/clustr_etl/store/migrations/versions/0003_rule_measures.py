"""bundle_rules: scope, the mined window, the mlxtend >= 0.23 measures and the Fisher p-value.

Existing rules get scope 'all' and NULL for the new measures and the window.

Revision ID: 0003_rule_measures
Revises: 0002_natural_keys
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_rule_measures"
down_revision = "0002_natural_keys"
branch_labels = None
depends_on = None

MEASURES = (
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
    "antecedent_support",
    "consequent_support",
    "p_value",
)
WINDOW = ("since", "until")


def upgrade() -> None:
    with op.batch_alter_table("bundle_rules") as batch:
        batch.add_column(sa.Column("scope", sa.String(200), nullable=False, server_default="all"))
        for name in MEASURES:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        for name in WINDOW:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch.create_index("ix_bundle_rules_scope", ["scope"])


def downgrade() -> None:
    with op.batch_alter_table("bundle_rules") as batch:
        batch.drop_index("ix_bundle_rules_scope")
        for name in ("scope", *MEASURES, *WINDOW):
            batch.drop_column(name)
