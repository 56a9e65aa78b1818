"""Readers keep reading while clustr-etl writes: a real second connection polls ``sales`` during
each writing command and never waits more than a second, nor sees a partial or empty table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from ops_support import RULE_ARGS, Sums, checksum, cli

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
