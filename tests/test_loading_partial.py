"""Partial refresh replaces only the named tables and never orphans or deletes rows of another table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.schema import CreateTable

from clustr_etl.errors import DataValidationError, UnknownTableError
from clustr_etl.loading import load_products, load_tables, truncate_table
from clustr_etl.store.models import Base
from loading_data import database_rows, expected_rows, make_dataset, snapshot, write_dataset


def schema_objects(engine: Engine) -> dict[str, object]:
    """Names of every key, foreign key, unique constraint and index the database has."""
    inspector = inspect(engine)
    found: dict[str, object] = {}
    for name in Base.metadata.tables:
        found[f"{name} pk"] = inspector.get_pk_constraint(name)["constrained_columns"]
        found[f"{name} fk"] = sorted(
            (fk["constrained_columns"][0], fk["referred_table"])
            for fk in inspector.get_foreign_keys(name)
        )
        found[f"{name} ix"] = sorted(str(ix["name"]) for ix in inspector.get_indexes(name))
        found[f"{name} uq"] = sorted(
            uq["column_names"][0] for uq in inspector.get_unique_constraints(name)
        )
    return found


def test_loading_keeps_every_constraint_and_index(engine: Engine, tmp_path: Path) -> None:
    created = schema_objects(engine)
    raw = write_dataset(tmp_path / "raw", make_dataset())
    load_tables(engine, raw)
    assert schema_objects(engine) == created
    load_tables(engine, raw, ["products"])
    load_tables(engine, raw, ["transactions", "timeframe"])
    assert schema_objects(engine) == created


def test_refreshing_products_leaves_the_other_tables_alone(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    load_tables(engine, write_dataset(tmp_path / "first", data))
    before = snapshot(engine)
    for row in data["products"]:
        row[3] = f"{float(row[3]) + 1:.2f}"
        row[1] = row[1].upper()
    data["products"].append(["99", "A new product", "New", "5.00", "NEW-99", "true", "Novelty"])
    assert load_products(engine, write_dataset(tmp_path / "second", data)) == len(data["products"])
    assert database_rows(engine, "products") == expected_rows("products", data["products"])
    after = snapshot(engine)
    for name in ("customers", "timeframe", "transactions", "sales"):
        assert after[name] == before[name]


def test_products_still_sold_cannot_disappear(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    load_tables(engine, write_dataset(tmp_path / "first", data))
    before = snapshot(engine)
    sold = sorted({int(row[2]) for row in data["sales"]})
    data["products"] = [row for row in data["products"] if int(row[0]) not in sold[:3]]
    with pytest.raises(DataValidationError) as caught:
        load_products(engine, write_dataset(tmp_path / "second", data))
    message = str(caught.value)
    examples = ", ".join(str(product_id) for product_id in sold[:3])
    assert message.startswith(
        f"products.csv lacks 3 product_id value(s) that rows of the sales table still use (e.g. {examples})"
    ), message
    assert snapshot(engine) == before


def test_unsold_products_may_disappear(engine: Engine, tmp_path: Path) -> None:
    data = make_dataset()
    data["products"].append(["50", "Never sold", "Shelf", "1.00", "", "true", "Shelf stock"])
    load_tables(engine, write_dataset(tmp_path / "first", data))
    data["products"].pop()
    load_tables(engine, write_dataset(tmp_path / "second", data), ["products"])
    assert database_rows(engine, "products") == expected_rows("products", data["products"])


@pytest.mark.parametrize(
    ("table", "remove", "words"),
    [
        (
            "transactions",
            0,
            "transactions.csv lacks 1 transaction_id value(s) that rows of the sales",
        ),
        ("timeframe", 0, "timeframe.csv lacks"),
        ("customers", 0, "customers.csv lacks"),
    ],
)
def test_parents_still_referenced_cannot_disappear(
    engine: Engine, tmp_path: Path, table: str, remove: int, words: str
) -> None:
    data = make_dataset()
    load_tables(engine, write_dataset(tmp_path / "first", data))
    before = snapshot(engine)
    if table == "timeframe":  # drop a date that transactions use
        used = data["transactions"][0][2]
        data["timeframe"] = [row for row in data["timeframe"] if row[0] != used]
        words += f" 1 date value(s) that rows of the transactions table still use (e.g. {used})"
    elif table == "customers":
        used = data["transactions"][0][1]
        data["customers"] = [row for row in data["customers"] if row[0] != used]
        words += (
            f" 1 customer_id value(s) that rows of the transactions table still use (e.g. {used})"
        )
    else:
        del data[table][remove]
    with pytest.raises(DataValidationError, match="nothing was changed") as caught:
        load_tables(engine, write_dataset(tmp_path / "second", data), [table])
    assert str(caught.value).startswith(words), str(caught.value)
    assert snapshot(engine) == before


def test_children_and_parents_may_be_replaced_together(engine: Engine, tmp_path: Path) -> None:
    load_tables(engine, write_dataset(tmp_path / "first", make_dataset(seed=1)))
    other = make_dataset(seed=2, transactions=30)
    load_tables(engine, write_dataset(tmp_path / "second", other), ["sales", "transactions"])
    assert database_rows(engine, "sales") == expected_rows("sales", other["sales"])
    assert database_rows(engine, "transactions") == expected_rows(
        "transactions", other["transactions"]
    )


def test_truncate_table_checks_the_name(engine: Engine) -> None:
    with pytest.raises(UnknownTableError, match="valid tables: bundle_rule_items, bundle_rules"):
        truncate_table(engine, "sales; DROP TABLE products")


def test_truncate_table_refuses_a_referenced_table(engine: Engine, tmp_path: Path) -> None:
    load_tables(engine, write_dataset(tmp_path / "raw", make_dataset()))
    before = snapshot(engine)
    with pytest.raises(DataValidationError, match=r"cannot empty products: \d+ row\(s\) of sales"):
        truncate_table(engine, "products")
    assert snapshot(engine) == before


def test_truncate_tables_children_first(engine: Engine, tmp_path: Path) -> None:
    load_tables(engine, write_dataset(tmp_path / "raw", make_dataset()))
    for name in ("sales", "products", "transactions", "customers", "timeframe"):
        truncate_table(engine, name)
        assert database_rows(engine, name) == []
    created = schema_objects(engine)
    truncate_table(engine, "bundle_rules")
    assert schema_objects(engine) == created


def test_loading_does_not_alter_the_shared_metadata(engine: Engine, tmp_path: Path) -> None:
    """Building ALTER TABLE ... ADD CONSTRAINT must not make later CREATE TABLEs omit the constraint."""
    load_tables(engine, write_dataset(tmp_path / "raw", make_dataset()))
    for name in ("products", "customers", "sales"):
        created = str(CreateTable(Base.metadata.tables[name]).compile(dialect=engine.dialect))
        assert f"CONSTRAINT pk_{name} PRIMARY KEY" in created
        if name == "sales":
            assert "CONSTRAINT fk_sales_product_id_products FOREIGN KEY" in created
        if name == "products":
            assert "CONSTRAINT uq_products_name UNIQUE" in created
