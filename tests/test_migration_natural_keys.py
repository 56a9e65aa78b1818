"""Migration 0002_natural_keys: a 0.1.0 database gains the natural-key columns with its data in place."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from test_migrations import invoke, release_db, released_rows  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("release_db")


def test_upgrade_adds_natural_keys_with_data_in_place(release_db: str) -> None:  # noqa: F811
    before = released_rows(release_db)
    code, output = invoke("migrate", "--database-url", release_db)
    assert code == 0, output
    assert released_rows(release_db) == before
    engine = create_engine(release_db)
    with engine.connect() as conn:
        products = conn.execute(
            text(
                "SELECT count(*), count(sku), sum(CASE WHEN is_merchandise THEN 1 ELSE 0 END) FROM products"
            )
        ).one()
        assert products[0] > 0
        assert products[1] == 0
        assert products[2] == products[0]
        assert conn.execute(text("SELECT count(external_id) FROM customers")).scalar_one() == 0
        assert conn.execute(text("SELECT count(invoice_no) FROM transactions")).scalar_one() == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET invoice_no = 'INV-1' WHERE transaction_id = 1"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE transactions SET invoice_no = 'INV-1' WHERE transaction_id = 2"))
    engine.dispose()
