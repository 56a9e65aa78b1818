"""Bad input is refused before anything changes, with ONE line naming the file, the line and the column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, Engine

from clustr_etl.errors import DataValidationError
from clustr_etl.loading import load_tables
from clustr_etl.loading.checks import ROW_RULES
from clustr_etl.store.models import CSV_COLUMNS, DATA_TABLES, Base
from loading_data import Rows, make_dataset, snapshot, write_dataset, write_table

Data = dict[str, Rows]


def _set(table: str, row: int, column: str, value: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data[table][row][CSV_COLUMNS[table].index(column)] = value

    return change


def _append_copy(table: str, row: int) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data[table].append(list(data[table][row]))

    return change


def _copy_field(table: str, column: str, source: int, target: int) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        position = CSV_COLUMNS[table].index(column)
        data[table][target][position] = data[table][source][position]

    return change


# (id, change, file, expected line, expected column, words of the message)
CASES = [
    ("wrong type", _set("sales", 4, "quantity", "two"), "sales", 6, "quantity", "'two'"),
    ("fraction in int", _set("sales", 2, "quantity", "1.5"), "sales", 4, "quantity", "whole"),
    ("int overflow", _set("timeframe", 3, "year", "99999"), "timeframe", 5, "year", "whole"),
    ("empty required", _set("customers", 6, "email", ""), "customers", 8, "email", "empty"),
    ("empty numeric", _set("sales", 7, "discount", ""), "sales", 9, "discount", "empty"),
    ("bad date", _set("timeframe", 2, "date", "2024-02-30"), "timeframe", 4, "date", "YYYY-MM-DD"),
    (
        "bad date format",
        _set("transactions", 9, "date", "03/01/2024"),
        "transactions",
        11,
        "date",
        "date",
    ),
    (
        "bad boolean",
        _set("timeframe", 0, "is_holiday", "maybe"),
        "timeframe",
        2,
        "is_holiday",
        "boolean",
    ),
    ("negative quantity", _set("sales", 5, "quantity", "-3"), "sales", 7, "quantity", "> 0"),
    ("zero quantity", _set("sales", 1, "quantity", "0"), "sales", 3, "quantity", "> 0"),
    ("discount of 1", _set("sales", 3, "discount", "1.000"), "sales", 5, "discount", "< 1"),
    ("negative discount", _set("sales", 3, "discount", "-0.1"), "sales", 5, "discount", ">= 0"),
    ("zero price", _set("products", 4, "unit_price", "0.00"), "products", 6, "unit_price", "> 0"),
    (
        "negative sale price",
        _set("sales", 8, "unit_price", "-2.00"),
        "sales",
        10,
        "unit_price",
        "> 0",
    ),
    (
        "too many decimals",
        _set("products", 2, "unit_price", "1.234"),
        "products",
        4,
        "unit_price",
        "decimal",
    ),
    (
        "quarter out of range",
        _set("timeframe", 1, "quarter", "5"),
        "timeframe",
        3,
        "quarter",
        "between 1 and 4",
    ),
    (
        "duplicate product id",
        _set("products", 5, "product_id", "2"),
        "products",
        7,
        "product_id",
        "duplicate",
    ),
    ("duplicate sale id", _append_copy("sales", 10), "sales", None, "sale_id", "duplicate"),
    ("duplicate date", _copy_field("timeframe", "date", 0, 7), "timeframe", 9, "date", "duplicate"),
    (
        "duplicate name",
        _copy_field("products", "name", 1, 9),
        "products",
        11,
        "name",
        "'Product 2'",
    ),
    (
        "duplicate email",
        _copy_field("customers", "email", 2, 4),
        "customers",
        6,
        "email",
        "also on line 4",
    ),
    (
        "orphan product",
        _set("sales", 12, "product_id", "999"),
        "sales",
        14,
        "product_id",
        "products.csv",
    ),
    (
        "orphan transaction",
        _set("sales", 0, "transaction_id", "5000"),
        "sales",
        2,
        "transaction_id",
        "transactions.csv",
    ),
    (
        "orphan customer",
        _set("transactions", 3, "customer_id", "77"),
        "transactions",
        5,
        "customer_id",
        "customers.csv",
    ),
    (
        "orphan date",
        _set("transactions", 3, "date", "2030-01-01"),
        "transactions",
        5,
        "date",
        "timeframe.csv",
    ),
    ("name too long", _set("products", 0, "name", "x" * 201), "products", 2, "name", "limit 200"),
    ("too many fields", lambda data: data["sales"][6].append("7"), "sales", 8, None, "8 fields"),
    ("too few fields", lambda data: data["customers"][3].pop(), "customers", 5, None, "7 fields"),
]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> tuple[Engine, dict[str, list[tuple[object, ...]]]]:
    """A database holding a first dataset, and its snapshot."""
    load_tables(engine, write_dataset(tmp_path / "first", make_dataset(seed=7)))
    return engine, snapshot(engine)


def _message(engine: Engine, raw: Path, tables: list[str] | None = None) -> str:
    with pytest.raises(DataValidationError) as caught:
        load_tables(engine, raw, tables)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("change", "table", "line", "column", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_value_is_reported_with_file_line_column(
    loaded: tuple[Engine, dict[str, list[tuple[object, ...]]]],
    tmp_path: Path,
    change: Callable[[Data], None],
    table: str,
    line: int | None,
    column: str | None,
    words: str,
) -> None:
    engine, before = loaded
    data = make_dataset()
    change(data)
    message = _message(engine, write_dataset(tmp_path / "raw", data))
    if line is None:  # an appended row: the last line
        line = len(data[table]) + 1
    where = f"{table}.csv, line {line}" + (f", column {column}" if column else "")
    assert message.startswith(where), message
    assert words in message
    assert snapshot(engine) == before


def test_line_numbers_count_physical_lines_of_quoted_newlines(
    loaded: tuple[Engine, dict[str, list[tuple[object, ...]]]], tmp_path: Path
) -> None:
    engine, before = loaded
    data = make_dataset()
    data["products"][0][1] = "two\nlines"
    data["products"][1][2] = "three\r\nlines\nhere"
    data["products"][3][3] = "free"
    message = _message(engine, write_dataset(tmp_path / "raw", data))
    assert message.startswith("products.csv, line 8, column unit_price: 'free'"), message
    data["products"][3][3] = "0.00"
    message = _message(engine, write_dataset(tmp_path / "raw", data))
    assert message.startswith("products.csv, line 8, column unit_price"), message
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (["product_id", "name", "unit_price"], "missing column category"),
        (["product_id", "name", "category", "unit_price", "colour"], "unexpected column 'colour'"),
        (["product_id", "name", "name", "category", "unit_price"], "repeated column name"),
    ],
)
def test_header_problems_are_reported_on_line_1(
    loaded: tuple[Engine, dict[str, list[tuple[object, ...]]]],
    tmp_path: Path,
    header: list[str],
    words: str,
) -> None:
    engine, before = loaded
    raw = write_dataset(tmp_path / "raw", make_dataset())
    write_table(raw, "products", [], header=header)
    message = _message(engine, raw)
    assert message.startswith("products.csv, line 1: "), message
    assert words in message
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (
            b"\xef\xbb\xbfproduct_id,name,category,unit_price,sku,is_merchandise,subcategory\n"
            b"1,A,B,1.00,,true,S\n\n2,C,D,2.00,,true,S\n",
            "line 3: blank line",
        ),
        (
            b"product_id,name,category,unit_price,sku,is_merchandise,subcategory\n"
            b"1,A,B,1.00,,true,S\n2,\xff\xfe,D,2.00,,true,S\n",
            "line 3: invalid UTF-8",
        ),
        (
            b"product_id,name,category,unit_price,sku,is_merchandise,subcategory\n"
            b'1,A,B,1.00,,true,S\n2,"C\x00",D,2.00,,true,S\n',
            "line 3, column name: contains a NUL",
        ),
    ],
    ids=["empty file", "blank line", "invalid utf-8", "nul byte"],
)
def test_malformed_files_are_reported(
    loaded: tuple[Engine, dict[str, list[tuple[object, ...]]]],
    tmp_path: Path,
    content: bytes,
    words: str,
) -> None:
    engine, before = loaded
    raw = write_dataset(tmp_path / "raw", make_dataset())
    (raw / "products.csv").write_bytes(content)
    message = _message(engine, raw, ["products"])
    assert message.startswith("products.csv"), message
    assert words in message, message
    assert snapshot(engine) == before


def test_foreign_keys_of_a_partial_load_are_checked_against_the_database(
    loaded: tuple[Engine, dict[str, list[tuple[object, ...]]]], tmp_path: Path
) -> None:
    engine, before = loaded
    data = make_dataset(seed=7)
    data["sales"][3][2] = "13"  # the database holds products 1..12
    message = _message(engine, write_dataset(tmp_path / "raw", data), ["sales"])
    assert message.startswith(
        "sales.csv, line 5, column product_id: 13 is not in the products table"
    )
    assert snapshot(engine) == before


def test_every_check_constraint_has_a_row_rule() -> None:
    for name in DATA_TABLES:
        constraints = {
            str(constraint.name).removeprefix(f"ck_{name}_")
            for constraint in Base.metadata.tables[name].constraints
            if isinstance(constraint, CheckConstraint)
        }
        assert constraints == {rule.constraint for rule in ROW_RULES[name]}, name
