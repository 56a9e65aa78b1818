"""One place that runs and records a command: the writer lock, the ``etl_runs`` ledger, one engine.

``open_run(settings, command, options)`` takes the writer lock, opens the run's ledger row and yields a
:class:`RunContext`. Database steps (see ``steps.py``) receive the context, do their work through its engine
and return a :class:`StepResult`; ``RunContext.run_step`` records each report. The context owns
``run_id``, opens the engine once and checks the schema once per command. ``open_run(..., recorded=False)``
(``mine-rules --no-load``) takes no lock and records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import Engine

from clustr_etl.config.settings import Settings
from clustr_etl.interrupts import raise_if_interrupted
from clustr_etl.store.backends import Backend, LockWait, OnWait, backend_for, writer_lock
from clustr_etl.store.ledger import RunLedger, recorded_run
from clustr_etl.store.models import Base
from clustr_etl.store.schema import (
    check_connection,
    missing_tables,
    require_existing_database,
    require_tables,
)

COMMANDS_THAT_CREATE_THE_DATABASE = ("init-db", "run-all")


@dataclass
class StepResult:
    """What one step did: rows per table or file, and how long it took."""

    name: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    detail: str = ""
    batches: dict[str, dict[str, str]] = field(default_factory=dict)  # batch -> file -> sha256

    @property
    def step_result(self) -> StepResult:
        return self


class HasStepResult(Protocol):
    """A step's result: a StepResult, or a richer result carrying one."""

    @property
    def step_result(self) -> StepResult: ...


@contextmanager
def timed(report: StepResult) -> Iterator[StepResult]:
    start = time.perf_counter()
    try:
        yield report
    finally:
        report.seconds = time.perf_counter() - start


def no_wait_message(message: str) -> None:
    return None


P = ParamSpec("P")
R = TypeVar("R", bound=HasStepResult)


@dataclass
class RunContext:
    """What the steps of one command share: settings, backend, engine, ledger row and reports."""

    settings: Settings
    backend: Backend
    ledger: RunLedger | None = None
    on_wait: OnWait = no_wait_message
    reports: list[StepResult] = field(default_factory=list)
    _engine: Engine | None = None
    _schema_checked: set[str] = field(default_factory=set)

    @property
    def run_id(self) -> int | None:
        """The ``etl_runs`` row of this command (None when unrecorded)."""
        return self.ledger.run_id if self.ledger is not None else None

    @property
    def lock_wait(self) -> LockWait:
        """How long a write may wait for readers' locks (--lock-timeout), and where it says so."""
        return LockWait(self.settings.lock_timeout, self.on_wait)

    @property
    def engine(self) -> Engine:
        """The command's engine, opened (and its connection checked) on first use."""
        if self._engine is None:
            engine = self.backend.make_engine()
            check_connection(engine)
            self._engine = engine
        return self._engine

    def require_schema(self, tables: Sequence[str] | None = None) -> None:
        """SchemaError unless the tables (all of the schema by default) exist and the schema is at the
        newest migration; checked once per command."""
        wanted = tuple(tables) if tables is not None else tuple(Base.metadata.tables)
        if set(wanted) <= self._schema_checked:
            return
        missing = missing_tables(self.engine, wanted)
        if missing or not self._schema_checked:  # an older schema lacks tables: say `migrate`
            from clustr_etl.store.schema import require_current

            with self.engine.connect() as conn:
                require_current(conn)
        if missing:
            require_tables(self.engine, wanted)
        self._schema_checked.update(wanted)

    def schema_changed(self) -> None:
        """Tables were created or dropped: check again before the next step relies on them."""
        self._schema_checked.clear()

    def record(self, report: StepResult) -> StepResult:
        """Append a finished step to the run's ledger row (and to ``reports``)."""
        self.reports.append(report)
        if self.ledger is not None:
            self.ledger.record_step(
                report.name, report.seconds, report.rows, report.detail, batches=report.batches
            )
        return report

    def run_step(
        self,
        step: Callable[Concatenate[RunContext, P], R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Run ``step(self, ...)`` and record the report it returns."""
        raise_if_interrupted()  # an interrupt a library swallowed stops the run before the next step
        result = step(self, *args, **kwargs)
        self.record(result.step_result)
        return result

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@contextmanager
def open_run(
    settings: Settings,
    command: str,
    options: Mapping[str, Any] | None = None,
    *,
    on_wait: OnWait = no_wait_message,
    recorded: bool = True,
) -> Iterator[RunContext]:
    """The context of one command: writer lock (waiting up to settings.lock_timeout) and one
    ``etl_runs`` row (succeeded, failed with the error line, or interrupted) around the block.

    With ``recorded=False`` (a command that will not write) there is no lock and no ledger row."""
    url = settings.database_url_value
    context = RunContext(settings=settings, backend=backend_for(url), on_wait=on_wait)
    raise_if_interrupted()  # Ctrl-C while the command's modules imported, swallowed by one of them
    try:
        if not recorded:
            yield context
            return
        if command not in COMMANDS_THAT_CREATE_THE_DATABASE:
            require_existing_database(url)
        parameters = {**settings.parameters(), **(options or {})}
        with writer_lock(url, settings.lock_timeout, on_wait=on_wait):
            context._engine = context.backend.make_engine()
            with recorded_run(
                context.backend.url, command, parameters, engine=context._engine
            ) as ledger:
                context.ledger = ledger
                yield context
    finally:
        context.close()
