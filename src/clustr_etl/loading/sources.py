"""Rows offered to a backend (:class:`clustr_etl.store.backends.TableSource`): a validated CSV file or a frame."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from clustr_etl.loading.csv_files import BOM, CsvFile
from clustr_etl.loading.csv_scan import CountingFile, cast_to, fixed_width_values, open_batches
from clustr_etl.loading.schema import Kind, column_specs
from clustr_etl.store.backends.types import Rows

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

COPY_CHUNK = 1 << 20


@dataclass
class CsvFileSource:
    """A CSV file (checked by ``validate_files``) as raw bytes or as typed Python rows."""

    file: CsvFile

    @property
    def table(self) -> str:
        return self.file.table

    @property
    def columns(self) -> tuple[str, ...]:
        return self.file.columns

    @property
    def label(self) -> str:
        return self.file.name

    @property
    def size(self) -> int:
        return self.file.size

    def csv_chunks(self) -> Iterator[bytes]:
        with self.file.path.open("rb") as source:
            first = True
            while chunk := source.read(COPY_CHUNK):
                yield chunk.removeprefix(BOM) if first else chunk
                first = False

    def row_batches(self) -> Iterator[tuple[Rows, int]]:
        specs = column_specs(self.file.table)
        kinds = [specs[name].kind for name in self.file.columns]
        with CountingFile(self.file.path) as stream:
            reported = 0
            for batch in open_batches(self.file, stream):
                values = [_python_values(batch.column(i), kind) for i, kind in enumerate(kinds)]
                yield zip(*values, strict=True), stream.bytes_read - reported
                reported = stream.bytes_read


def _python_values(column: pa.Array, kind: Kind) -> list[Any]:
    """A typed column as the Python values SQLite stores (what SQLAlchemy reads back)."""
    import pyarrow as pa

    # Columns without nulls through numpy views of their buffers (pyarrow's to_numpy imports pandas).
    if kind in (Kind.INT16, Kind.INT32, Kind.INT64) and not column.null_count:
        return fixed_width_values(column, pa.int64(), np.int64).tolist()  # type: ignore[no-any-return]
    if kind == Kind.BOOL and not column.null_count:
        return fixed_width_values(column, pa.int8(), np.int8).tolist()  # type: ignore[no-any-return]
    if kind in (Kind.INT16, Kind.INT32, Kind.INT64):
        return column.to_numpy(zero_copy_only=False).tolist()  # type: ignore[no-any-return]
    if kind == Kind.DECIMAL:
        return fixed_width_values(column, pa.float64(), np.float64).tolist()  # type: ignore[no-any-return]
    if kind == Kind.BOOL:
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int8).tolist()  # type: ignore[no-any-return]
    if kind == Kind.DATE:
        return cast_to(column, pa.string()).to_pylist()  # type: ignore[no-any-return]
    return column.to_pylist()  # type: ignore[no-any-return]


@dataclass
class FrameSource:
    """A pandas frame whose columns are columns of ``table``; NaN/None are NULL."""

    table: str
    frame: pd.DataFrame
    label: str = ""
    _csv: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.label = self.label or self.table
        self._csv = self.frame.to_csv(index=False, lineterminator="\n").encode()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.frame.columns)

    @property
    def size(self) -> int:
        return len(self._csv)

    def csv_chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self._csv), COPY_CHUNK):
            yield self._csv[start : start + COPY_CHUNK]

    def row_batches(self) -> Iterator[tuple[Rows, int]]:
        """Plain Python scalars (int, float, str, ISO date text, None), as for a CSV file's rows."""
        yield python_rows(self.frame), self.size


@dataclass
class FrameChunksSource:
    """Frames made a chunk at a time by ``make_frames`` (called once per pass over the rows), so
    only one chunk's rows and text are in memory; ``size`` counts rows."""

    table: str
    columns: tuple[str, ...]
    make_frames: Callable[[], Iterator[pd.DataFrame]]
    size: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.table

    def csv_chunks(self) -> Iterator[bytes]:
        from clustr_etl.dataset.rule_csv import (  # pandas: not on the append path
            csv_text,
            header_line,
        )

        yield header_line(self.columns).encode()
        for frame in self.make_frames():
            yield csv_text(frame, self.columns).encode()

    def row_batches(self) -> Iterator[tuple[Rows, int]]:
        for frame in self.make_frames():
            yield python_rows(frame[list(self.columns)]), len(frame)


@dataclass
class StreamSource:
    """Rows made by the caller in both bulk forms, each callable called once per pass: CSV text
    (header first) and batches of Python rows with the rows they hold (``size`` counts rows)."""

    table: str
    columns: tuple[str, ...]
    make_csv: Callable[[], Iterator[bytes | memoryview]]
    make_rows: Callable[[], Iterator[tuple[Rows, int]]]
    size: int = 0
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.table

    def csv_chunks(self) -> Iterator[bytes | memoryview]:
        return self.make_csv()

    def row_batches(self) -> Iterator[tuple[Rows, int]]:
        return self.make_rows()


def python_rows(frame: pd.DataFrame) -> Rows:
    """The frame's rows as plain Python scalars (int, float, str, ISO date text, None)."""
    return zip(*[_python_column(frame.iloc[:, i]) for i in range(frame.shape[1])], strict=True)


def _python_column(column: pd.Series) -> list[Any]:
    """One column as plain Python scalars: numbers through ``tolist`` (NaN -> None), other values
    one by one (dates as ISO text, Decimal as float, missing as None)."""
    import pandas as pd

    kind = column.dtype.kind
    if kind in "iub":
        return column.to_numpy().tolist()
    if kind == "f":
        values = column.to_numpy()
        plain: list[Any] = values.tolist()
        for position in np.flatnonzero(np.isnan(values)).tolist():
            plain[position] = None
        return plain
    return [None if _missing(value, pd) else _plain(value) for value in column.tolist()]


def _missing(value: Any, pd: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or value != value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
