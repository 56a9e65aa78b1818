"""Reading sales for mining from PostgreSQL and SQLite: read_baskets_from_db on N sale lines.

    .venv/bin/python bench/miner_db_read.py [--rows 10000000]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a scratch PostgreSQL database (dropped afterwards) and a scratch SQLite file, each with a
minimal ``sales(sale_id, transaction_id, product_id)`` table of N lines (4 lines per transaction,
2,000 products), then times the bulk reader against a naive ``fetchall`` of the same query.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from clustr_etl.mining import read_baskets_from_db

PG_FILL = "INSERT INTO sales SELECT g, g / 4, (g * 7919) % 2000 FROM generate_series(1::bigint, :rows) AS g"
SQLITE_FILL = (
    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?) "
    "INSERT INTO sales SELECT x, x / 4, (x * 7919) % 2000 FROM g"
)


def timed(engine: Engine) -> tuple[float, float, int]:
    started = time.perf_counter()
    baskets = read_baskets_from_db(engine)
    bulk = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT transaction_id, product_id FROM sales").fetchall()
    naive = time.perf_counter() - started
    del rows
    return bulk, naive, baskets.n_transactions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    results = {}
    name = f"clustr_bench_miner_{os.getpid()}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        pg = create_engine(admin.url.set(database=name))
        with pg.begin() as conn:
            conn.execute(
                text("CREATE TABLE sales (sale_id BIGINT, transaction_id BIGINT, product_id INT)")
            )
            conn.execute(text(PG_FILL), {"rows": args.rows})
        with pg.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE sales"))  # hint bits set, as on a settled table
        results["postgresql"] = timed(pg)
        pg.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-miner-db-") as tmp:
        path = Path(tmp) / "sales.db"
        with sqlite3.connect(path) as conn:
            conn.execute(
                "CREATE TABLE sales (sale_id BIGINT PRIMARY KEY, transaction_id BIGINT, product_id INT)"
            )
            conn.execute(SQLITE_FILL, (args.rows,))
        lite = create_engine(f"sqlite:///{path}")
        results["sqlite"] = timed(lite)
        lite.dispose()
    print(f"\nread_baskets_from_db on {args.rows:,} sale lines\n")
    print(f"{'backend':12s} {'bulk s':>8s} {'fetchall s':>11s} {'speed-up':>9s} {'baskets':>10s}")
    for backend, (bulk, naive, n_baskets) in results.items():
        print(f"{backend:12s} {bulk:8.2f} {naive:11.2f} {naive / bulk:9.1f} {n_baskets:10,d}")
    print("(bulk = rows read, grouped into baskets and de-duplicated; fetchall = rows read only)")


if __name__ == "__main__":
    main()
