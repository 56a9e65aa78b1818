"""Cached inputs of bench_miner_shapes.py's scale cases, under /work/bench-data/ (or $CLUSTR_BENCH_DATA).

- basket files written with numpy (``miner_workload.write_basket_file_fast``): ordinary baskets
  (2,000 items, mean about 4) and the Instacart shape (50,000 products, mean 10 items);
- generated datasets loaded into PostgreSQL and SQLite (``clustr-etl generate``, ``init-db``,
  ``load``), and the same baskets exported as a basket file for pyfim.

Everything is made once and reused: generating and loading 10M transactions takes minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from miner_workload import basket_bytes, write_basket_file_fast

DATA = Path(os.environ.get("CLUSTR_BENCH_DATA", "/work/bench-data"))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLI = [sys.executable, "-m", "clustr_etl", "-q"]


def basket_file(n_baskets: int, n_items: int, mean_size: float) -> Path:
    """A cached numpy-written basket file of this shape."""
    path = DATA / f"baskets-{n_baskets}-{n_items}-{mean_size:g}.csv"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.partial")  # two benches at once never share one
        write_basket_file_fast(partial, n_baskets, n_items, mean_size)
        partial.rename(path)
    return path


def loaded_dataset(name: str, generate_options: list[str], backend: str) -> tuple[str, Path]:
    """(database URL, data dir) of a generated dataset loaded into ``backend`` (cached)."""
    folder = DATA / name
    if not (folder / "raw" / "sales.csv").exists():
        subprocess.run(
            [*CLI, "generate", *generate_options, "--data-dir", str(folder), "--force"], check=True
        )
    if backend == "sqlite":
        url = f"sqlite:///{folder / (name + '.db')}"
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/bench_{name}"
    marker = folder / f".loaded-{backend}"
    if not marker.exists():
        if backend == "postgresql":
            _create_pg_database(f"bench_{name}")
        subprocess.run([*CLI, "init-db", "--drop", "--database-url", url], check=True)
        subprocess.run([*CLI, "load", "--database-url", url, "--data-dir", str(folder)], check=True)
        marker.touch()
    return url, folder


def exported_baskets(url: str, folder: Path) -> Path:
    """The database's baskets as a basket file (labels ``p`` plus the zero-padded product id)."""
    path = folder / "baskets-from-db.csv"
    if path.exists():
        return path
    from sqlalchemy import create_engine

    from clustr_etl.mining import read_baskets_from_db

    baskets = read_baskets_from_db(create_engine(url))
    keys = np.asarray([int(label) for label in baskets.labels], dtype=np.int64)
    width = len(str(int(keys.max())))
    indptr = baskets.indptr
    with path.open("wb") as handle:
        for first in range(0, baskets.n_transactions, 1_000_000):
            last = min(first + 1_000_000, baskets.n_transactions)
            rows = np.repeat(np.arange(first, last), np.diff(indptr[first : last + 1]))
            items = keys[baskets.items[indptr[first] : indptr[last]]]
            handle.write(basket_bytes(rows, items, width, prefix="p"))
    return path


def _create_pg_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
