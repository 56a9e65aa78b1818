"""Loading millions of mined rules, next to the database's own bulk tools on the same rows, in one run.

    .venv/bin/python bench/bench_rule_load.py [--pg-url URL] [--skip-sqlite] [--skip-postgresql]

The rules are the 15 x 20 shape of bench_miner_shapes.py (15 identical baskets of 20 items in 5,000
ordinary ones) mined with ``--max-rules 0``: 5.2M rules, 46M bundle_rule_items rows. For each backend:
  mine only      ``mine-rules ... --no-load`` (mining, testing and writing the CSV);
  mine + load    the same without ``--no-load`` (bundle_rules and bundle_rule_items replaced online);
  load           their difference;
  anchor         the same rows (exported from the loaded tables as CSV) put back by the database's own
                 tool: PostgreSQL ``psql \\copy`` into the tables stripped of keys, indexes and foreign
                 keys, then the keys built in one psql session (the loader's statements); SQLite
                 ``sqlite3 .import`` into bare typed tables, copied on by ``INSERT ... SELECT`` into the
                 init-db tables (with their keys and indexes).
The ratio is load / anchor. Each measured run is its own process; peak MB is its VmHWM.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_load import drop_database, fresh_database, measured, psql, strip_keys
from bench_miner_shapes import Shape, shapes
from clustr_etl.store.backends import ddl
from clustr_etl.store.models import RULE_TABLES
from clustr_etl.store.schema import init_db, make_engine

SHAPE = "15 x 20, --max-rules 0"
DATABASE = "rulesout_rule_load"


def mine(baskets: Path, out: Path, url: str, load: bool) -> tuple[float, float]:
    command = [sys.executable, "-m", "clustr_etl", "-q", "mine-rules", "--input", str(baskets)]
    command += ["--format", "basket", "--output", str(out), *next_shape().options]
    command += [] if load else ["--no-load"]
    seconds, peak, _ = measured(command, dict(os.environ, CLUSTR_DATABASE_URL=url))
    return seconds, peak


def next_shape() -> Shape:
    return next(shape for shape in shapes() if shape.name == SHAPE)


def columns(table: str) -> str:
    return ", ".join(column.name for column in ddl.table(table).columns)


def postgresql(server_url: str, baskets: Path, folder: Path) -> None:
    url = fresh_database(server_url, DATABASE)
    try:
        alone, alone_peak = mine(baskets, folder / "rules.csv", url, load=False)
        both, peak = mine(baskets, folder / "rules.csv", url, load=True)
        files = {table: folder / f"{table}.csv" for table in RULE_TABLES}
        for table, path in files.items():
            sql = f"\\copy {table} ({columns(table)}) TO '{path}' WITH (FORMAT csv, HEADER true)"
            subprocess.run(psql(url, sql)[0], check=True, env=psql(url, sql)[1])
        anchor = psql_anchor(url, files)
        report("PostgreSQL", alone, alone_peak, both, peak, anchor)
    finally:
        drop_database(server_url, DATABASE)


def psql_anchor(url: str, files: dict[str, Path]) -> float:
    """\\copy into the tables without keys, then the loader's key statements in one psql session."""
    from clustr_etl.store.backends.postgresql import SESSION_SETTINGS

    rebuild = strip_keys(url, list(RULE_TABLES), truncate=True)
    total = 0.0
    for table, path in files.items():
        sql = f"\\copy {table} ({columns(table)}) FROM '{path}' WITH (FORMAT csv, HEADER true)"
        seconds, _, _ = measured(*psql(url, sql))
        print(f"  psql \\copy {table}: {seconds:.1f} s", flush=True)
        total += seconds
    script = "BEGIN;\n" + "".join(f"{s};\n" for s in [*SESSION_SETTINGS, *rebuild]) + "COMMIT;"
    seconds, _, _ = measured(*psql(url, script))
    print(f"  keys, indexes and foreign keys built by psql: {seconds:.1f} s", flush=True)
    return total + seconds


def sqlite(baskets: Path, folder: Path) -> None:
    path = folder / "rules.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    alone, alone_peak = mine(baskets, folder / "rules.csv", url, load=False)
    both, peak = mine(baskets, folder / "rules.csv", url, load=True)
    files = {table: folder / f"{table}.csv" for table in RULE_TABLES}
    for table, file in files.items():
        script = (
            f".headers on\n.mode csv\n.output '{file}'\nSELECT {columns(table)} FROM {table};\n"
        )
        subprocess.run(["sqlite3", str(path)], input=script, text=True, check=True)
    report("SQLite", alone, alone_peak, both, peak, sqlite_anchor(path, files))


def sqlite_anchor(path: Path, files: dict[str, Path]) -> float:
    """.import into bare typed tables, then INSERT ... SELECT into the emptied init-db tables."""
    names = list(RULE_TABLES)
    setup = "".join(
        f"CREATE TABLE bare_{t} AS SELECT {columns(t)} FROM {t} WHERE 0;\n" for t in names
    )
    setup += "".join(f"DELETE FROM {t};\n" for t in reversed(names))
    subprocess.run(["sqlite3", str(path)], input=setup, text=True, check=True)
    script = ".mode csv\n" + "".join(f".import --skip 1 '{files[t]}' bare_{t}\n" for t in names)
    script += "BEGIN;\n"
    for table in names:
        values = ", ".join(
            f"NULLIF({c.name}, '')" if c.nullable else c.name for c in ddl.table(table).columns
        )
        script += f"INSERT INTO {table} ({columns(table)}) SELECT {values} FROM bare_{table};\n"
    script += "COMMIT;\n"
    start = time.perf_counter()
    subprocess.run(["sqlite3", str(path)], input=script, text=True, check=True)
    return time.perf_counter() - start


def report(
    backend: str, alone: float, alone_peak: float, both: float, peak: float, anchor: float
) -> None:
    load = both - alone
    print(f"| {backend} | mine only | {alone:.1f} | {alone_peak:,.0f} | |", flush=True)
    print(f"| {backend} | mine + load | {both:.1f} | {peak:,.0f} | |", flush=True)
    print(f"| {backend} | load (difference) | {load:.1f} | | {load / anchor:.2f}x |", flush=True)
    print(f"| {backend} | anchor (database tool) | {anchor:.1f} | | 1.00x |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CLUSTR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    print("| backend | step | seconds | peak MB | load / anchor |")
    print("| --- | --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        baskets = folder / "baskets.csv"
        baskets.write_text("\n".join(next_shape().lines) + "\n", encoding="utf-8")
        if not args.skip_postgresql:
            postgresql(args.pg_url, baskets, folder)
        if not args.skip_sqlite:
            sqlite(baskets, folder)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
