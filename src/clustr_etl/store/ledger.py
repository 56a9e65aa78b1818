"""The run ledger: one ``etl_runs`` row per database command, written in its own short transactions.

A run is inserted as ``running`` (after the writer lock is taken), gets its steps appended as they finish,
and ends as ``succeeded``, ``failed`` (with the error line) or ``interrupted``. Because every ledger write
is a separate transaction, a failed or interrupted load (rolled back) is still recorded. A process killed
with SIGKILL leaves its row ``running``: ``status`` reports such rows as ``abandoned`` and the next writer
marks them ``interrupted``.

The ledger also says which raw batches the database holds: a succeeded full ``load`` step records the
batches it read (replacing whatever was in before); a succeeded ``append`` step adds its batch; ``init-db
--drop`` empties the tables. A batch is known by the sha256 of its files, so a renamed folder is still
recognised.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from clustr_etl.errors import ClustrError, DatabaseError
from clustr_etl.interrupts import raise_if_interrupted
from clustr_etl.store.models import EtlRun
from clustr_etl.store.schema import (
    describe_db_error,
    make_engine,
    mask_url,
    parse_database_url,
    scrub,
)

log = logging.getLogger(__name__)

RUNNING, SUCCEEDED, FAILED, INTERRUPTED = "running", "succeeded", "failed", "interrupted"
LOAD_STEP, APPEND_STEP = "load", "append"
ABANDONED = "abandoned"  # shown by `status` only: 'running' in the table, but its process is gone
ABANDONED_ERROR = "the process ended without finishing (killed or crashed)"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def error_line(err: BaseException, url: URL) -> str:
    """One line describing an error, without the database password."""
    if isinstance(err, KeyboardInterrupt):
        line = str(err) or "interrupted (SIGINT)"
    elif isinstance(err, DBAPIError):
        line = f"database error: {describe_db_error(err, url)}"
    else:
        lines = str(err).strip().splitlines()
        line = lines[0] if lines else type(err).__name__
        if not isinstance(err, ClustrError):
            line = f"{type(err).__name__}: {line}"
    return scrub(line, url)


def masked_parameters(parameters: Mapping[str, Any], url: URL) -> str:
    """Parameters as sorted JSON text; the database URL masked, the password scrubbed everywhere."""
    shown = {key: value for key, value in parameters.items() if key != "database_url"}
    shown["database_url"] = mask_url(url)
    return scrub(json.dumps(shown, sort_keys=True, default=str), url)


@dataclass
class RunLedger:
    """Handle on one ``etl_runs`` row. Ledger write failures after the start are logged, never raised."""

    engine: Engine
    url: URL
    run_id: int
    steps: list[dict[str, Any]] = field(default_factory=list)

    def record_step(
        self,
        name: str,
        seconds: float,
        rows: Mapping[str, int],
        detail: str = "",
        *,
        batches: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        step: dict[str, Any] = {
            "name": name,
            "seconds": round(seconds, 3),
            "rows": dict(rows),
            "detail": detail,
        }
        if batches:
            step["batches"] = {batch: dict(hashes) for batch, hashes in batches.items()}
        self.steps.append(step)
        self._update(steps=scrub(json.dumps(self.steps), self.url))

    def finish(self, status: str, error: str | None = None) -> None:
        self._update(status=status, finished_at=utc_now(), error=error)

    def _update(self, **values: Any) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(update(EtlRun).where(EtlRun.run_id == self.run_id).values(**values))
        except SQLAlchemyError as err:
            log.warning(
                "could not update run %s in etl_runs: %s", self.run_id, _short(err, self.url)
            )


def _short(err: SQLAlchemyError, url: URL) -> str:
    if isinstance(err, DBAPIError):
        return describe_db_error(err, url)
    return scrub(str(err).splitlines()[0] if str(err) else type(err).__name__, url)


def start_run(engine: Engine, command: str, parameters: Mapping[str, Any]) -> RunLedger:
    """Insert a ``running`` row (creating ``etl_runs`` if missing) and return its handle."""
    url = engine.url
    try:
        EtlRun.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        with engine.begin() as conn:
            result = conn.execute(
                insert(EtlRun).values(
                    command=command,
                    parameters=masked_parameters(parameters, url),
                    status=RUNNING,
                    started_at=utc_now(),
                    steps="[]",
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )
            run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot record the run in etl_runs on {mask_url(url)}: {describe_db_error(err, url)}",
            "check that the database is reachable and writable",
        ) from None
    return RunLedger(engine=engine, url=url, run_id=run_id)


def close_abandoned_runs(engine: Engine, *, except_run: int | None = None) -> int:
    """Mark ``running`` rows as ``interrupted``; call only while holding the writer lock."""
    query = (
        update(EtlRun)
        .where(EtlRun.status == RUNNING)
        .values(status=INTERRUPTED, error=ABANDONED_ERROR)
    )
    if except_run is not None:
        query = query.where(EtlRun.run_id != except_run)
    with engine.begin() as conn:
        return conn.execute(query).rowcount


@contextmanager
def recorded_run(
    raw_url: str | URL,
    command: str,
    parameters: Mapping[str, Any],
    *,
    engine: Engine | None = None,
) -> Iterator[RunLedger]:
    """Record the block as one run: ``succeeded``, ``failed`` with its error line, or ``interrupted``.

    Call it while holding the writer lock (see :func:`clustr_etl.store.backends.writer_lock`): it also closes
    the rows of earlier runs that were killed. ``engine``: write through this engine (the run context's)
    instead of opening one.
    """
    url = parse_database_url(raw_url) if isinstance(raw_url, str) else raw_url
    own_engine = engine is None
    engine = make_engine(url) if engine is None else engine
    try:
        ledger = start_run(engine, command, parameters)
        close_abandoned_runs(engine, except_run=ledger.run_id)
        try:
            yield ledger
            raise_if_interrupted()  # a swallowed Ctrl-C still ends the run as interrupted
        except KeyboardInterrupt as err:  # Ctrl-C and SIGTERM (interrupts.Terminated)
            ledger.finish(INTERRUPTED, error_line(err, url))
            raise
        except BaseException as err:
            ledger.finish(FAILED, error_line(err, url))
            raise
        ledger.finish(SUCCEEDED)
    finally:
        if own_engine:
            engine.dispose()


def batch_key(hashes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(hashes.items()))


@dataclass(frozen=True)
class LoadedBatch:
    name: str
    run_id: int


def loaded_batches(engine: Engine) -> dict[tuple[tuple[str, str], ...], LoadedBatch]:
    """The batches in the database now (by file hashes), each with the run that loaded it."""
    query = (
        select(EtlRun.run_id, EtlRun.command, EtlRun.parameters, EtlRun.steps)
        .where(EtlRun.status == SUCCEEDED)
        .order_by(EtlRun.run_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    loaded: dict[tuple[tuple[str, str], ...], LoadedBatch] = {}
    for run_id, command, parameters, steps in rows:
        if command == "init-db" and _json(parameters, {}).get("drop"):
            loaded.clear()
        for step in _json(steps, []):
            name = step.get("name") if isinstance(step, dict) else None
            if name == LOAD_STEP:
                loaded.clear()
            if name in (LOAD_STEP, APPEND_STEP):
                for batch, hashes in (step.get("batches") or {}).items():
                    loaded[batch_key(hashes)] = LoadedBatch(batch, run_id)
    return loaded


def _json(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default
