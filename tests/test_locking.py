"""The writer lock: exclusive per database, waits then refuses, released when its holder dies (both backends)."""

from __future__ import annotations

import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clustr_etl.errors import DatabaseError, LockTimeoutError
from clustr_etl.store.backends import lock_is_held, writer_lock
from clustr_etl.store.backends.sqlite import SqliteBackend
from clustr_etl.store.schema import parse_database_url


def test_second_writer_waits_then_refuses_with_one_clear_line(db_url: str) -> None:
    waits: list[str] = []
    with writer_lock(db_url, 5):
        assert lock_is_held(db_url)
        with (
            pytest.raises(LockTimeoutError) as info,
            writer_lock(db_url, 0.3, on_wait=waits.append),
        ):
            pytest.fail("the second writer got the lock")
    assert len(waits) == 1
    assert "waiting up to 0.3 s" in waits[0]
    message = str(info.value)
    assert "still holds the writer lock" in message
    assert "after 0.3 s" in message
    assert "--lock-timeout" in message
    assert "\n" not in message
    assert not lock_is_held(db_url)


def test_lock_is_free_again_after_release_and_after_an_error(db_url: str) -> None:
    with writer_lock(db_url, 1):
        pass
    with pytest.raises(RuntimeError), writer_lock(db_url, 1):
        raise RuntimeError("boom")
    waits: list[str] = []
    with writer_lock(db_url, 0, on_wait=waits.append):
        assert lock_is_held(db_url)
    assert waits == []


def test_zero_timeout_refuses_at_once(db_url: str) -> None:
    with writer_lock(db_url, 10), pytest.raises(LockTimeoutError), writer_lock(db_url, 0):
        pass


HOLDER = textwrap.dedent(
    """
    import sys, time
    from clustr_etl.store.backends import writer_lock
    with writer_lock(sys.argv[1], 5):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def test_lock_dies_with_its_holder(db_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        assert lock_is_held(db_url)
        with pytest.raises(LockTimeoutError), writer_lock(db_url, 0.2):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)
    waits: list[str] = []
    with writer_lock(db_url, 10, on_wait=waits.append):  # the server/kernel released it
        assert lock_is_held(db_url)


def test_waiting_writer_gets_the_lock_when_the_holder_finishes(db_url: str) -> None:
    script = HOLDER.replace(
        "time.sleep(120)", "time.sleep(1.0)\n    print('releasing', flush=True)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, db_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        waits: list[str] = []
        with writer_lock(db_url, 30, on_wait=waits.append):
            # "releasing" was printed before the holder let go, so it is already in the pipe
            ready, _, _ = select.select([holder.stdout], [], [], 0)
            assert ready
            assert holder.stdout.readline().strip() == "releasing"
        assert len(waits) == 1
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_sqlite_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    url = parse_database_url(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    assert SqliteBackend(url).lock_path == tmp_path / "sub" / "x.db.lock"
    assert SqliteBackend(parse_database_url("sqlite://")).lock_path is None
    assert not lock_is_held(url)  # probing never creates the file
    assert not (tmp_path / "sub").exists()


def test_unreachable_server_is_a_clear_error_quickly() -> None:
    start = time.monotonic()
    with (
        pytest.raises(DatabaseError) as info,
        writer_lock("postgresql+psycopg://alice:s3cr3t@127.0.0.1:1/x", 5),
    ):
        pass
    assert time.monotonic() - start < 5
    assert "cannot connect to database postgresql+psycopg://alice:***@127.0.0.1:1/x" in str(
        info.value
    )
    assert "s3cr3t" not in str(info.value)
