"""The backend layer: one module per backend, appending/upserting rows by primary key, the scrubber."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, quote_plus

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

import clustr_etl
from clustr_etl.errors import DataValidationError
from clustr_etl.loading import append_frame, upsert_frame
from clustr_etl.store.backends import RowCounts, backend_for, driver_error_line, mask_url, scrub
from clustr_etl.store.models import Product, Sale

BACKEND_TEST = re.compile(r'dialect\.name|get_backend_name|== "sqlite"|== "postgresql"')
COLUMNS = ["product_id", "name", "category", "unit_price"]


def test_only_the_backends_package_branches_on_the_backend() -> None:
    package = Path(clustr_etl.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[:2] != ("store", "backends")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BACKEND_TEST.search(line)
    ]
    assert offenders == []


def test_backend_for_a_url_text_or_an_engine(engine: Engine) -> None:
    backend = backend_for(engine)
    assert backend.name == engine.url.get_backend_name()
    assert backend_for(str(engine.url.render_as_string(hide_password=False))).name == backend.name
    assert backend_for("postgresql://u@h/d").url.drivername == "postgresql+psycopg"


def products(*rows: tuple[int, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(pid, name, category, Decimal(price)) for pid, name, category, price in rows],
        columns=COLUMNS,
    )


def stored(engine: Engine) -> list[tuple[int, str, str, Decimal]]:
    with engine.connect() as conn:
        rows = conn.execute(select(*Product.__table__.c).order_by(Product.product_id)).all()  # type: ignore[attr-defined]
    return [(int(r[0]), r[1], r[2], Decimal(str(r[3])).quantize(Decimal("0.01"))) for r in rows]


FIRST = products((1, "Milk", "dairy", "1.20"), (2, "Bread", "bakery", "2.50"))


def test_append_inserts_new_keys_and_leaves_known_rows_alone(engine: Engine) -> None:
    assert append_frame(engine, "products", FIRST) == RowCounts(inserted=2)
    again = products((2, "Rye bread", "bakery", "3.10"), (1, "Milk", "dairy", "1.20"))
    again = pd.concat([again, products((3, "Eggs", "dairy", "0.30"))], ignore_index=True)
    counts = append_frame(engine, "products", again)
    assert counts == RowCounts(inserted=1, updated=0, unchanged=2)
    assert counts.total == 3
    assert stored(engine) == [
        (1, "Milk", "dairy", Decimal("1.20")),
        (2, "Bread", "bakery", Decimal("2.50")),
        (3, "Eggs", "dairy", Decimal("0.30")),
    ]


def test_upsert_updates_only_rows_whose_values_differ(engine: Engine) -> None:
    append_frame(engine, "products", FIRST)
    changes = products(
        (1, "Milk", "dairy", "1.20"),  # unchanged
        (2, "Bread", "bakery", "2.75"),  # new price
        (7, "Tea", "drinks", "4.00"),  # new key
    )
    assert upsert_frame(engine, "products", changes) == RowCounts(1, 1, 1)
    assert stored(engine) == [
        (1, "Milk", "dairy", Decimal("1.20")),
        (2, "Bread", "bakery", Decimal("2.75")),
        (7, "Tea", "drinks", Decimal("4.00")),
    ]
    assert upsert_frame(engine, "products", changes) == RowCounts(0, 0, 3)


def test_repeated_keys_are_refused_and_nothing_changes(engine: Engine) -> None:
    append_frame(engine, "products", FIRST)
    twice = products((5, "Jam", "spreads", "3.00"), (5, "Jam 2", "spreads", "3.50"))
    with pytest.raises(DataValidationError, match="appear more than once") as info:
        upsert_frame(engine, "products", twice)
    assert "\n" not in str(info.value)
    assert len(stored(engine)) == 2


def test_a_rejected_row_rolls_the_whole_merge_back(engine: Engine) -> None:
    append_frame(engine, "products", FIRST)
    bad = products((3, "Eggs", "dairy", "0.30"), (4, "Free lunch", "none", "-1.00"))
    with pytest.raises(DataValidationError, match="rejected the data"):
        append_frame(engine, "products", bad)
    orphan = pd.DataFrame(
        {
            "sale_id": [1],
            "transaction_id": [999],
            "product_id": [1],
            "quantity": [1],
            "unit_price": [1.2],
            "discount": [0.0],
            "line_total": [1.2],
        }
    )
    # The server's own foreign-key check, or (PostgreSQL, a role that may skip it) the set check's
    with pytest.raises(
        DataValidationError, match=r"rejected the data|are in no row of transactions"
    ):
        append_frame(engine, "sales", orphan)
    assert stored(engine) == stored_first()
    with engine.connect() as conn:
        assert conn.execute(select(Sale.sale_id)).all() == []


def stored_first() -> list[tuple[int, str, str, Decimal]]:
    return [(1, "Milk", "dairy", Decimal("1.20")), (2, "Bread", "bakery", Decimal("2.50"))]


def test_rows_without_their_primary_key_are_refused(engine: Engine) -> None:
    with pytest.raises(DataValidationError, match="no primary key column product_id"):
        upsert_frame(engine, "products", FIRST.drop(columns=["product_id"]))


@pytest.mark.parametrize("password", ["Pw:@/%x", "a%2Fb@c:d/e"])
def test_the_scrubber_removes_a_password_in_every_form(password: str) -> None:
    url = URL.create("postgresql+psycopg", "alice", password, "db.example", 5432, "clustr")
    rendered = url.render_as_string(hide_password=False)
    message = f"connection to {rendered} failed; password {password!s} / {quote_plus(password)}"
    cleaned = scrub(message, url)
    for form in (password, quote(password, safe=""), quote_plus(password)):
        assert form not in cleaned
    assert "alice:***@db.example" in cleaned
    assert mask_url(url) == "postgresql+psycopg://alice:***@db.example:5432/clustr"
    error = RuntimeError(f"FATAL: bad password {password}\nDETAIL: more")
    assert driver_error_line(error, url) == "FATAL: bad password ***"


def test_foreign_keys_are_enforced_again_after_a_replace(engine: Engine) -> None:
    """SQLite replaces tables with its foreign keys off; the connection must not stay that way."""
    from clustr_etl.loading.sources import FrameSource
    from clustr_etl.progress import NO_PROGRESS

    backend_for(engine).replace_tables(engine, [FrameSource("products", FIRST)], NO_PROGRESS)
    assert len(stored(engine)) == 2
    orphan = pd.DataFrame(
        {
            "sale_id": [1],
            "transaction_id": [404],  # no such transaction
            "product_id": [1],
            "quantity": [1],
            "unit_price": ["1.20"],
            "discount": ["0.000"],
            "line_total": ["1.20"],
        }
    )
    with pytest.raises(DataValidationError):
        append_frame(engine, "sales", orphan)
    with engine.connect() as conn:
        assert conn.execute(select(Sale.sale_id)).all() == []
