"""Loading speed and memory, side by side in one run: clustr-etl load vs psql \\copy vs pandas to_sql.

    .venv/bin/python bench/bench_load.py                       # ~10M sales lines (generated once, reused)
    .venv/bin/python bench/bench_load.py --transactions 200000 # a quick run (~0.9M sales lines)

PostgreSQL (server URL from --pg-url, default $CLUSTR_TEST_DATABASE_URL): every method loads the same CSVs into
a fresh database made by init-db (all keys, foreign keys and indexes present at the end):
  psql \\copy        one `psql -c "\\copy ..."` per table, dependency order (the hand-typed baseline)
  floor             the same `psql \\copy` into bare copies of the tables (columns and NOT NULL only:
                    `CREATE TABLE bare_x (LIKE x)`), i.e. COPY with no key, index or check to maintain
  clustr-etl load   load_tables(): validate, then one transaction of TRUNCATE + COPY + rebuild
  pandas to_sql     read_csv + to_sql(if_exists="append"), default method, on the first --to-sql-rows lines
                    of each file, scaled linearly to the full row counts (marked "scaled")
SQLite: clustr-etl load vs `sqlite3 .import` into bare tables (`CREATE TABLE bare_x AS SELECT * FROM x
WHERE 0`: typed columns, no constraint) and, copied on by INSERT ... SELECT, into the init-db tables, and
pandas to_sql (same slicing).
`--floors-only` compares just clustr-etl load with the floors (the issue's ratios), quickly. Each measured run is its own process; "peak MB" is
its peak RSS (VmHWM from /proc, polled every 20 ms), which includes ~100 MB of Python + pyarrow + SQLAlchemy imports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.store.backends import ddl
from clustr_etl.store.models import CSV_COLUMNS
from clustr_etl.store.schema import init_db, make_engine

HERE = Path(__file__).resolve().parent
CHILD = HERE / "load_child.py"
DEFAULT_DATA = HERE / ".data" / "load"


@dataclass
class Result:
    backend: str
    method: str
    rows: int
    seconds: float
    peak_mb: float | None
    note: str = ""


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command; return wall seconds, its peak RSS in MB (VmHWM, polled) and its stdout."""
    start = time.perf_counter()
    peak_kb = 0
    with tempfile.TemporaryFile("w+") as out:
        with subprocess.Popen(command, stdout=out, text=True, env=env) as process:
            while process.poll() is None:
                peak_kb = max(peak_kb, _high_water_kb(process.pid))
                time.sleep(0.02)
        seconds = time.perf_counter() - start
        out.seek(0)
        stdout = out.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed with exit code {process.returncode}")
    return seconds, peak_kb / 1024, stdout


def _high_water_kb(pid: int) -> int:
    """VmHWM of a running process: its peak RSS since exec (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child(*args: str) -> tuple[float, float, dict[str, object]]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    seconds, peak, stdout = measured([sys.executable, str(CHILD), *args], env)
    return seconds, peak, json.loads(stdout.strip().splitlines()[-1])


def ensure_dataset(raw_dir: Path, transactions: int) -> None:
    if all((raw_dir / name).exists() for name in TABLE_FILES.values()):
        print(f"reusing the dataset in {raw_dir}")
        return
    from clustr_etl.simulate import GenerateOptions, generate_dataset

    print(f"generating {transactions} transactions into {raw_dir} ...", flush=True)
    generate_dataset(
        GenerateOptions(transactions=transactions, seed=11, workers=2), raw_dir, force=True
    )


def count_lines(raw_dir: Path) -> dict[str, int]:
    """Data lines per file (the generator writes no quoted newlines)."""
    counts = {}
    for table, name in TABLE_FILES.items():
        with (raw_dir / name).open("rb") as handle:
            counts[table] = (
                sum(block.count(b"\n") for block in iter(lambda h=handle: h.read(1 << 24), b"")) - 1
            )
    return counts


def fresh_database(server_url: str, name: str) -> str:
    admin = create_engine(
        make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(
            text(
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORMAT)'.replace(
                    " WITH (FORMAT)", " WITH (FORCE)"
                )
            )
        )
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = (
        make_url(server_url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    return url


def drop_database(server_url: str, name: str) -> None:
    admin = create_engine(
        make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def psql(url: str, sql: str) -> tuple[list[str], dict[str, str]]:
    """A psql command running ``sql`` on the database of ``url``, and its environment."""
    parsed = make_url(url)
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", parsed.host or "127.0.0.1"]
    command += ["-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    command += ["-d", str(parsed.database), "-c", sql]
    return command, dict(os.environ, PGPASSWORD=parsed.password or "")


def psql_copy(url: str, raw_dir: Path, prefix: str = "") -> tuple[float, float]:
    total, peak = 0.0, 0.0
    for table, name in TABLE_FILES.items():
        columns = ", ".join(CSV_COLUMNS[table])
        sql = (
            f"\\copy {prefix}{table} ({columns}) FROM '{raw_dir / name}' "
            "WITH (FORMAT csv, HEADER true)"
        )
        seconds, rss, _ = measured(*psql(url, sql))
        total += seconds
        peak = max(peak, rss)
        print(f"  psql \\copy {prefix}{table}: {seconds:.1f} s", flush=True)
    return total, peak


def psql_copy_bare(url: str, raw_dir: Path) -> tuple[float, float]:
    """The floor: \\copy into bare copies of the tables (no key, index, check or foreign key)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in TABLE_FILES:
            conn.execute(text(f"CREATE TABLE bare_{table} (LIKE {table})"))
    engine.dispose()
    return psql_copy(url, raw_dir, prefix="bare_")


def strip_keys(url: str, names: list[str], *, truncate: bool = False) -> list[str]:
    """Drop the keys, indexes and foreign keys of the init-db tables ``names`` (and empty them when
    ``truncate``); the statements that build them again, as the loader does, with ANALYZE."""
    engine = create_engine(url)
    links = ddl.links_touching(names)
    with engine.begin() as conn:
        for link in links:
            conn.execute(text(ddl.drop_foreign_key(engine, link)))
        for name in names:
            for statement in ddl.drop_keys_and_indexes(engine, name, primary_key=True):
                conn.execute(text(statement))
        if truncate:
            conn.execute(text(f"TRUNCATE {', '.join(names)}"))
    rebuild = [
        s for name in names for s in ddl.add_keys_and_indexes(engine, name, primary_key=True)
    ]
    rebuild += [f"ANALYZE {name}" for name in names]
    rebuild += [ddl.add_foreign_key(engine, link) for link in links]
    engine.dispose()
    return rebuild


def psql_copy_then_keys(url: str, raw_dir: Path) -> tuple[float, float, float]:
    """PostgreSQL's own time for the loaded end state: the init-db tables stripped of their keys,
    indexes and foreign keys, \\copy into them, then one psql session builds what init-db had
    (the statements the loader runs, with its maintenance_work_mem). No validation, no client work.
    Returns (copy seconds, key-building seconds, peak MB)."""
    from clustr_etl.store.backends.postgresql_build import SESSION_SETTINGS

    rebuild = strip_keys(url, list(TABLE_FILES))
    copy_seconds, peak = psql_copy(url, raw_dir)
    script = "BEGIN;\n" + "".join(f"{statement};\n" for statement in [*SESSION_SETTINGS, *rebuild])
    keys_seconds, rss, _ = measured(*psql(url, script + "COMMIT;"))
    print(f"  keys, indexes and foreign keys built by psql: {keys_seconds:.1f} s", flush=True)
    return copy_seconds, keys_seconds, max(peak, rss)


def sqlite_import(path: Path, raw_dir: Path, *, bare: bool) -> tuple[float, float]:
    """`sqlite3 .import` of every file into bare typed tables; with ``bare=False`` then copied into
    the init-db tables by ``INSERT ... SELECT`` (.import itself cannot write NULL: an empty field
    becomes '' and breaks the unique ``invoice_no`` of generated data).
    """
    statements = ";".join(
        f"CREATE TABLE bare_{table} AS SELECT * FROM {table} WHERE 0" for table in TABLE_FILES
    )
    subprocess.run(["sqlite3", str(path), statements], check=True)
    script = ".mode csv\n" + "".join(
        f".import --skip 1 '{raw_dir / name}' bare_{table}\n" for table, name in TABLE_FILES.items()
    )
    if not bare:
        script += "BEGIN;\n"
        for table in TABLE_FILES:
            columns = ddl.table(table).c
            values = ", ".join(
                f"NULLIF({name}, '')" if columns[name].nullable else name
                for name in CSV_COLUMNS[table]
            )
            script += f"INSERT INTO {table} SELECT {values} FROM bare_{table};\n"
        script += "COMMIT;\n"
    start = time.perf_counter()
    peak_kb = 0
    with subprocess.Popen(["sqlite3", str(path)], stdin=subprocess.PIPE, text=True) as process:
        assert process.stdin is not None
        process.stdin.write(script)
        process.stdin.close()
        while process.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(0.02)
    if process.returncode != 0:
        raise SystemExit(f"sqlite3 .import failed with exit code {process.returncode}")
    return time.perf_counter() - start, peak_kb / 1024


def to_sql_scaled(
    url: str, raw_dir: Path, slice_rows: int, full: dict[str, int]
) -> tuple[float, float, int, float]:
    _, peak, out = child("to_sql", url, str(raw_dir), str(slice_rows))
    rows: dict[str, int] = out["rows"]  # type: ignore[assignment]
    seconds: dict[str, float] = out["table_seconds"]  # type: ignore[assignment]
    measured_rows = sum(rows.values())
    scaled = sum(seconds[table] * full[table] / max(rows[table], 1) for table in rows)
    print(f"  to_sql measured {measured_rows} rows in {sum(seconds.values()):.1f} s", flush=True)
    return scaled, peak, measured_rows, sum(seconds.values())


def print_table(results: list[Result]) -> None:
    print()
    header = f"{'backend':<11}{'method':<38}{'rows':>11}{'seconds':>10}{'rows/s':>11}{'peak MB':>9}  ratio"
    print(header)
    print("-" * len(header))
    for backend in dict.fromkeys(result.backend for result in results):
        group = [result for result in results if result.backend == backend]
        ours = next(result for result in group if result.method.startswith("clustr-etl load"))
        for result in group:
            peak = f"{result.peak_mb:.0f}" if result.peak_mb is not None else "-"
            ratio = result.seconds / ours.seconds
            print(
                f"{backend:<11}{result.method + result.note:<38}{result.rows:>11,}{result.seconds:>10.1f}"
                f"{result.rows / result.seconds:>11,.0f}{peak:>9}  {ratio:5.1f}x"
            )
    print("ratio = seconds / seconds of the first `clustr-etl load` row of the same backend")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--raw-dir", type=Path, default=None, help="CSV folder (generated if empty)"
    )
    parser.add_argument("--transactions", type=int, default=2_220_000, help="~4.5 sales lines each")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CLUSTR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--to-sql-rows", type=int, default=200_000, help="lines per file for pandas to_sql"
    )
    parser.add_argument("--skip-psql", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--floors-only",
        action="store_true",
        help="only clustr-etl load and the COPY/.import floors",
    )
    args = parser.parse_args()
    raw_dir = args.raw_dir or DEFAULT_DATA / f"t{args.transactions}"
    ensure_dataset(raw_dir, args.transactions)
    full = count_lines(raw_dir)
    total_rows = sum(full.values())
    size_mb = sum((raw_dir / name).stat().st_size for name in TABLE_FILES.values()) / 2**20
    print(f"dataset: {total_rows:,} rows ({full['sales']:,} sales lines), {size_mb:.0f} MB of CSV")
    results: list[Result] = []
    floors: dict[str, tuple[float, float]] = {}  # backend -> (ours, bare floor) seconds
    postgresql(args, raw_dir, full, total_rows, results, floors)
    if not args.skip_sqlite:
        sqlite(args, raw_dir, full, total_rows, results, floors)
    if not args.floors_only:
        print("pandas read_csv of each whole file (the memory a to_sql pipeline needs) ...")
        seconds, peak, _ = child("read_csv", "-", str(raw_dir))
        results.append(
            Result(
                "memory",
                "clustr-etl load (empty tables)",
                total_rows,
                results[0].seconds,
                results[0].peak_mb,
                " [pg]",
            )
        )
        results.append(Result("memory", "pandas read_csv, whole files", total_rows, seconds, peak))
    print_table(results)
    for backend, (ours, floor) in floors.items():
        print(f"{backend}: clustr-etl load takes {ours / floor:.2f}x the bare-table floor")


def postgresql(
    args: argparse.Namespace,
    raw_dir: Path,
    full: dict[str, int],
    total_rows: int,
    results: list[Result],
    floors: dict[str, tuple[float, float]],
) -> None:
    names = {
        "ours": "bench_load_ours",
        "psql": "bench_load_psql",
        "floor": "bench_load_floor",
        "keys": "bench_load_keys",
        "to_sql": "bench_load_to_sql",
    }
    try:
        print("PostgreSQL: clustr-etl load into a fresh init-db database ...", flush=True)
        ours_url = fresh_database(args.pg_url, names["ours"])
        ours, peak, _ = child("ours", ours_url, str(raw_dir))
        results.append(
            Result("postgresql", "clustr-etl load (empty tables)", total_rows, ours, peak)
        )
        print("PostgreSQL: psql \\copy into bare tables (the floor) ...", flush=True)
        floor_url = fresh_database(args.pg_url, names["floor"])
        floor, peak = psql_copy_bare(floor_url, raw_dir)
        results.append(Result("postgresql", "psql \\copy (bare tables)", total_rows, floor, peak))
        floors["postgresql"] = (ours, floor)
        print("PostgreSQL: psql \\copy, then psql builds the keys (PostgreSQL's own time) ...")
        copied, keyed, peak = psql_copy_then_keys(
            fresh_database(args.pg_url, names["keys"]), raw_dir
        )
        results.append(
            Result("postgresql", "psql \\copy, then keys by psql", total_rows, copied + keyed, peak)
        )
        if not args.skip_psql:
            print("PostgreSQL: psql \\copy into a fresh init-db database ...", flush=True)
            psql_url = fresh_database(args.pg_url, names["psql"])
            seconds, peak = psql_copy(psql_url, raw_dir)
            results.append(
                Result("postgresql", "psql \\copy (init-db tables)", total_rows, seconds, peak)
            )
        if args.floors_only:
            return
        print("PostgreSQL: clustr-etl load again, replacing all rows ...", flush=True)
        seconds, peak, _ = child("ours", ours_url, str(raw_dir))
        results.append(
            Result("postgresql", "clustr-etl load (replacing all)", total_rows, seconds, peak)
        )
        for table in ("products", "transactions", "sales"):
            seconds, peak, _ = child("ours", ours_url, str(raw_dir), table)
            results.append(
                Result(
                    "postgresql", f"clustr-etl load {table} (partial)", full[table], seconds, peak
                )
            )
        print("PostgreSQL: pandas to_sql on a slice ...", flush=True)
        to_sql_url = fresh_database(args.pg_url, names["to_sql"])
        seconds, peak, measured_rows, slice_seconds = to_sql_scaled(
            to_sql_url, raw_dir, args.to_sql_rows, full
        )
        results.append(
            Result("postgresql", "pandas to_sql", total_rows, seconds, None, " (scaled)")
        )
        results.append(
            Result(
                "postgresql",
                f"  to_sql slice of {measured_rows:,} rows",
                measured_rows,
                slice_seconds,
                peak,
            )
        )
    finally:
        for name in names.values():
            drop_database(args.pg_url, name)


def _init_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    return url


def sqlite(
    args: argparse.Namespace,
    raw_dir: Path,
    full: dict[str, int],
    total_rows: int,
    results: list[Result],
    floors: dict[str, tuple[float, float]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite: clustr-etl load ...", flush=True)
        url = _init_sqlite(Path(folder) / "ours.db")
        ours, peak, _ = child("ours", url, str(raw_dir))
        results.append(Result("sqlite", "clustr-etl load (empty tables)", total_rows, ours, peak))
        if not args.floors_only:
            print("SQLite: clustr-etl load again, replacing all rows ...", flush=True)
            seconds, peak, _ = child("ours", url, str(raw_dir))
            results.append(
                Result("sqlite", "clustr-etl load (replacing all)", total_rows, seconds, peak)
            )
        print("SQLite: sqlite3 .import into bare tables (the floor) ...", flush=True)
        _init_sqlite(Path(folder) / "floor.db")
        floor, peak = sqlite_import(Path(folder) / "floor.db", raw_dir, bare=True)
        results.append(Result("sqlite", "sqlite3 .import (bare tables)", total_rows, floor, peak))
        floors["sqlite"] = (ours, floor)
        print("SQLite: sqlite3 .import into the init-db tables ...", flush=True)
        _init_sqlite(Path(folder) / "import.db")
        seconds, peak = sqlite_import(Path(folder) / "import.db", raw_dir, bare=False)
        results.append(
            Result("sqlite", "sqlite3 .import + INSERT (init-db tables)", total_rows, seconds, peak)
        )
        if args.floors_only:
            return
        print("SQLite: pandas to_sql on a slice ...", flush=True)
        url = _init_sqlite(Path(folder) / "to_sql.db")
        seconds, peak, measured_rows, slice_seconds = to_sql_scaled(
            url, raw_dir, args.to_sql_rows, full
        )
        results.append(Result("sqlite", "pandas to_sql", total_rows, seconds, None, " (scaled)"))
        results.append(
            Result(
                "sqlite",
                f"  to_sql slice of {measured_rows:,} rows",
                measured_rows,
                slice_seconds,
                peak,
            )
        )


if __name__ == "__main__":
    main()
