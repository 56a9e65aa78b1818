"""Typed canonical columns from source values; a malformed cell is named (file, line, column)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from clustr_etl.errors import DataValidationError
from clustr_etl.importing import presets as p
from clustr_etl.importing.codes import relabel
from clustr_etl.importing.sources import SourceFrame

# Date layouts tried in order when the mapping does not give one (ISO first: it is the fastest).
DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y", "%d/%m/%Y")


def _text(values: pd.Series, clean: Callable[[pd.Series], pd.Series] | None = None) -> pd.Series:
    """A categorical of the strings with surrounding spaces removed (then ``clean``); empty cells
    are missing. The labels are cleaned once per distinct value."""
    if values.dtype == object and not values.map(lambda v: isinstance(v, str)).all():
        values = values.map(_cell_text, na_action="ignore")

    def stripped(labels: pd.Series) -> pd.Series:
        text = labels.astype(str).str.strip()
        text = text.mask(text == "")
        return clean(text) if clean else text

    return relabel(values, stripped)


def _whole_number_key(labels: pd.Series) -> pd.Series:
    """Spreadsheet exports write numeric customer keys as 13085.0: the key is 13085."""
    return labels.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


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


def _by_label(raw: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert`` of each line's cell; for a categorical, of each distinct label once (as text)."""
    if not isinstance(raw.dtype, pd.CategoricalDtype):
        return convert(raw)
    labels = pd.Series(
        np.asarray(raw.cat.categories, dtype=object).astype(str), dtype=pd.StringDtype("pyarrow")
    )
    converted = convert(labels).to_numpy()
    codes = raw.cat.codes.to_numpy()
    return pd.Series(pd.api.extensions.take(converted, codes, allow_fill=True), index=raw.index)


def _parse_numbers(raw: pd.Series) -> pd.Series:
    """Floats, NaN where a cell is not a number."""
    fast = _arrow_cast(raw, pa.float64())
    if fast is not None:
        return fast
    numbers = pd.to_numeric(raw, errors="coerce")
    return pd.Series(numbers.to_numpy(dtype=np.float64, na_value=np.nan), index=raw.index)


def _number(source: SourceFrame, column: str) -> pd.Series:
    raw = source.frame[column]
    numbers = _by_label(raw, _parse_numbers)
    _fail(source, numbers.isna().to_numpy(), column, raw, "a number")
    return numbers


def _integer(source: SourceFrame, column: str) -> pd.Series:
    numbers = _number(source, column)
    values = numbers.to_numpy()
    _fail(source, values != np.round(values), column, source.frame[column], "a whole number")
    return numbers.astype(np.int64)


def _parse_timestamps(raw: pd.Series, date_format: str | None) -> pd.Series:
    """Timestamps (ns), NaT where a cell is not a date in the layout found for the column."""
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
    return pd.Series(parsed.to_numpy(dtype="datetime64[ns]"), index=raw.index)


def _timestamps(source: SourceFrame, column: str, date_format: str | None) -> pd.Series:
    raw = source.frame[column]
    parsed = _by_label(raw, lambda cells: _parse_timestamps(cells, date_format))
    expected = f"a date ({date_format})" if date_format else "a date (e.g. 2011-12-09 12:50)"
    _fail(source, parsed.isna().to_numpy(), column, raw, expected)
    return parsed


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
    lines[p.CUSTOMER] = _text(source.frame[columns[p.CUSTOMER]], _whole_number_key)
    for optional in p.OPTIONAL:
        if optional in columns:
            lines[optional] = _text(source.frame[columns[optional]])
    return lines
