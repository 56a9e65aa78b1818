"""Checks that run in a thread of their own while the database writes (they must pass before it commits)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(threading.Thread, Generic[T]):
    """``work()`` in a thread of its own; ``result()`` waits and returns its value or re-raises its error."""

    def __init__(self, work: Callable[[], T], name: str = "clustr-etl CSV checks") -> None:
        super().__init__(name=name, daemon=True)  # Ctrl-C never waits for it
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as error:  # handed to the thread that asks for the result
            self._error = error

    def result(self) -> T:
        if self.ident is not None:  # started (else ``run()`` was called in the caller's thread)
            self.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
