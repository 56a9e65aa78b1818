"""The one Progress fake of the tests: records every task and can run a hook at each event.

``RecordingProgress()`` records each task's total and the sum of its advances; with ``on=hook`` it also calls
``hook(event, description)`` when a task starts (``"task"``), advances (``"advance"``) and ends (``"done"``), so a
test (or tests/fault_driver.py) can stop, pause or cut the connection at an exact point of the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from clustr_etl.progress import Advance

Hook = Callable[[str, str], None]


class RecordingProgress:
    def __init__(self, on: Hook | None = None) -> None:
        self.totals: dict[str, float | None] = {}
        self.advanced: dict[str, float] = {}
        self.on = on

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Advance]:
        self.totals[description] = total
        self.advanced[description] = 0.0
        self._event("task", description)

        def advance(amount: float) -> None:
            self.advanced[description] += amount
            self._event("advance", description)

        yield advance
        self._event("done", description)

    def _event(self, event: str, description: str) -> None:
        if self.on is not None:
            self.on(event, description)


def once(event: str, description: str, action: Callable[[], None]) -> Hook:
    """A hook that runs ``action`` the first time ``event`` happens on the task ``description``."""
    pending = [action]

    def hook(seen_event: str, seen_description: str) -> None:
        if pending and (seen_event, seen_description) == (event, description):
            pending.pop()()

    return hook
