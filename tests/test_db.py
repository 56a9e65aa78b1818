from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Select, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from clustr_etl.errors import ConfigError, DatabaseError
from clustr_etl.store.models import Base, BundleRule, BundleRuleItem, Product
from clustr_etl.store.schema import (
    init_db,
    make_engine,
    mask_url,
    missing_tables,
    parse_database_url,
)

SCHEMA_TABLES = {
    "products",
    "customers",
    "timeframe",
    "transactions",
    "sales",
    "bundle_rules",
    "bundle_rule_items",
}


def test_postgresql_url_defaults_to_psycopg3() -> None:
    url = parse_database_url("postgresql://user:pw@localhost/db")
    assert url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize("raw", ["not a url", "mysql://u@h/db", "://"])
def test_bad_urls_are_config_errors(raw: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(raw)


def test_mask_url_hides_password() -> None:
    masked = mask_url("postgresql+psycopg://alice:s3cr3t@db.example:5432/clustr")
    assert "s3cr3t" not in masked
    assert masked == "postgresql+psycopg://alice:***@db.example:5432/clustr"


def test_unreachable_database_is_a_clear_error() -> None:
    engine = make_engine("postgresql+psycopg://alice:s3cr3t@127.0.0.1:1/clustr")
    with pytest.raises(DatabaseError) as info:
        init_db(engine)
    message = str(info.value)
    assert "cannot connect to database postgresql+psycopg://alice:***@127.0.0.1:1/clustr" in message
    assert "s3cr3t" not in message


def test_init_db_creates_every_table(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= SCHEMA_TABLES
    assert missing_tables(engine) == []
    assert init_db(engine) == []  # idempotent: nothing new to create


def test_every_foreign_key_is_indexed(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in SCHEMA_TABLES:
        indexed = {ix["column_names"][0] for ix in inspector.get_indexes(table)}
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        indexed.add(pk[0])
        for fk in inspector.get_foreign_keys(table):
            assert fk["constrained_columns"][0] in indexed, (table, fk)


def test_check_constraints_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Product).values(product_id=1, name="x", category="c", unit_price=0))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO timeframe (date, year, quarter, month, day, day_of_week, "
                "week_of_year, is_weekend, is_holiday) VALUES "
                "(:d, 2024, 1, 1, 1, 8, 1, false, false)"
            ),
            {"d": dt.date(2024, 1, 1)},
        )


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("INSERT INTO transactions (transaction_id, customer_id, date) VALUES (1, 99, :d)"),
            {"d": dt.date(2024, 1, 1)},
        )


def query_plan(conn: Connection, query: Select[Any]) -> str:
    """The plan the database chooses for ``query`` (PostgreSQL told to avoid sequential scans,
    which a three-row table would otherwise get whatever its indexes)."""
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(str(row[0]) for row in conn.execute(text(f"EXPLAIN {sql}")))


def test_rules_by_antecedent_item_use_an_index(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(BundleRule),
            [
                {
                    "rule_id": 1,
                    "antecedents": "3|7",
                    "consequents": "9",
                    "support": 0.01,
                    "confidence": 0.5,
                    "lift": 2.0,
                    "leverage": 0.005,
                    "conviction": 2.0,
                    "antecedent_count": 20,
                    "consequent_count": 40,
                    "rule_count": 10,
                    "n_transactions": 1000,
                }
            ],
        )
        conn.execute(
            insert(BundleRuleItem),
            [
                {"rule_id": 1, "side": "antecedent", "item_key": "3"},
                {"rule_id": 1, "side": "antecedent", "item_key": "7"},
                {"rule_id": 1, "side": "consequent", "item_key": "9"},
            ],
        )
        query = select(BundleRuleItem.rule_id).where(
            BundleRuleItem.item_key == "7", BundleRuleItem.side == "antecedent"
        )
        assert list(conn.execute(query).scalars()) == [1]
        plan = query_plan(conn, query)
    assert "ix_bundle_rule_items_item_key_side" in plan, plan
    indexes = {
        ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("bundle_rule_items")
    }
    assert indexes["ix_bundle_rule_items_item_key_side"] == ["item_key", "side"]


def test_init_db_drop_recreates_empty_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    init_db(engine)
    with engine.begin() as conn:
        conn.execute(insert(Product).values(product_id=1, name="x", category="c", unit_price=1))
    init_db(engine, drop=True)
    with engine.connect() as conn:
        assert conn.execute(select(Product)).all() == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
