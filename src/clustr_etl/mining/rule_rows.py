"""The rules CSV of numeric rules (``RuleSet``), assembled column-wise: the bytes of
``rule_csv.csv_text`` on the rules' frames, without a Python object per rule.

Every measure and count of a rule is a function of (n(AC), n(A), n(C), N): they are formatted
(by ``rule_csv``, so the text is the same) once per distinct count tuple of a chunk; the itemset
fields once per itemset (``ItemsetCatalog.item_texts``); a row is then joined from arrays.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from clustr_etl.dataset.csv_fields import csv_rows, quoted
from clustr_etl.dataset.rule_columns import (
    ITEM_COLUMNS,
    ITEM_SEPARATOR,
    MINED_COLUMNS,
    STORED_COLUMNS,
    ordered_columns,
)
from clustr_etl.dataset.rule_csv import column_texts, distinct_rows, header_line
from clustr_etl.mining.rules import IdArray, Int64Array, ItemsetCatalog, RuleSet, measured_frame
from clustr_etl.store.backends.types import Rows

NAME_SEPARATOR = " | "  # between the product names of an itemset
NAME_COLUMNS = ("antecedent_names", "consequent_names")
MEASURE_BLOCK = MINED_COLUMNS[2:]  # support ... n_transactions: functions of the counts


def with_names(rules: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Add human-readable antecedent_names/consequent_names for product-id item keys."""
    named = rules.copy()
    for side, column in zip(("antecedents", "consequents"), NAME_COLUMNS, strict=True):
        named[column] = [
            NAME_SEPARATOR.join(names.get(key, key) for key in keys.split(ITEM_SEPARATOR))
            for keys in rules[side]
        ]
    return named


@dataclass(frozen=True)
class RowLayout:
    """What a rules CSV row holds besides the rule: its scope, window and product names."""

    scope: str
    since: dt.date | None = None
    until: dt.date | None = None
    names: Mapping[str, str] | None = None

    @property
    def columns(self) -> list[str]:
        named = list(NAME_COLUMNS) if self.names is not None else []
        return ordered_columns(["scope", *MINED_COLUMNS, "since", "until", *named])


def fits(rules: RuleSet, layout: RowLayout) -> bool:
    """Whether ``rule_set_csv`` gives this table's bytes: names are looked up per key, so no key
    may hold the separator the reference path splits on."""
    return layout.names is None or not any(
        ITEM_SEPARATOR in label for label in rules.catalog.labels
    )


def rule_set_csv(rules: RuleSet, layout: RowLayout, chunk_rows: int) -> Iterator[memoryview]:
    """The CSV rows (no header) of ``rules`` in ``layout.columns``, ``chunk_rows`` at a time."""
    keys = quoted(rules.catalog.key_texts())
    names = _name_texts(rules.catalog, layout.names)
    scope, since, until = (_field(value) for value in (layout.scope, layout.since, layout.until))
    for start in range(0, len(rules), chunk_rows):
        part = rules.take(np.arange(start, min(start + chunk_rows, len(rules))))
        antecedents = pa.array(part.antecedents.astype(np.int64))
        consequents = pa.array(part.consequents.astype(np.int64))
        fields: list[pa.Array | str] = [scope, keys.take(antecedents), keys.take(consequents)]
        if names is not None:
            fields += [names.take(antecedents), names.take(consequents)]
        fields += [measures_of(part).csv, since, until]
        yield csv_rows(fields)


def _name_texts(catalog: ItemsetCatalog, names: Mapping[str, str] | None) -> pa.Array | None:
    """By global id: the itemset's product names as a CSV field (None without names)."""
    return None if names is None else quoted(_shown_texts(catalog, names))


def _field(value: str | dt.date | None) -> str:
    """A value the same on every row, as the CSV field the reference path writes."""
    return str(column_texts(pd.Series([value], dtype=object))[0])


def measures_of(part: RuleSet, check: MeasureCheck | None = None) -> _Measures:
    """The measure and count columns (MEASURE_BLOCK) of each distinct count tuple of ``part``, as
    ``check`` gives them (the rules table's values without one)."""
    r = part.rule_counts.astype(np.int64)
    a = part.antecedent_counts
    c = part.consequent_counts
    first, inverse = distinct_rows([r, a, c])
    empty = np.full(first.size, "x", dtype=object)
    heads = measured_frame(empty, empty, r[first], a[first], c[first], part.catalog.n_transactions)
    return _Measures((heads if check is None else check(heads))[list(MEASURE_BLOCK)], inverse)


MeasureCheck = Callable[[pd.DataFrame], pd.DataFrame]
SIDES = ("antecedent", "consequent")


@dataclass(frozen=True)
class StoredRules:
    """The rules of every scope as rows of bundle_rules and bundle_rule_items, made from the
    numbers a chunk at a time (rule_id 1..n in table order), as CSV for COPY or as Python rows.

    ``check`` is the loader's check of a rules frame (columns MINED_COLUMNS) giving the stored
    values: it sees one row per distinct count tuple, as the measures are functions of the counts.
    """

    parts: list[tuple[RuleSet, RowLayout]]
    check: MeasureCheck
    run_id: int | None = None
    chunk_rows: int = 100_000

    def rule_csv(self) -> Iterator[bytes | memoryview]:
        yield header_line([*STORED_COLUMNS, "run_id"]).encode()
        run_id = "" if self.run_id is None else str(self.run_id)
        for rules, layout, chunks in self._scopes():
            keys, names = _stored_texts(rules.catalog, layout.names)
            scope, since, until = _field(layout.scope), _iso(layout.since), _iso(layout.until)
            for part, rule_ids in chunks:
                ante = pa.array(part.antecedents.astype(np.int64))
                cons = pa.array(part.consequents.astype(np.int64))
                fields: list[pa.Array | str] = [
                    pa.array(rule_ids).cast(pa.large_string()),
                    scope,
                    keys.take(ante),
                    keys.take(cons),
                ]
                fields += [names.take(ante), names.take(cons)] if names is not None else ["", ""]
                fields += [measures_of(part, self.check).csv, since, until, run_id]
                yield csv_rows(fields)

    def rule_batches(self) -> Iterator[tuple[Rows, int]]:
        for rules, layout, chunks in self._scopes():
            keys, names = _stored_lists(rules.catalog, layout.names)
            window = [
                None if day is None else day.isoformat() for day in (layout.since, layout.until)
            ]
            for part, rule_ids in chunks:
                columns: list[Iterable[Any]] = [
                    rule_ids.tolist(),
                    itertools.repeat(layout.scope),
                    keys[part.antecedents].tolist(),
                    keys[part.consequents].tolist(),
                ]
                if names is not None:
                    columns += [names[part.antecedents].tolist(), names[part.consequents].tolist()]
                else:
                    columns += [itertools.repeat(None), itertools.repeat(None)]
                columns += measures_of(part, self.check).columns
                columns += [itertools.repeat(day) for day in (*window, self.run_id)]
                yield zip(*columns, strict=False), rule_ids.size

    def item_csv(self) -> Iterator[bytes | memoryview]:
        yield header_line(ITEM_COLUMNS).encode()
        for rules, _, chunks in self._scopes():
            labels = quoted(pa.array(rules.catalog.labels, type=pa.large_string()))
            for part, rule_ids in chunks:
                for side, ids in zip(SIDES, (part.antecedents, part.consequents), strict=True):
                    owners, codes = _items_of(part.catalog, ids, rule_ids)
                    if owners.size:
                        owner_text = pa.array(owners).cast(pa.large_string())
                        yield csv_rows([owner_text, side, labels.take(pa.array(codes))])

    def item_batches(self) -> Iterator[tuple[Rows, int]]:
        for rules, _, chunks in self._scopes():
            labels = np.asarray(rules.catalog.labels, dtype=object)
            for part, rule_ids in chunks:
                for side, ids in zip(SIDES, (part.antecedents, part.consequents), strict=True):
                    owners, codes = _items_of(part.catalog, ids, rule_ids)
                    rows = zip(owners.tolist(), itertools.repeat(side), labels[codes].tolist())
                    yield rows, owners.size

    def _scopes(self) -> Iterator[tuple[RuleSet, RowLayout, Iterator[tuple[RuleSet, Int64Array]]]]:
        """Each scope's rules, layout and chunks (with their rule ids, numbered on across scopes)."""
        first = [1]

        def chunks(rules: RuleSet) -> Iterator[tuple[RuleSet, Int64Array]]:
            for start in range(0, len(rules), self.chunk_rows):
                part = rules.take(np.arange(start, min(start + self.chunk_rows, len(rules))))
                yield part, np.arange(first[0], first[0] + len(part), dtype=np.int64)
                first[0] += len(part)

        for rules, layout in self.parts:
            yield rules, layout, chunks(rules)


@dataclass(frozen=True)
class _Measures:
    """The stored measure columns of each distinct count tuple, and each rule's tuple."""

    heads: pd.DataFrame
    inverse: npt.NDArray[np.intp]

    @property
    def csv(self) -> pa.Array:
        texts = [column_texts(self.heads[name]).tolist() for name in self.heads.columns]
        joined = pa.array(
            [",".join(row) for row in zip(*texts, strict=True)], type=pa.large_string()
        )
        return joined.take(pa.array(self.inverse))

    @property
    def columns(self) -> list[list[Any]]:
        return [
            np.asarray(_plain(self.heads[name]), dtype=object)[self.inverse].tolist()
            for name in self.heads.columns
        ]


def _plain(column: pd.Series) -> list[Any]:
    """Numbers as Python scalars, NaN as None (NULL)."""
    values: list[Any] = column.to_numpy().tolist()
    if column.dtype.kind == "f":
        return [None if value != value else value for value in values]
    return values


def storable(rules: RuleSet) -> bool:
    """Whether the loader's checks of keys hold by construction: item keys neither empty, nor
    repeated, nor holding the separator (the reference path splits the key text on it)."""
    labels = rules.catalog.labels
    return len(set(labels)) == len(labels) and all(
        label.strip() and ITEM_SEPARATOR not in label for label in labels
    )


def _stored_texts(
    catalog: ItemsetCatalog, names: Mapping[str, str] | None
) -> tuple[pa.Array, pa.Array | None]:
    return quoted(catalog.key_texts()), _name_texts(catalog, names)


def _stored_lists(
    catalog: ItemsetCatalog, names: Mapping[str, str] | None
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_] | None]:
    keys = np.asarray(catalog.key_texts().to_pylist(), dtype=object)
    if names is None:
        return keys, None
    return keys, np.asarray(_shown_texts(catalog, names).to_pylist(), dtype=object)


def _shown_texts(catalog: ItemsetCatalog, names: Mapping[str, str]) -> pa.Array:
    """By global id: the product names of the itemset's keys, joined by NAME_SEPARATOR."""
    shown = pa.array([names.get(label, label) for label in catalog.labels], type=pa.large_string())
    return catalog.item_texts(shown, NAME_SEPARATOR)


def _iso(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _items_of(
    catalog: ItemsetCatalog, ids: IdArray, rule_ids: Int64Array
) -> tuple[Int64Array, npt.NDArray[np.int32]]:
    """(rule_id, label position) of every item of the itemsets ``ids`` (one per rule), rule by rule."""
    indptr, codes = catalog.item_lists()
    starts = indptr[ids]
    lengths = indptr[np.asarray(ids, dtype=np.int64) + 1] - starts
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    positions = np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
    return np.repeat(rule_ids, lengths), codes[positions]
