"""The import's key handling on small inputs: natural id order, label cleaning, header spacing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clustr_etl.importing.codes import ordered_ids, relabel
from clustr_etl.importing.keys import GUEST_PREFIX, customer_order, natural_order
from import_fixtures import invoke


def reference_natural_key(key: str) -> tuple[int, int, str]:
    """The order the ids follow, written plainly: ASCII numbers numerically first, then text."""
    number = key.isascii() and key.isdigit()
    return (0, int(key), key) if number else (1, 0, key)


KEYS = ["C2", "10", "9", "85123A", "007", "7", "0", "00", "85123a", "POST", "123456789012345678901234",
        "99999999999999999999", "٣", "10.5", "-3", "2"]  # fmt: skip


def test_natural_order_is_numbers_numerically_then_text() -> None:
    codes, order = ordered_ids(pd.Series(KEYS, dtype=object), natural_order)
    assert order == sorted(KEYS, key=reference_natural_key)
    assert order[:4] == ["0", "00", "2", "007"]
    # each line's id is its key's position in that order
    assert [order[i - 1] for i in codes] == KEYS


def test_customers_come_first_in_natural_order_then_guests_by_text() -> None:
    keys = [f"{GUEST_PREFIX}536365", "17850", f"{GUEST_PREFIX}C9", "9", f"{GUEST_PREFIX}99"]
    _, order = ordered_ids(pd.Series(keys * 2, dtype="string"), customer_order)
    guests = [f"{GUEST_PREFIX}536365", f"{GUEST_PREFIX}99", f"{GUEST_PREFIX}C9"]
    assert order == ["9", "17850", *guests]


def test_relabel_merges_labels_that_become_equal_and_empties_become_missing() -> None:
    values = pd.Series([" a", "a", "", None, "b ", "a "], dtype="string")
    stripped = relabel(values, lambda labels: labels.str.strip().replace("", None))
    assert isinstance(stripped.dtype, pd.CategoricalDtype)
    assert stripped.isna().tolist() == [False, False, True, True, False, False]
    assert sorted(stripped.cat.categories) == ["a", "b"]
    assert stripped.dropna().tolist() == ["a", "a", "b", "a"]


def test_header_names_with_spaces_are_read_as_text(tmp_path: Path) -> None:
    source = tmp_path / "retail.csv"
    source.write_text(
        " InvoiceNo ,StockCode, Description,Quantity ,InvoiceDate,UnitPrice,CustomerID ,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26,2.55,17850,United Kingdom\n"
        "536365,071,OLD CODE,2,2010-12-01 08:26,1.00,,United Kingdom\n",
        encoding="utf-8",
    )
    code, output = invoke("import", str(source), "--preset", "online-retail", "--data-dir", "d")
    assert code == 0, output
    products = pd.read_csv("d/raw/products.csv", dtype=str, keep_default_na=False)
    # a leading zero survives: the key is text, not a number Arrow guessed
    assert products["sku"].tolist() == ["071", "85123A"]
    customers = pd.read_csv("d/raw/customers.csv", dtype=str, keep_default_na=False)
    assert customers["external_id"].tolist() == ["17850", f"{GUEST_PREFIX}536365"]
