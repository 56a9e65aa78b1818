"""Appending checks every foreign key of the new rows and locks the rows they refer to, whether the
server checks them row by row or (PostgreSQL, when the role may) clustr-etl checks them as sets."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from clustr_etl.errors import DataValidationError
from clustr_etl.loading.sources import FrameSource
from clustr_etl.store.backends import backend_for
from clustr_etl.store.models import Base

DAY = dt.date(2026, 1, 5)


def frames() -> dict[str, pd.DataFrame]:
    """Two products (one never sold), a customer, a day, a transaction and its sale line."""
    return {
        "products": pd.DataFrame(
            {
                "product_id": [1, 2],
                "name": ["Tea", "Kettle"],
                "category": ["Drinks", "Kitchen"],
                "unit_price": [2.5, 30.0],
            }
        ),
        "customers": pd.DataFrame(
            {
                "customer_id": [1],
                "first_name": ["Ada"],
                "last_name": ["L"],
                "email": ["ada@example.com"],
                "city": ["Leeds"],
                "signup_date": ["2025-01-01"],
                "segment": ["regular"],
            }
        ),
        "timeframe": pd.DataFrame(
            {
                "date": [DAY.isoformat()],
                "year": [2026],
                "quarter": [1],
                "month": [1],
                "day": [5],
                "day_of_week": [1],
                "week_of_year": [2],
                "is_weekend": [False],
                "is_holiday": [False],
            }
        ),
        "transactions": pd.DataFrame(
            {"transaction_id": [10], "customer_id": [1], "date": [DAY.isoformat()]}
        ),
        "sales": sales([(100, 10, 1)]),
    }


def sales(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Sale lines (sale_id, transaction_id, product_id) of one unit at 2.50."""
    return pd.DataFrame(
        {
            "sale_id": [row[0] for row in rows],
            "transaction_id": [row[1] for row in rows],
            "product_id": [row[2] for row in rows],
            "quantity": [1] * len(rows),
            "unit_price": [2.5] * len(rows),
            "discount": [0.0] * len(rows),
            "line_total": [2.5] * len(rows),
        }
    )


def append(engine: Engine, tables: dict[str, pd.DataFrame], **options: object) -> None:
    backend = backend_for(engine)
    sources = [(FrameSource(name, frame), False) for name, frame in tables.items()]
    backend.merge_batch(engine, sources, **options)  # type: ignore[arg-type]


def sale_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(Base.metadata.tables["sales"])
            ).scalar_one()
        )


def test_a_new_row_whose_parent_key_is_missing_is_refused_and_nothing_is_added(
    engine: Engine,
) -> None:
    append(engine, frames())
    for orphan in (sales([(101, 10, 1), (102, 10, 999)]), sales([(101, 77, 1)])):
        with pytest.raises(DataValidationError) as refused:
            append(engine, {"sales": orphan})
        message = str(refused.value)
        assert "nothing was changed" in message
        if engine.dialect.name == "postgresql":
            column, parent, value = (
                ("product_id", "products", "999")
                if 999 in set(orphan.product_id)
                else ("transaction_id", "transactions", "77")
            )
            assert (
                f"1 {column} value(s) of sales are in no row of {parent} (e.g. {value};" in message
            )
        assert sale_count(engine) == 1


def test_rows_the_batch_refers_to_are_locked_until_the_append_commits(engine: Engine) -> None:
    """A DELETE of the product a new sale line refers to (sold nowhere else) waits for the append's
    COMMIT, then fails on the foreign key: the line is never left pointing at nothing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no other session can delete meanwhile")
    append(engine, frames())
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    seen: list[str] = []

    def delete_the_product() -> None:
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SET lock_timeout = '300ms'")
            try:
                other.execute("DELETE FROM products WHERE product_id = 2")
                seen.append("deleted")
            except psycopg.errors.LockNotAvailable:
                seen.append("waited")

    def meanwhile() -> None:
        deleter = threading.Thread(target=delete_the_product)
        deleter.start()
        deleter.join()

    append(engine, {"sales": sales([(101, 10, 2)])}, before_commit=meanwhile)
    assert seen == ["waited"]
    assert sale_count(engine) == 2
    with pytest.raises(psycopg.errors.ForeignKeyViolation), psycopg.connect(url) as other:
        other.execute("DELETE FROM products WHERE product_id = 2")


def test_a_user_trigger_on_sales_fires_for_every_appended_row(engine: Engine) -> None:
    """The API team's audit trigger sees each new line (set checks step aside for such tables)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a PL/pgSQL trigger")
    append(engine, frames())
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sales_audit (sale_id bigint)"))
        conn.execute(
            text(
                "CREATE FUNCTION audit_sale() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO sales_audit VALUES (NEW.sale_id); RETURN NEW; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER sales_audit AFTER INSERT ON sales "
                "FOR EACH ROW EXECUTE FUNCTION audit_sale()"
            )
        )
    append(engine, {"sales": sales([(101, 10, 1), (102, 10, 2)])})
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT array_agg(sale_id ORDER BY sale_id) FROM sales_audit"))
        assert audited.scalar_one() == [101, 102]
    with pytest.raises(DataValidationError, match="foreign key"):  # still checked, by the server
        append(engine, {"sales": sales([(103, 10, 999)])})
    assert sale_count(engine) == 3


@contextmanager
def plain_role(engine: Engine) -> Iterator[str]:
    """A non-superuser login role owning the tables; its URL. Dropped afterwards."""
    role = f"plain_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        for name in Base.metadata.tables:
            conn.execute(text(f'ALTER TABLE "{name}" OWNER TO {role}'))
    try:
        yield (
            make_url(engine.url)
            .set(drivername="postgresql", username=role, password=None)
            .render_as_string(hide_password=False)
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_set_checks_are_used_only_when_the_role_may_skip_the_row_checks(engine: Engine) -> None:
    """A superuser, or a role granted SET on session_replication_role, checks as sets (not for an
    upsert); a plain role leaves the checks to the server; both append the same rows and refuse the
    same orphans."""
    if engine.dialect.name != "postgresql":
        pytest.skip("session_replication_role is PostgreSQL's")
    from clustr_etl.store.backends.postgresql_keys import set_checked_links

    append(engine, frames())
    columns = tuple(frames()["sales"].columns)

    def links_for(url: str, *, updates: bool = False) -> list[str] | None:
        with psycopg.connect(url) as conn:
            links = set_checked_links(conn, "sales", columns, updates=updates)
            conn.rollback()
        return None if links is None else [link.name for link in links]

    superuser = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    both = ["fk_sales_product_id_products", "fk_sales_transaction_id_transactions"]
    assert links_for(superuser) == both
    assert links_for(superuser, updates=True) is None  # updated rows' keys: the server's checks
    with plain_role(engine) as plain:
        assert links_for(plain) is None
        from sqlalchemy import create_engine

        as_plain = create_engine(plain.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            append(as_plain, {"sales": sales([(101, 10, 2)])})
            with pytest.raises(DataValidationError, match="foreign key"):
                append(as_plain, {"sales": sales([(102, 10, 999)])})
        finally:
            as_plain.dispose()
        role = make_url(plain).username
        with engine.begin() as conn:
            conn.execute(text(f"GRANT SET ON PARAMETER session_replication_role TO {role}"))
        assert links_for(plain) == both
        with engine.begin() as conn:  # products no longer its own: it may not lock their rows
            conn.execute(text("ALTER TABLE products OWNER TO CURRENT_USER"))
            conn.execute(text(f"GRANT SELECT, REFERENCES ON products TO {role}"))
        assert links_for(plain) is None
        with engine.begin() as conn:
            conn.execute(text(f"REVOKE SET ON PARAMETER session_replication_role FROM {role}"))
    assert sale_count(engine) == 2
