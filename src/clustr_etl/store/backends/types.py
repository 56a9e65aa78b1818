"""The data types the backends and their shared helpers (``merge.py``) exchange."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]
OnWait = Callable[[str], None]
Rows = Iterable[Sequence[Any]]


def ignore_wait(message: str) -> None:
    return None


@dataclass(frozen=True)
class LockWait:
    """How long replacing tables may wait for readers' locks, and whom it tells that it waits."""

    timeout: float = 60.0
    on_wait: OnWait = ignore_wait


class Step:
    """What a write transaction is doing right now, so an error can say where it happened."""

    def __init__(self, what: str) -> None:
        self.what = what


class TableSource(Protocol):
    """Rows for one table, offered in both bulk forms a backend may use."""

    @property
    def table(self) -> str: ...  # a table of the schema (``Base.metadata``)

    @property
    def columns(self) -> tuple[str, ...]: ...  # the columns given, in row order

    @property
    def label(self) -> str: ...  # names the data in errors (a file name, a table)

    @property
    def size(self) -> int: ...  # progress total: bytes of CSV

    def csv_chunks(self) -> Iterator[bytes | memoryview]:
        """UTF-8 CSV: one header line, then the rows; NULL is an empty unquoted field."""
        ...

    def row_batches(self) -> Iterator[tuple[Rows, int]]:
        """Batches of Python row tuples, each with the CSV bytes it covers (for progress)."""
        ...


@dataclass(frozen=True)
class RowCounts:
    """What appending or upserting did: rows new in the table, rows changed, rows already there as given."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged
