"""Appending a batch vs a full load of the result, side by side in one run, PostgreSQL and SQLite.

    .venv/bin/python bench/bench_append.py                         # 1M transactions over 2 years + 7 days
    .venv/bin/python bench/bench_append.py --transactions 100000   # a quick run

The dataset (``generate --transactions N`` over 730 days, then ``generate --next-days 7``: about 1 % of
the rows) is made once under bench/.data/append-N and reused. Per backend, in a database made by init-db:
the base is loaded (the batch folder hidden) once; then, --rounds times, a copy of that database gets
the batch appended, then a full load of base + batch, so both are timed under the same machine load
(medians reported, with the load average of every round). Each command runs as the whole process a user runs
(``python -m clustr_etl --quiet load ...``: interpreter start-up, imports, settings, the run ledger and the
writer lock included), timed from spawn to exit; "peak MB" is the process's peak RSS:
  append      load --append: validate the batch (foreign keys against database + batch), merge it
  full load   load: validate and replace every table with base + batch
Both end with the same rows (row counts compared). Target: append <= 10 % of the full load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench_load import drop_database, fresh_database, measured
from clustr_etl.dataset.batches import BATCHES_DIR
from clustr_etl.store.models import DATA_TABLES, Base
from clustr_etl.store.schema import init_db, make_engine

HERE = Path(__file__).resolve().parent


def run_command(url: str, data_dir: Path, *extra: str) -> tuple[float, float]:
    """``clustr-etl --quiet load --data-dir ... --database-url ... EXTRA`` as its own process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLUSTR_")}
    env["PYTHONPATH"] = str(HERE.parent / "src")
    command = [sys.executable, "-m", "clustr_etl", "--quiet", "load"]
    command += ["--data-dir", str(data_dir), "--database-url", url, *extra]
    seconds, peak, _ = measured(command, env)
    return seconds, peak


def ensure_dataset(data_dir: Path, transactions: int) -> Path:
    raw = data_dir / "raw"
    if not (raw / BATCHES_DIR).is_dir():
        from clustr_etl.cli.app import app

        print(f"generating {transactions} transactions + 7 days into {data_dir} ...", flush=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        common = ["--quiet"]
        where = ["--data-dir", str(data_dir), "--workers", "2"]
        for args in (
            [*common, "generate", "--transactions", str(transactions), "--days", "730", *where],
            [*common, "generate", "--next-days", "7", *where],
        ):
            try:
                app(args, prog_name="clustr-etl")
            except SystemExit as done:
                if done.code:
                    raise
    (batch,) = (raw / BATCHES_DIR).iterdir()
    return batch


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(
                select(func.count()).select_from(Base.metadata.tables[name])
            ).scalar_one()
            for name in DATA_TABLES
        }
    engine.dispose()
    return counts


def clone_postgresql(server_url: str, base: str, name: str) -> str:
    """A new database ``name``, a file-level copy of ``base`` (CREATE DATABASE ... TEMPLATE)."""
    admin = create_engine(
        make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base}"'))
        # The copy went through the write-ahead log: flush it now, so no checkpoint of the clone
        # lands inside the timed command (a user's database is not one second old).
        conn.execute(text("CHECKPOINT"))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def clone_sqlite(base: Path, copy: Path) -> str:
    """A copy of the SQLite database ``base`` (its -wal included) made with the backup API."""
    copy.unlink(missing_ok=True)
    with sqlite3.connect(base) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def load_base(url: str, raw: Path) -> None:
    """The base dataset alone (the batch folder hidden)."""
    hidden = raw.parent / "batches-hidden"
    os.replace(raw / BATCHES_DIR, hidden)
    try:
        run_command(url, raw.parent)
    finally:
        os.replace(hidden, raw / BATCHES_DIR)


def measure(
    backend: str, clone: Callable[[], str], raw: Path, rounds: int
) -> list[tuple[str, str, float, float]]:
    """``rounds`` times, interleaved: a copy of the base database gets the batch appended (timed),
    then a full load of base + batch (timed). Medians are reported."""
    appends: list[tuple[float, float]] = []
    fulls: list[tuple[float, float]] = []
    for round_number in range(1, rounds + 1):
        url = clone()
        appends.append(run_command(url, raw.parent, "--append"))
        after_append = row_counts(url)
        fulls.append(run_command(url, raw.parent))
        if row_counts(url) != after_append:
            raise SystemExit(f"{backend}: append and full load left different row counts")
        ratio = appends[-1][0] / fulls[-1][0]
        print(
            f"{backend} round {round_number}: append {appends[-1][0]:.2f} s, "
            f"full load {fulls[-1][0]:.2f} s ({ratio:.1%}), load average {load_average()}",
            flush=True,
        )
    print(f"{backend}: {after_append['sales']:,} sales lines in the end", flush=True)
    return [
        (backend, "load --append (batch)", *_median(appends)),
        (backend, "load (base + batch)", *_median(fulls)),
    ]


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s for s, _ in runs), max(peak for _, peak in runs)


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("CLUSTR_TEST_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved append/full-load pairs")
    args = parser.parse_args()
    data_dir = HERE / ".data" / f"append-{args.transactions}"
    ensure_dataset(data_dir, args.transactions)
    raw = data_dir / "raw"
    results = []
    if args.pg_url:
        base = f"bench_append_{os.getpid()}"
        base_url = fresh_database(args.pg_url, base)
        load_base(base_url, raw)
        try:
            results += measure(
                "postgresql",
                lambda: clone_postgresql(args.pg_url, base, f"{base}_round"),
                raw,
                args.rounds,
            )
        finally:
            drop_database(args.pg_url, f"{base}_round")
            drop_database(args.pg_url, base)
    else:
        print("no --pg-url / CLUSTR_TEST_DATABASE_URL: PostgreSQL skipped")
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            base_file = Path(folder) / "base.db"
            base_url = f"sqlite:///{base_file}"
            engine = make_engine(base_url)
            init_db(engine)
            engine.dispose()
            load_base(base_url, raw)
            results += measure(
                "sqlite",
                lambda: clone_sqlite(base_file, Path(folder) / "round.db"),
                raw,
                args.rounds,
            )
    print(f"\nload average at the end: {load_average()}")
    print(f"\n{'backend':<11} {'method':<26} {'seconds':>8} {'peak MB':>8} {'vs full':>8}")
    for backend, method, seconds, peak in results:
        full = next(s for b, m, s, _ in results if b == backend and m.startswith("load ("))
        print(f"{backend:<11} {method:<26} {seconds:>8.2f} {peak:>8.0f} {seconds / full:>8.1%}")


if __name__ == "__main__":
    main()
