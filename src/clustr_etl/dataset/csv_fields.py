"""CSV rows assembled column-wise with pyarrow: no Python object per row.

The bytes are those of ``rule_csv.csv_text`` (Python's ``csv`` module, QUOTE_MINIMAL): a text
field is quoted only when it holds a comma, a quote or a line break, its quotes doubled. Rows are
joined element-wise and their value buffer is the CSV text itself (each row ends in a newline).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_NEEDS_QUOTES = '[,"\r\n]'
TEXT = pa.large_string()


def _scalar(text: str) -> pa.Scalar:
    return pa.scalar(text, TEXT)


def quoted(strings: pa.Array) -> pa.Array:
    """Each string as a CSV field: quoted (quotes doubled) where the ``csv`` module would."""
    strings = strings.cast(TEXT)
    special = pc.match_substring_regex(strings, _NEEDS_QUOTES)
    if not pc.any(special).as_py():
        return strings
    doubled = pc.replace_substring(strings, '"', '""')
    return pc.if_else(
        special,
        pc.binary_join_element_wise(_scalar('"'), doubled, _scalar('"'), _scalar("")),
        strings,
    )


def joined_columns(labels: pa.Array, codes: npt.NDArray[np.integer], separator: str) -> pa.Array:
    """Row i: ``separator.join(labels[codes[i, j]] for j)`` (a large_string array; "" when
    ``codes`` has no columns)."""
    labels = labels.cast(TEXT)
    if codes.shape[1] == 0:
        return pa.array([""] * codes.shape[0], type=TEXT)
    if codes.shape[1] == 1:
        return labels.take(pa.array(codes[:, 0]))
    columns = [labels.take(pa.array(codes[:, j])) for j in range(codes.shape[1])]
    return pc.binary_join_element_wise(*columns, _scalar(separator))


def csv_rows(fields: Sequence[pa.Array | str]) -> memoryview:
    """Rows of ``fields`` (arrays of one length, or a text the same on every row) joined by commas,
    each row ending in a newline: the CSV text of the rows. Fields must be CSV-ready (quoted)."""
    columns = [_scalar(field) if isinstance(field, str) else field.cast(TEXT) for field in fields]
    *head, last = columns
    newline = _scalar("\n")
    rows = pc.binary_join_element_wise(
        *head, pc.binary_join_element_wise(last, newline, _scalar("")), _scalar(",")
    )
    return text_buffer(rows)


def text_buffer(strings: pa.Array) -> memoryview:
    """The concatenated values of a string array (no copy)."""
    if len(strings) == 0:
        return memoryview(b"")
    strings = strings.cast(TEXT)
    _, offsets, data = strings.buffers()
    if data is None:
        return memoryview(b"")
    start = strings.offset
    bounds = np.frombuffer(offsets, dtype=np.int64)[start : start + len(strings) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]
