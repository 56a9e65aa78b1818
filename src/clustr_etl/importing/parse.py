"""Typed canonical columns from source values; a malformed cell is named (file, line, column)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from clustr_etl.errors import DataValidationError
from clustr_etl.importing import presets as p
from clustr_etl.importing.codes import relabel
from clustr_etl.importing.dates import DateStyle
from clustr_etl.importing.dates import parse_labels as parse_dates
from clustr_etl.importing.formats import Formats, found_formats
from clustr_etl.importing.numbers import NumberStyle
from clustr_etl.importing.numbers import parse_labels as parse_numbers
from clustr_etl.importing.sources import SourceFrame


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


def _labels(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct cells of a column as text (object Series) and each line's code (-1: empty)."""
    if isinstance(raw.dtype, pd.CategoricalDtype):
        categories = np.asarray(raw.cat.categories, dtype=object).astype(str)
        return pd.Series(categories, dtype=object), raw.cat.codes.to_numpy()
    codes, uniques = pd.factorize(raw.map(_cell_text, na_action="ignore"), use_na_sentinel=True)
    return pd.Series(np.asarray(uniques, dtype=object), dtype=object), codes


def _take(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.api.extensions.take(values.to_numpy(), codes, allow_fill=True), index=index)


def _refuse(
    source: SourceFrame, column: str, codes: np.ndarray, label: int, why: tuple[str, str | None]
) -> None:
    row = int(np.argmax(codes == label))
    raise DataValidationError(f"{source.where(row)}, column {column}: {why[0]}", why[1])


def _number(
    source: SourceFrame, column: str, formats: Formats, fallback: str | None
) -> tuple[pd.Series, NumberStyle | None]:
    """The column's numbers, and the style found when it is not plain ``1234.5``."""
    raw = source.frame[column]
    if formats.plain_numbers and fallback != ",":
        numbers = _by_label(raw, _parse_numbers)
        if not numbers.isna().any():
            return numbers, None
    labels, codes = _labels(raw)
    values, style, conflict = parse_numbers(
        labels,
        decimal=formats.decimal or fallback,
        thousands=formats.thousands,
        currency=formats.currency,
    )
    if conflict:
        hint = "one style per column: fix the cells, or set decimal or currency"
        _refuse(source, column, codes, conflict.label, (conflict.message, hint))
    numbers = _take(values, codes, raw.index).astype(np.float64)
    _fail(source, numbers.isna().to_numpy(), column, raw, "a number")
    plain = style is not None and style.decimal == "." and not style.thousands
    return numbers, None if plain and not (style and style.currency) else style


def _integer(
    source: SourceFrame, column: str, formats: Formats, fallback: str | None
) -> tuple[pd.Series, NumberStyle | None]:
    numbers, style = _number(source, column, formats, fallback)
    values = numbers.to_numpy()
    _fail(source, values != np.round(values), column, source.frame[column], "a whole number")
    return numbers.astype(np.int64), style


def _typed_timestamps(raw: pd.Series) -> pd.Series | None:
    """Workbook cells already typed as dates (calamine), else None."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw
    if raw.dtype == object and raw.map(lambda v: isinstance(v, pd.Timestamp | dt.datetime)).all():
        return pd.to_datetime(raw)
    return None


def _iso_timestamps(raw: pd.Series) -> pd.Series:
    """Arrow's fast ISO parse of the labels (NaT everywhere when one is not ISO)."""
    fast = _arrow_cast(raw, pa.timestamp("s"))
    if fast is None:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    return pd.Series(fast.to_numpy(dtype="datetime64[ns]"), index=raw.index)


def _found_timestamps(
    source: SourceFrame, column: str, formats: Formats
) -> tuple[pd.Series, DateStyle | None]:
    """Timestamps in the layout given, ISO, or the order and layout found in the column."""
    raw = source.frame[column]
    if formats.date_format:
        layout = formats.date_format
        return _by_label(raw, lambda c: pd.to_datetime(c, format=layout, errors="coerce")), None
    if formats.dayfirst is None:
        fast = _by_label(raw, _iso_timestamps)
        if not fast.isna().any():
            return fast, None
    labels, codes = _labels(raw)
    values, style, problem = parse_dates(labels, dayfirst=formats.dayfirst)
    if problem:
        _refuse(source, column, codes, problem.label, (problem.message, problem.hint))
    return _take(values, codes, raw.index), style


def _timestamps(
    source: SourceFrame, column: str, formats: Formats
) -> tuple[pd.Series, DateStyle | None]:
    raw = source.frame[column]
    typed = _typed_timestamps(raw)
    style = None
    if typed is None:
        typed, style = _found_timestamps(source, column, formats)
    parsed = pd.Series(np.asarray(typed, dtype="datetime64[ns]"), index=raw.index)
    layout = formats.date_format or "e.g. 2011-12-09 12:50"
    _fail(source, parsed.isna().to_numpy(), column, raw, f"a date ({layout})")
    return parsed, style


def canonical_lines(
    source: SourceFrame, columns: Mapping[str, str], formats: Formats | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One row per source line with the canonical columns present in ``columns`` (canonical ->
    source), and the number and date formats found (for the report)."""
    formats = formats or Formats()
    lines = pd.DataFrame(index=source.frame.index)
    lines[p.INVOICE] = _text(source.frame[columns[p.INVOICE]])
    lines[p.PRODUCT] = _text(source.frame[columns[p.PRODUCT]])
    lines[p.PRODUCT_NAME] = _text(source.frame[columns[p.PRODUCT_NAME]])
    price_values, price = _number(source, columns[p.UNIT_PRICE], formats, None)
    decimal = price.decimal if price else None
    lines[p.QUANTITY], quantity = _integer(source, columns[p.QUANTITY], formats, decimal)
    lines[p.TIMESTAMP], dates = _timestamps(source, columns[p.TIMESTAMP], formats)
    lines[p.UNIT_PRICE] = price_values
    lines[p.CUSTOMER] = _text(source.frame[columns[p.CUSTOMER]], _whole_number_key)
    for optional in p.OPTIONAL:
        if optional in columns:
            lines[optional] = _text(source.frame[columns[optional]])
    return lines, found_formats(price or quantity, dates)
