"""Readers keep reading while clustr-etl writes: a real second connection polls ``sales`` during
each writing command and never waits more than a second, nor sees a partial or empty table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ops_support import (
    CHECKED_TABLES,
    RULE_ARGS,
    Sums,
    checksum,
    cli,
    start_driver,
    wait_paused,
)

MAX_READ_SECONDS = 1.0
POLL_SECONDS = 0.02


@dataclass
class Reads:
    seconds: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def polling_reader(url: str, query: str = "SELECT count(*) FROM sales") -> Iterator[Reads]:
    """A thread with its own connection running ``query`` every 20 ms, each read its own transaction."""
    reads = Reads()
    stop = threading.Event()
    engine = create_engine(url)

    def poll() -> None:
        with engine.connect() as conn:
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    reads.counts.append(int(conn.execute(text(query)).scalar_one()))
                except Exception as err:
                    reads.errors.append(str(err).splitlines()[0])
                conn.rollback()
                reads.seconds.append(time.perf_counter() - start)
                time.sleep(POLL_SECONDS)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield reads
    finally:
        stop.set()
        thread.join(timeout=30)
        engine.dispose()


def assert_never_waited(reads: Reads, allowed: set[int]) -> None:
    assert not reads.errors, reads.errors[:3]
    assert len(reads.seconds) >= 5, "the reader hardly ran"
    assert max(reads.seconds) < MAX_READ_SECONDS, sorted(reads.seconds)[-5:]
    assert set(reads.counts) <= allowed, sorted(set(reads.counts) - allowed)


def while_reading(url: str, allowed: set[int], command: Callable[[], None]) -> None:
    with polling_reader(url) as reads:
        time.sleep(0.1)
        command()
        time.sleep(0.1)
    assert_never_waited(reads, allowed)


def test_full_load_keeps_readers_reading(good_db: tuple[str, Path, Sums], tmp_path: Path) -> None:
    db_url, data_dir, good = good_db

    def load() -> None:
        done = cli("load", "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

    while_reading(db_url, {good["sales"][0]}, load)
    assert checksum(db_url) == good


def test_load_of_one_table_and_mining_keep_readers_reading(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    common = ["--data-dir", str(data_dir), "--database-url", db_url]

    def load_and_mine() -> None:
        for args in (["load", "sales"], ["load", "products"], ["mine-rules", *RULE_ARGS]):
            done = cli(*args, *common, cwd=tmp_path)
            assert done.returncode == 0, done.stderr

    while_reading(db_url, {good["sales"][0]}, load_and_mine)
    assert checksum(db_url) == good


def test_migrate_and_init_db_on_a_loaded_database_keep_readers_reading(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    common = ["--data-dir", str(data_dir), "--database-url", db_url]

    def migrate_and_init() -> None:
        for command in ("migrate", "init-db"):
            done = cli(command, *common, cwd=tmp_path)
            assert done.returncode == 0, done.stderr

    while_reading(db_url, {good["sales"][0]}, migrate_and_init)
    assert checksum(db_url) == good


BUILD_POINTS = {
    "before the sales rows": (r"^(INSERT INTO|COPY) sales\b", None),
    "after the indexes": (r"^(ANALYZE|PRAGMA foreign_key_check)", r"^CREATE INDEX"),
}


@pytest.mark.parametrize("point", list(BUILD_POINTS))
def test_every_table_reads_at_once_while_a_load_is_paused_mid_write(
    good_db: tuple[str, Path, Sums], tmp_path: Path, point: str
) -> None:
    """A load paused inside its write transaction holds no lock a reader waits for (500 ms at most)."""
    db_url, data_dir, good = good_db
    pause_sql, arm_sql = BUILD_POINTS[point]
    pause = {"pause_sql": pause_sql} | ({"arm_sql": arm_sql} if arm_sql else {})
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url]
    process = start_driver(*args, cwd=tmp_path, **pause)
    try:
        wait_paused(process)
        engine = create_engine(db_url, connect_args=SHORT_WAIT[db_url.split(":")[0].split("+")[0]])
        with engine.connect() as conn:
            for name in CHECKED_TABLES:
                rows = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                assert rows == good[name][0], name
        engine.dispose()
    finally:
        process.kill()
        process.wait(timeout=30)
    assert checksum(db_url) == good


SHORT_WAIT: dict[str, dict[str, object]] = {
    "sqlite": {"timeout": 0.5},
    "postgresql": {"options": "-c lock_timeout=500 -c statement_timeout=5000"},
}
