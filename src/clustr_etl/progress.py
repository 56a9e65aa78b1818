"""A tiny progress interface so library code can report progress without knowing about Rich.

Library functions take ``progress: Progress = NO_PROGRESS``; the CLI passes a Rich-backed one.

    with progress.task("sales.csv", total=n_rows) as advance:
        advance(len(chunk))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[float], None]


class Progress(Protocol):
    def task(self, description: str, total: float | None = None) -> AbstractContextManager[Advance]:
        """Context manager yielding ``advance(amount)`` for one unit of work."""
        ...


class NoProgress:
    """Progress that shows nothing (library default, tests, ``--quiet``, non-terminals)."""

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Advance]:
        yield _ignore


def _ignore(amount: float) -> None:
    return None


NO_PROGRESS: Progress = NoProgress()
