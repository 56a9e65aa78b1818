"""One writer at a time per database, with a lock the operating system or server frees if we die.

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``, polled) held on a dedicated connection
  for the whole command; the server releases it when that connection closes, including after SIGKILL.
* SQLite: ``fcntl.flock`` on ``<database file>.lock``; the kernel releases it when the process dies.
  (A database-level lock such as ``BEGIN IMMEDIATE`` would block our own writer connection.)

Readers (``status``, queries) never take the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from clustr_etl.db import CONNECT_TIMEOUT_SECONDS, describe_db_error, mask_url, parse_database_url
from clustr_etl.errors import DatabaseError, LockTimeoutError

# Fixed, positive advisory-lock key: int(sha256(b"clustr-etl writer")[:8]) >> 1.
ADVISORY_LOCK_KEY = 0x49BB_251B_0621_C8A3
LOCK_APPLICATION_NAME = "clustr-etl-lock"
POLL_SECONDS = 0.2

OnWait = Callable[[str], None]


def _ignore_wait(message: str) -> None:
    return None


def lock_path(url: URL) -> Path | None:
    """The lock file of a SQLite database (None for in-memory databases)."""
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().with_name(Path(url.database).name + ".lock")


@contextmanager
def writer_lock(
    raw_url: str | URL, timeout: float, *, on_wait: OnWait = _ignore_wait
) -> Iterator[None]:
    """Hold the database's writer lock for the block; wait up to ``timeout`` seconds for it.

    ``on_wait(message)`` is called once if another process holds the lock. Raises LockTimeoutError
    when the lock is still taken after ``timeout`` seconds.
    """
    url = parse_database_url(raw_url) if isinstance(raw_url, str) else raw_url
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(url, timeout, on_wait):
            yield
        return
    path = lock_path(url)
    if path is None:
        yield
        return
    with _file_lock(path, url, timeout, on_wait):
        yield


def _waiting_message(url: URL, timeout: float) -> str:
    return (
        f"another clustr-etl command is writing to {mask_url(url)}; "
        f"waiting up to {timeout:g} s for it to finish (--lock-timeout / CLUSTR_LOCK_TIMEOUT)"
    )


def _timeout_error(url: URL, timeout: float) -> LockTimeoutError:
    return LockTimeoutError(
        f"another clustr-etl command still holds the writer lock on {mask_url(url)} "
        f"after {timeout:g} s",
        "let it finish (see `clustr-etl status`) or raise --lock-timeout / CLUSTR_LOCK_TIMEOUT",
    )


def _poll(try_lock: Callable[[], bool], url: URL, timeout: float, on_wait: OnWait) -> None:
    deadline = time.monotonic() + timeout
    if try_lock():
        return
    on_wait(_waiting_message(url, timeout))
    while time.monotonic() < deadline:
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))
        if try_lock():
            return
    raise _timeout_error(url, timeout)


@contextmanager
def _file_lock(path: Path, url: URL, timeout: float, on_wait: OnWait) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def try_lock() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _poll(try_lock, url, timeout, on_wait)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_connection(url: URL) -> Connection:
    engine = create_engine(
        url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": LOCK_APPLICATION_NAME,
        },
    )
    try:
        return engine.connect()
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot connect to database {mask_url(url)}: {describe_db_error(err, url)}",
            "check CLUSTR_DATABASE_URL / --database-url and that the server is running",
        ) from None


@contextmanager
def _advisory_lock(url: URL, timeout: float, on_wait: OnWait) -> Iterator[None]:
    conn = _lock_connection(url)
    try:

        def try_lock() -> bool:
            query = text("SELECT pg_try_advisory_lock(:key)")
            return bool(conn.execute(query, {"key": ADVISORY_LOCK_KEY}).scalar_one())

        _poll(try_lock, url, timeout, on_wait)
        try:
            yield
        finally:
            # If the connection is already gone, the server released the lock with it.
            with suppress(DBAPIError):
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
    finally:
        with suppress(DBAPIError):
            conn.close()


def lock_is_held(raw_url: str | URL) -> bool:
    """Whether some process holds the writer lock now (read-only probe, never waits)."""
    url = parse_database_url(raw_url) if isinstance(raw_url, str) else raw_url
    if url.get_backend_name() == "postgresql":
        conn = _lock_connection(url)
        try:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                ),
                {"high": ADVISORY_LOCK_KEY >> 32, "low": ADVISORY_LOCK_KEY & 0xFFFF_FFFF},
            ).scalar_one()
        finally:
            conn.close()
        return bool(held)
    path = lock_path(url)
    if path is None or not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a shared lock we may have taken
    return False
