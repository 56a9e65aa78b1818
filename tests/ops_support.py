"""Helpers for the operations suites (faults, bad input, secrets): a small dataset, checksums, subprocesses."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, inspect, select

from clustr_etl.config.settings import load_settings
from clustr_etl.run import steps as pipeline
from clustr_etl.store.ledger import utc_now
from clustr_etl.store.models import Base, EtlRun
from pg_scratch import scratch_database

SMALL = {"customers": 300, "products": 120, "days": 120, "transactions": 3000}
SMALL_ARGS = [arg for key, value in SMALL.items() for arg in (f"--{key}", str(value))]
RULES = {"min_support": 0.005}  # ~150 rules from SMALL: enough to load, quick to mine
RULE_ARGS = ["--min-support", "0.005"]
DRIVER = Path(__file__).with_name("fault_driver.py")
CHECKED_TABLES = [name for name in Base.metadata.tables if name != "etl_runs"]
Sums = dict[str, tuple[int, str]]  # table -> (rows, sha256 of the sorted rows), see checksum()


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLUSTR_")}
    env.update(extra)
    return env


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m clustr_etl ARGS`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "clustr_etl", *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_driver(*args: str, cwd: Path, **pause: str) -> subprocess.Popen[str]:
    """Start the CLI under fault_driver.py; ``pause`` gives CLUSTR_TEST_* variables (lower-case keys)."""
    env = clean_env(**{f"CLUSTR_TEST_{key.upper()}": value for key, value in pause.items()})
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_paused(process: subprocess.Popen[str]) -> None:
    """Block until the driver prints PAUSED (fail with its stderr if it ends first)."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "PAUSED":
            return
    process.wait(timeout=30)
    stderr = process.stderr.read() if process.stderr else ""
    raise AssertionError(f"never paused; exit {process.returncode}: {stderr}")


def kill_when_paused(process: subprocess.Popen[str]) -> None:
    """SIGKILL the driver once it paused (killed anyway if it never does)."""
    try:
        wait_paused(process)
        process.kill()
        process.wait(timeout=30)
    finally:
        process.kill()


def checksum(url: str) -> Sums:
    """Row count and sha256 of the sorted rows of every table but the run ledger."""
    engine = create_engine(url)
    sums: Sums = {}
    try:
        present = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            for name in CHECKED_TABLES:
                if name not in present:
                    sums[name] = (-1, "missing")
                    continue
                table = Base.metadata.tables[name]
                columns = [c for c in table.columns if c.name not in ("created_at", "run_id")]
                rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
                digest = hashlib.sha256()
                for row in rows:
                    digest.update(repr(tuple(row)).encode())
                sums[name] = (len(rows), digest.hexdigest())
    finally:
        engine.dispose()
    return sums


def good_load(db_url: str, data_dir: Path) -> Sums:
    """A clean run-all in this process (CSV generated if missing); returns the checksums."""
    settings = load_settings(database_url=db_url, data_dir=data_dir, **SMALL, **RULES)
    with pipeline.open_run(settings, "run-all") as run:
        pipeline.run_all(run)
    return checksum(db_url)


def link_dataset(source_raw: Path, data_dir: Path) -> Path:
    """A data folder whose raw/ is the shared dataset (read-only use)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "raw").symlink_to(source_raw, target_is_directory=True)
    return data_dir


@contextmanager
def own_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of its own for a module: a SQLite file in ``folder`` or a new PostgreSQL
    database on the CLUSTR_TEST_DATABASE_URL server (dropped afterwards), so other tests' wipes never
    reach it. Skips (fails under CI=true) without a server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'own.db'}"
        return
    with scratch_database("clustr_ops") as url:
        yield url


def add_running_row(engine: Engine) -> None:
    """An etl_runs row still 'running', as a process killed mid-run leaves it."""
    with engine.begin() as conn:
        conn.execute(
            insert(EtlRun).values(
                command="load",
                parameters="{}",
                status="running",
                started_at=utc_now(),
                steps="[]",
                host="h",
                pid=1,
            )
        )
