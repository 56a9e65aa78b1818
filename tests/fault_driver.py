"""Run the real `clustr-etl` CLI in this process, pausing at a chosen point so a test can kill or signal it.

Used by test_faults.py and test_loading_atomic.py as ``python tests/fault_driver.py <cli args...>`` with:

* ``CLUSTR_TEST_PAUSE_SQL``: pause just before the first SQL statement matching this regex (SQLite statements
  are seen through ``sqlite3.Connection.set_trace_callback``, PostgreSQL ones by wrapping psycopg's
  ``Cursor.execute``/``Cursor.copy``); ``CLUSTR_TEST_ARM_SQL`` (optional) must have matched before.
* ``CLUSTR_TEST_PAUSE_TASK``: pause when a progress task whose description matches this regex starts
  (plain Python code, so a signal's exception propagates normally from there); with
  ``CLUSTR_TEST_PAUSE_EVENT=advance`` (or ``done``) at its first advance (or at its end) instead.
* ``CLUSTR_TEST_RESUME_FILE``: the pause ends when this file exists (never, if unset).
* ``CLUSTR_TEST_BESIDE_MIN_BYTES``: PostgreSQL builds on a second connection from this size on (so a small
  dataset takes the path of a big load; ``postgresql_build.BESIDE_MIN_BYTES``).

At the pause it prints ``PAUSED`` on stdout. Apart from that threshold, nothing here changes how clustr-etl
behaves; it only waits.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.pool import Pool

from fake_progress import RecordingProgress

PAUSE_SQL = os.environ.get("CLUSTR_TEST_PAUSE_SQL")
ARM_SQL = os.environ.get("CLUSTR_TEST_ARM_SQL")
PAUSE_TASK = os.environ.get("CLUSTR_TEST_PAUSE_TASK")
PAUSE_EVENT = os.environ.get("CLUSTR_TEST_PAUSE_EVENT", "task")
RESUME_FILE = os.environ.get("CLUSTR_TEST_RESUME_FILE")
state = {"armed": ARM_SQL is None, "paused": False}


def pause() -> None:
    state["paused"] = True
    print("PAUSED", flush=True)
    while RESUME_FILE is None or not Path(RESUME_FILE).exists():
        time.sleep(0.01)


def on_sql(statement: str | bytes) -> None:
    sql = statement.decode() if isinstance(statement, bytes) else str(statement)
    sql = sql.strip()
    if ARM_SQL and re.search(ARM_SQL, sql, re.IGNORECASE):
        state["armed"] = True
    pausing = PAUSE_SQL and state["armed"] and not state["paused"]
    if pausing and re.search(str(PAUSE_SQL), sql, re.IGNORECASE):
        pause()


@event.listens_for(Pool, "connect")
def trace_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.set_trace_callback(on_sql)


def traced(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        on_sql(query if isinstance(query, str | bytes) else str(query))
        return method(self, query, *args, **kwargs)

    return wrapper


psycopg.Cursor.execute = traced(psycopg.Cursor.execute)  # type: ignore[method-assign]
psycopg.Cursor.copy = traced(psycopg.Cursor.copy)  # type: ignore[method-assign]


def on_progress(event: str, description: str) -> None:
    wanted = event == PAUSE_EVENT and PAUSE_TASK and not state["paused"]
    if wanted and re.search(str(PAUSE_TASK), description):
        pause()


if __name__ == "__main__":
    from clustr_etl.cli import launch, options

    if "CLUSTR_TEST_BESIDE_MIN_BYTES" in os.environ:
        from clustr_etl.store.backends import postgresql_build

        postgresql_build.BESIDE_MIN_BYTES = int(os.environ["CLUSTR_TEST_BESIDE_MIN_BYTES"])

    real = options.progress_for
    for module in list(sys.modules.values()):  # each command bound the name when it was imported
        if getattr(module, "progress_for", None) is real:
            module.progress_for = lambda ctx: RecordingProgress(on=on_progress)  # type: ignore[attr-defined]
    sys.argv = ["clustr-etl", *sys.argv[1:]]
    launch.main()
