"""PostgreSQL: switching the new tables in (and migrating the schema) without making readers queue.

The switch needs ACCESS EXCLUSIVE locks on the live tables, which wait for every open transaction that
read them, and every new reader queues behind a waiting lock request. So each attempt waits at most
``ATTEMPT_LOCK_TIMEOUT`` (inside a savepoint, rolled back when it fails), then the loader backs off and
tries again until ``--lock-timeout``. While it waits it says every ``NOTICE_SECONDS`` which sessions hold
locks on the tables (pid, application_name, state and since when, from ``pg_locks`` and
``pg_stat_activity``: never a query text, which could hold data values); past the timeout it raises
:class:`~clustr_etl.errors.TablesBusyError` naming them, and the caller rolls everything back.

``lock_for_migration`` takes the same locks the same way before a schema migration runs its DDL, so a
reader's open transaction makes ``migrate`` wait (and say so), never the readers queue behind it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import errors as pg_errors
from psycopg import sql

from clustr_etl.errors import TablesBusyError
from clustr_etl.store.backends.types import LockWait

ATTEMPT_LOCK_TIMEOUT_MS = 1000
FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 2.0
NOTICE_SECONDS = 5.0
SAVEPOINT = "clustr_switch"

_HOLDERS = """
SELECT DISTINCT ON (a.pid) a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''),
       coalesce(a.xact_start, a.state_change, a.backend_start), c.relname, now()
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
WHERE l.relation = ANY(%s) AND l.pid <> pg_backend_pid()
ORDER BY a.pid, l.granted DESC
"""


_LIVE_TABLES = """
SELECT c.oid, c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND c.relname = ANY(%s)
ORDER BY c.relname
"""


@dataclass(frozen=True)
class Holder:
    """A session holding (or queued for) a lock on a table the switch needs."""

    pid: int
    application: str
    state: str
    since: dt.datetime | None
    table: str
    now: dt.datetime

    def describe(self) -> str:
        app = (
            f"application_name '{self.application}'" if self.application else "no application_name"
        )
        state = self.state or "unknown state"
        if self.since is None:
            return f"pid {self.pid} ({app}, {state}) on {self.table}"
        seconds = (self.now - self.since).total_seconds()
        since = self.since.astimezone(dt.UTC).strftime("%H:%M:%S UTC")
        return f"pid {self.pid} ({app}, {state}, in its transaction since {since}, {seconds:.0f} s) on {self.table}"


def lock_holders(cur: Any, oids: Sequence[int]) -> list[Holder]:
    cur.execute(_HOLDERS, (list(oids),))
    return [Holder(int(p), str(a), str(s), t, str(r), n) for p, a, s, t, r, n in cur.fetchall()]


def lock_for_migration(cur: Any, tables: Sequence[str], wait: LockWait) -> None:
    """ACCESS EXCLUSIVE on those of ``tables`` that exist in the current schema, taken with short
    attempts retried until ``wait.timeout``; held until the migration's transaction ends."""
    cur.execute(_LIVE_TABLES, (list(tables),))
    found = [(int(oid), str(name)) for oid, name in cur.fetchall()]
    if not found:
        return
    locks = sql.SQL(", ").join(sql.Identifier(name) for _, name in found).as_string(cur)
    oids = [oid for oid, _ in found]
    switch_when_free(cur, locks, oids, lambda: None, wait, "lock the tables to migrate the schema")


def _blockers(holders: Sequence[Holder]) -> str:
    return "; ".join(holder.describe() for holder in holders) or "another session (gone now)"


def switch_when_free(
    cur: Any,
    locks: str,
    oids: Sequence[int],
    switch: Callable[[], None],
    wait: LockWait,
    purpose: str = "switch in the new tables",
) -> None:
    """Run ``LOCK TABLE <locks>`` then ``switch()`` in a savepoint, retried until ``wait.timeout``.

    ``oids`` are the tables whose lock holders are named while waiting; ``purpose`` says in the messages
    what the locks are for. The locks stay held until the enclosing transaction ends."""
    start = time.monotonic()
    deadline = start + wait.timeout
    backoff = FIRST_BACKOFF_SECONDS
    last_notice = start - NOTICE_SECONDS + 1.0  # the first notice after about a second
    while True:
        cur.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            cur.execute(f"SET LOCAL lock_timeout = '{ATTEMPT_LOCK_TIMEOUT_MS}ms'")
            cur.execute(f"LOCK TABLE {locks} IN ACCESS EXCLUSIVE MODE")
        except pg_errors.LockNotAvailable:
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        else:
            switch()
            cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
            return
        now = time.monotonic()
        if now >= deadline:
            raise TablesBusyError(
                f"could not {purpose} within {wait.timeout:g} s: "
                f"{_blockers(lock_holders(cur, oids))} holds a lock on them",
                "end that session's transaction (or SELECT pg_terminate_backend(pid)) and run the "
                "command again, or raise --lock-timeout / CLUSTR_LOCK_TIMEOUT; nothing was changed",
            )
        if now - last_notice >= NOTICE_SECONDS:
            last_notice = now
            wait.on_wait(
                f"waiting {now - start:.0f} s to {purpose} (readers are not held up): "
                f"{_blockers(lock_holders(cur, oids))} holds a lock; trying until "
                f"--lock-timeout {wait.timeout:g} s"
            )
        time.sleep(min(backoff, max(deadline - time.monotonic(), 0.0)))
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
