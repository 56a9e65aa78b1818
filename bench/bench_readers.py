"""Readers during writes: how long a dashboard's query waits while clustr-etl works, both backends.

    .venv/bin/python bench/bench_readers.py                          # 1M transactions (+ 7 days batch)
    .venv/bin/python bench/bench_readers.py --transactions 100000    # a quick run

The dataset is bench_append's (``generate --transactions N --days 730`` then ``generate --next-days 7``,
made once under bench/.data/append-N). Per backend, in a fresh database: init-db and a first load of the
base (not measured); then each operation runs as the whole command a user types (its own process), while
a reader thread of this process, on its own connection, runs ``SELECT count(*) FROM sales`` every 50 ms,
each read its own transaction:

  load            full reload of every table (the same files)
  load sales      one table
  load --append   the 7-day batch
  mine-rules      mining and replacing bundle_rules (--min-support, default 0.01)
  migrate         on a database at head
  init-db         on an existing database

Reported per operation: its seconds, the number of reads, the slowest and the 99th-percentile read, and the
reads whose count was neither the count before the operation nor the count after it (a partial or empty
table). A read that fails counts as neither.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bench_append import ensure_dataset
from bench_load import drop_database, fresh_database
from clustr_etl.dataset.batches import BATCHES_DIR

HERE = Path(__file__).resolve().parent
POLL_SECONDS = 0.05
COUNT = "SELECT count(*) FROM sales"


@dataclass
class Reads:
    seconds: list[float] = field(default_factory=list)
    counts: list[int | None] = field(default_factory=list)


@dataclass
class Row:
    backend: str
    operation: str
    seconds: float
    reads: int
    slowest: float
    p99: float
    neither: int


@contextmanager
def reader(url: str) -> Iterator[Reads]:
    reads = Reads()
    stop = threading.Event()
    engine = create_engine(url)

    def poll() -> None:
        with engine.connect() as conn:
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    reads.counts.append(int(conn.execute(text(COUNT)).scalar_one()))
                except Exception:  # a failed read is neither old nor new
                    reads.counts.append(None)
                conn.rollback()
                reads.seconds.append(time.perf_counter() - start)
                time.sleep(POLL_SECONDS)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield reads
    finally:
        stop.set()
        thread.join()
        engine.dispose()


def count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = int(conn.execute(text(COUNT)).scalar_one())
    engine.dispose()
    return rows


def clustr(url: str, data_dir: Path, *args: str) -> float:
    command = [sys.executable, "-m", "clustr_etl", "--quiet", *args]
    command += ["--database-url", url, "--data-dir", str(data_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTR_")}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return time.perf_counter() - start


def measure(backend: str, url: str, data_dir: Path, operation: str, args: list[str]) -> Row:
    before = count(url)
    with reader(url) as reads:
        time.sleep(0.2)
        seconds = clustr(url, data_dir, *args)
        time.sleep(0.2)
    after = count(url)
    ordered = sorted(reads.seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    neither = sum(1 for rows in reads.counts if rows not in (before, after))
    row = Row(backend, operation, seconds, len(ordered), ordered[-1], p99, neither)
    print(
        f"  {operation}: {seconds:.1f} s, {row.reads} reads, slowest {row.slowest:.3f} s, "
        f"p99 {row.p99:.3f} s, median {statistics.median(ordered):.3f} s, neither {neither}",
        flush=True,
    )
    return row


def run_backend(backend: str, url: str, data_dir: Path, min_support: str) -> list[Row]:
    batches = data_dir / "raw" / BATCHES_DIR
    hidden = data_dir / "hidden-batches"
    batches.rename(hidden)  # the base first; the batch is appended below
    try:
        clustr(url, data_dir, "init-db")
        first = clustr(url, data_dir, "load")
        print(f"{backend}: first load {first:.1f} s, {count(url):,} sale lines", flush=True)
        rows = [
            measure(backend, url, data_dir, "load", ["load"]),
            measure(backend, url, data_dir, "load sales", ["load", "sales"]),
        ]
    finally:
        hidden.rename(batches)
    rows.append(measure(backend, url, data_dir, "load --append", ["load", "--append"]))
    mine = ["mine-rules", "--min-support", min_support]
    rows.append(measure(backend, url, data_dir, "mine-rules", mine))
    rows.append(measure(backend, url, data_dir, "migrate", ["migrate"]))
    rows.append(measure(backend, url, data_dir, "init-db", ["init-db"]))
    return rows


def print_table(rows: list[Row]) -> None:
    print(
        "\n| backend | operation | seconds | reads | slowest read | p99 read | neither old nor new |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r.backend} | `{r.operation}` | {r.seconds:.1f} | {r.reads} | {r.slowest:.3f} s "
            f"| {r.p99:.3f} s | {r.neither} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--min-support", default="0.01")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CLUSTR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    data_dir = HERE / ".data" / f"append-{args.transactions}"
    ensure_dataset(data_dir, args.transactions)
    rows: list[Row] = []
    if not args.skip_postgresql:
        name = f"clustr_bench_readers_{os.getpid()}"
        url = fresh_database(args.pg_url, name)
        try:
            rows += run_backend("PostgreSQL", url, data_dir, args.min_support)
        finally:
            drop_database(args.pg_url, name)
    if not args.skip_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="bench-readers-"))
        try:
            url = f"sqlite:///{folder / 'clustr.db'}"
            rows += run_backend("SQLite", url, data_dir, args.min_support)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
