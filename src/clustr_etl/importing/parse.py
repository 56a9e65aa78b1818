"""Typed canonical columns from source values; a malformed cell is named (file, line, column)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from clustr_etl.errors import DataValidationError
from clustr_etl.importing import presets as p
from clustr_etl.importing.sources import SourceFrame

# Date layouts tried in order when the mapping does not give one (ISO first: it is the fastest).
DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y", "%d/%m/%Y")


def _text(values: pd.Series) -> pd.Series:
    """Strings with surrounding spaces removed; empty cells become <NA>."""
    if values.dtype == object and not values.map(lambda v: isinstance(v, str)).all():
        values = values.map(_cell_text, na_action="ignore")
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _cell_text(value: object) -> str:
    """A typed spreadsheet cell as the text a CSV export would hold (17850.0 -> "17850")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fail(source: SourceFrame, bad: np.ndarray, column: str, values: pd.Series, what: str) -> None:
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"{source.where(row)}, column {column}: {values.iloc[row]!r} is not {what}",
            "fix the cell or drop the line",
        )


def _arrow_cast(raw: pd.Series, target: pa.DataType) -> pd.Series | None:
    """Arrow's fast cast of text cells, or None when a cell does not parse (then pandas locates it)."""
    if not isinstance(raw.dtype, pd.StringDtype):
        return None
    try:
        cast = pa.array(raw, from_pandas=True).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if cast.null_count:
        return None
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=raw.index)


def _number(source: SourceFrame, column: str) -> pd.Series:
    raw = source.frame[column]
    fast = _arrow_cast(raw, pa.float64())
    if fast is not None:
        return fast
    numbers = pd.to_numeric(raw, errors="coerce")
    _fail(source, numbers.isna().to_numpy(), column, raw, "a number")
    return numbers.astype(np.float64)


def _integer(source: SourceFrame, column: str) -> pd.Series:
    numbers = _number(source, column)
    values = numbers.to_numpy()
    _fail(source, values != np.round(values), column, source.frame[column], "a whole number")
    return numbers.astype(np.int64)


def _timestamps(source: SourceFrame, column: str, date_format: str | None) -> pd.Series:
    raw = source.frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    elif raw.dtype == object and raw.map(lambda v: isinstance(v, pd.Timestamp)).all():
        parsed = pd.to_datetime(raw)
    elif not date_format and (fast := _arrow_cast(raw, pa.timestamp("s"))) is not None:
        parsed = fast
    else:
        parsed = None
        for layout in (date_format,) if date_format else DATE_FORMATS:
            attempt = pd.to_datetime(raw, format=layout, errors="coerce")
            if attempt.notna().all():
                parsed = attempt
                break
            if parsed is None or attempt.notna().sum() > parsed.notna().sum():
                parsed = attempt
    assert parsed is not None
    expected = f"a date ({date_format})" if date_format else "a date (e.g. 2011-12-09 12:50)"
    _fail(source, parsed.isna().to_numpy(), column, raw, expected)
    return pd.Series(parsed.to_numpy(dtype="datetime64[ns]"), index=raw.index)


def canonical_lines(
    source: SourceFrame, columns: Mapping[str, str], *, date_format: str | None = None
) -> pd.DataFrame:
    """One row per source line with the canonical columns present in ``columns`` (canonical -> source)."""
    lines = pd.DataFrame(index=source.frame.index)
    lines[p.INVOICE] = _text(source.frame[columns[p.INVOICE]])
    lines[p.PRODUCT] = _text(source.frame[columns[p.PRODUCT]])
    lines[p.PRODUCT_NAME] = _text(source.frame[columns[p.PRODUCT_NAME]])
    lines[p.QUANTITY] = _integer(source, columns[p.QUANTITY])
    lines[p.TIMESTAMP] = _timestamps(source, columns[p.TIMESTAMP], date_format)
    lines[p.UNIT_PRICE] = _number(source, columns[p.UNIT_PRICE])
    # Spreadsheet exports write numeric customer keys as 13085.0: the key is 13085.
    customer = _text(source.frame[columns[p.CUSTOMER]])
    lines[p.CUSTOMER] = customer.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    for optional in p.OPTIONAL:
        if optional in columns:
            lines[optional] = _text(source.frame[columns[optional]])
    return lines
