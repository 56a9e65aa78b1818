"""Basket readers: basket files, sales CSVs, id pairs and the sales table on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, insert
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.errors import DatabaseError, InputFileError
from clustr_etl.mining import (
    Baskets,
    baskets_from_pairs,
    read_basket_file,
    read_baskets_from_db,
    read_sales_csv,
)
from clustr_etl.mining import baskets as baskets_module
from clustr_etl.store.backends import base as backends_base
from clustr_etl.store.backends.postgresql_copy import PgCopyPairs
from clustr_etl.store.models import CSV_COLUMNS, Customer, Product, Sale, Timeframe, Transaction
from shared_data import shared_file


def as_lists(baskets: Baskets) -> list[list[str]]:
    return baskets.as_lists()


def test_basket_file_with_bom_crlf_blank_lines_and_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "baskets.csv"
    path.write_bytes(
        b"\xef\xbb\xbfwhole milk , yogurt\r\n"
        b"\r\n"
        b"  \t \n"
        b"yogurt,,cream cheese ,yogurt,\n"
        b",\n"
        b"\xc3\xa9clair\n"
        b"whole milk"  # no final newline
    )
    baskets = read_basket_file(path)
    assert baskets.labels == ["cream cheese", "whole milk", "yogurt", "\u00e9clair"]
    assert as_lists(baskets) == [
        ["whole milk", "yogurt"],
        ["cream cheese", "yogurt"],
        ["\u00e9clair"],
        ["whole milk"],
    ]
    assert baskets.n_transactions == 4
    assert baskets.indptr.dtype == np.int64
    assert baskets.items.dtype == np.int32
    assert baskets.indptr.tolist() == [0, 2, 4, 5, 6]


def test_numeric_labels_get_numeric_code_order(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("10,9\n100,9,10\n", encoding="utf-8")
    baskets = read_basket_file(path)
    assert baskets.labels == ["9", "10", "100"]
    assert as_lists(baskets) == [["9", "10"], ["9", "10", "100"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), (b"\n\n , \n", "no baskets"), (b"caf\xe9\n", "UTF-8")],
)
def test_unreadable_basket_files_raise_one_clear_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "baskets.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as excinfo:
        read_basket_file(path)
    assert "\n" not in str(excinfo.value)


def test_groceries_file_matches_the_arules_data_set() -> None:
    baskets = read_basket_file(shared_file("groceries.csv"))
    assert baskets.n_transactions == 9835
    assert len(baskets.labels) == 169
    assert baskets.items.size == 43367
    assert "cream cheese" in baskets.labels
    assert "roll products" in baskets.labels
    assert all(label == label.strip() for label in baskets.labels)
    assert as_lists(baskets)[0] == [
        "citrus fruit",
        "margarine",
        "ready soups",
        "semi-finished bread",
    ]


def test_market_basket_file_strips_the_leading_space_label() -> None:
    baskets = read_basket_file(shared_file("Market_Basket_Optimisation.csv"))
    assert baskets.n_transactions == 7501
    assert len(baskets.labels) == 119  # " asparagus" and "asparagus" are one item
    assert baskets.items.size == 29358


def write_sales_csv(path: Path, rows: list[tuple[int, int]]) -> None:
    header = ",".join(CSV_COLUMNS["sales"])
    lines = [f"{i + 1},{tid},{pid},1,2.50,0.000,2.50" for i, (tid, pid) in enumerate(rows)]
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


SALES = [(12, 5), (3, 40), (12, 7), (3, 5), (12, 5), (7, 40)]
EXPECTED = [["5", "40"], ["40"], ["5", "7"]]  # transactions 3, 7, 12; product 5 once in 12


def test_sales_csv_groups_lines_by_transaction(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    write_sales_csv(path, SALES)
    baskets = read_sales_csv(path)
    assert baskets.labels == ["5", "7", "40"]
    assert as_lists(baskets) == EXPECTED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("sale_id,transaction_id\n1,2\n", "product_id"),
        ("transaction_id,product_id\n", "no rows"),
        ("transaction_id,product_id\n1,2,3\n", "cannot read"),
        ("transaction_id,product_id\n1,\n", "empty"),
    ],
)
def test_bad_sales_csv_raises(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "sales.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_sales_csv(path)


def test_sales_csv_with_text_keys_mines_skus(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(
        "transaction_id,product_id\n536365,85123A\n536365,71053\nC536366,85123a\n"
        "C536366, 71053\n536367,85123A\n536367,85123A\n",
        encoding="utf-8",
    )
    baskets = read_sales_csv(path)
    assert baskets.labels == ["71053", "85123A", "85123a"]
    assert as_lists(baskets) == [["71053", "85123A"], ["85123A"], ["71053", "85123a"]]


def test_baskets_from_pairs_accepts_string_keys_and_checks_shapes() -> None:
    baskets = baskets_from_pairs(np.array([2, 1, 2]), np.array(["tea", "jam", "bun"], dtype=object))
    assert as_lists(baskets) == [["jam"], ["bun", "tea"]]
    with pytest.raises(InputFileError):
        baskets_from_pairs(np.array([1, 2]), np.array(["a"]))
    with pytest.raises(InputFileError):
        baskets_from_pairs(np.array([], dtype=np.int64), np.array([], dtype=np.int64))


def fill_sales(engine: Engine, rows: list[tuple[int, int]]) -> None:
    day = dt.date(2024, 1, 1)
    products = sorted({pid for _, pid in rows})
    transactions = sorted({tid for tid, _ in rows})
    with engine.begin() as conn:
        conn.execute(
            insert(Product),
            [
                {"product_id": p, "name": f"p{p}", "category": "c", "unit_price": Decimal("2.50")}
                for p in products
            ],
        )
        conn.execute(
            insert(Customer),
            [
                {
                    "customer_id": 1,
                    "first_name": "A",
                    "last_name": "B",
                    "email": "a@example.com",
                    "city": "X",
                    "signup_date": day,
                    "segment": "s",
                }
            ],
        )
        conn.execute(
            insert(Timeframe),
            [
                {
                    "date": day,
                    "year": 2024,
                    "quarter": 1,
                    "month": 1,
                    "day": 1,
                    "day_of_week": 1,
                    "week_of_year": 1,
                    "is_weekend": False,
                    "is_holiday": True,
                }
            ],
        )
        conn.execute(
            insert(Transaction),
            [{"transaction_id": t, "customer_id": 1, "date": day} for t in transactions],
        )
        conn.execute(
            insert(Sale),
            [
                {
                    "sale_id": i + 1,
                    "transaction_id": tid,
                    "product_id": pid,
                    "quantity": 1,
                    "unit_price": Decimal("2.50"),
                    "discount": Decimal("0"),
                    "line_total": Decimal("2.50"),
                }
                for i, (tid, pid) in enumerate(rows)
            ],
        )


def test_read_baskets_from_db_matches_the_csv_reader(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    rows = [
        (int(t), int(p))
        for t, p in zip(rng.integers(1, 400, 3000), rng.integers(1, 60, 3000), strict=True)
    ]
    rows += SALES
    fill_sales(engine, rows)
    monkeypatch.setattr(backends_base, "ROWS_PER_CHUNK", 250)  # many COPY rows / rowid ranges
    from_db = read_baskets_from_db(engine)
    expected = baskets_from_pairs(np.array([t for t, _ in rows]), np.array([p for _, p in rows]))
    assert from_db.labels == expected.labels
    assert from_db.indptr.tolist() == expected.indptr.tolist()
    assert from_db.items.tolist() == expected.items.tolist()


def test_read_baskets_from_an_empty_sales_table_raises(engine: Engine) -> None:
    with pytest.raises(InputFileError, match="empty"):
        read_baskets_from_db(engine)


def pgcopy_stream(groups: list[tuple[list[int], list[int]]]) -> bytes:
    """A binary COPY stream of rows of one bytea of (int8, int4) pair records, as PostgreSQL writes
    ``string_agg(int8send(transaction_id) || int4send(product_id), '')``."""
    stream = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for tids, pids in groups:
        value = b"".join(struct.pack(">qi", t, p) for t, p in zip(tids, pids, strict=True))
        stream += struct.pack(">hi", 1, len(value)) + value
    return stream + struct.pack(">h", -1)


@pytest.mark.parametrize("block_size", [1, 7, 64, 100_000])
def test_pgcopy_parser_handles_rows_split_across_blocks(block_size: int) -> None:
    groups = [([5, 5, 9], [1, 2, 3]), ([], []), ([-4, 2**40], [7, 2**31 - 1])]
    stream = pgcopy_stream(groups)
    parser = PgCopyPairs()
    for start in range(0, len(stream), block_size):
        parser.feed(memoryview(stream)[start : start + block_size])
    tids, pids = parser.result()
    assert tids.tolist() == [5, 5, 9, -4, 2**40]
    assert pids.tolist() == [1, 2, 3, 7, 2**31 - 1]


def test_pgcopy_parser_rejects_a_truncated_stream() -> None:
    parser = PgCopyPairs()
    parser.feed(pgcopy_stream([([1], [2])])[:-5])
    with pytest.raises(DatabaseError, match="truncated"):
        parser.result()


def test_pgcopy_parser_rejects_a_value_that_is_not_whole_records() -> None:
    stream = pgcopy_stream([([1], [2])])
    broken = stream[:21] + struct.pack(">i", 11) + stream[25:-3] + struct.pack(">h", -1)
    with pytest.raises(DatabaseError, match="unexpected value"):
        PgCopyPairs().feed(broken)


@pytest.mark.parametrize("rows_per_chunk", [3, 7, 250])
def test_read_baskets_from_db_in_key_order_with_transactions_split_across_chunks(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, rows_per_chunk: int
) -> None:
    rng = np.random.default_rng(11)
    rows = sorted(
        (int(t), int(p))
        for t, p in zip(rng.integers(1, 300, 2000), rng.integers(1, 40, 2000), strict=True)
    )
    fill_sales(engine, rows)  # sale ids in transaction order: the physical order a load leaves
    monkeypatch.setattr(backends_base, "ROWS_PER_CHUNK", rows_per_chunk)
    from_db = read_baskets_from_db(engine)
    expected = baskets_from_pairs(np.array([t for t, _ in rows]), np.array([p for _, p in rows]))
    assert from_db.labels == expected.labels
    assert from_db.indptr.tolist() == expected.indptr.tolist()
    assert from_db.items.tolist() == expected.items.tolist()


def test_basket_file_read_in_tiny_blocks_gives_each_line_as_a_sorted_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    pool = ["tea", " jam", "bun ", "milk", "\u00e9clair", "", "rye bread"]
    lines = [",".join(rng.choice(pool, int(rng.integers(0, 9))).tolist()) for _ in range(400)]
    lines.append(",".join(f"w{i:03d}" for i in range(60)))  # a line longer than any block
    path = tmp_path / "baskets.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(baskets_module, "READ_BLOCK_BYTES", 5)
    monkeypatch.setattr(baskets_module, "NORMALIZE_BLOCK", 3)
    expected = [sorted({label.strip() for label in line.split(",")} - {""}) for line in lines]
    assert as_lists(read_basket_file(path)) == [basket for basket in expected if basket]


def test_baskets_of_a_loaded_dataset_equal_those_of_its_sales_csv(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    small = ["--customers", "200", "--products", "80", "--days", "60", "--transactions", "2500"]
    for args in (
        ["generate", *small, "--data-dir", str(data)],
        ["init-db", "--database-url", db_url],
        ["load", "--database-url", db_url, "--data-dir", str(data)],
    ):
        result = CliRunner().invoke(app, args, prog_name="clustr-etl")
        assert result.exit_code == 0, result.output
    monkeypatch.setattr(backends_base, "ROWS_PER_CHUNK", 700)  # transactions split across chunks
    engine = create_engine(db_url)
    try:
        from_db = read_baskets_from_db(engine)
    finally:
        engine.dispose()
    from_csv = read_sales_csv(data / "raw" / "sales.csv")
    assert from_db.n_transactions == from_csv.n_transactions > 2000
    assert from_db.labels == from_csv.labels
    assert np.array_equal(from_db.indptr, from_csv.indptr)
    assert np.array_equal(from_db.items, from_csv.items)
