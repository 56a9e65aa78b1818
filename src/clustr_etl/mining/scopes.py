"""Mining every scope (all baskets, then each customer group) into one rules table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd

from clustr_etl.dataset.rule_columns import DEFAULT_SCOPE, ordered_columns
from clustr_etl.dataset.rule_csv import csv_text, header_line
from clustr_etl.mining import MinedRules, MiningEngine, RuleTable, mine_rules_with_report
from clustr_etl.mining.rule_rows import (
    MeasureCheck,
    RowLayout,
    StoredRules,
    fits,
    rule_set_csv,
    storable,
    with_names,
)
from clustr_etl.mining.rules import RuleSet
from clustr_etl.mining.selection import SelectedBaskets
from clustr_etl.mining.summary import summarize
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress


@dataclass(frozen=True)
class ScopeTable:
    """One scope's rules with the columns that name the scope (``scope`` first, window last)."""

    table: RuleTable
    scope: str = DEFAULT_SCOPE
    since: dt.date | None = None
    until: dt.date | None = None

    def frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        for frame in self.table.frames(chunk_rows):
            yield self.labelled(frame)

    def labelled(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.insert(0, "scope", self.scope)
        frame["since"] = self.since
        frame["until"] = self.until
        return frame


@dataclass
class ScopedRules:
    """The rules of every scope (scope 'all' first), a chunk of rows at a time."""

    tables: list[ScopeTable]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(part.table) for part in self.tables)

    def frames(self, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """Every scope's rules ``chunk_rows`` at a time (each chunk within one scope)."""
        for part in self.tables:
            if len(part.table) or part is self.tables[0]:
                yield from part.frames(chunk_rows)

    def csv_chunks(
        self, chunk_rows: int, names: Mapping[str, str] | None = None
    ) -> Iterator[bytes | memoryview]:
        """The rules CSV, header first, then ``chunk_rows`` rows at a time: numeric rules
        (``RuleSet``) assembled column-wise, other tables through their frames (same bytes);
        ``names`` adds the product names of the keys."""
        columns: list[str] | None = None
        for part in self.tables:
            if not (len(part.table) or part is self.tables[0]):
                continue
            layout = RowLayout(part.scope, part.since, part.until, names)
            if (
                isinstance(part.table, RuleSet)
                and fits(part.table, layout)
                and columns in (None, layout.columns)
            ):
                if columns is None:
                    columns = layout.columns
                    yield header_line(columns).encode()
                yield from rule_set_csv(part.table, layout, chunk_rows)
                continue
            for frame in part.frames(chunk_rows):
                named = frame if names is None else with_names(frame, names)
                if columns is None:
                    columns = ordered_columns(list(named.columns))
                    yield header_line(columns).encode()
                yield csv_text(named, columns).encode()

    def stored(
        self, check: MeasureCheck, names: Mapping[str, str] | None, run_id: int | None
    ) -> StoredRules | None:
        """The rules as table rows made from the numbers (``StoredRules``), when every scope's
        rules are numeric and their keys pass the loader's checks by construction."""
        parts: list[tuple[RuleSet, RowLayout]] = []
        for part in self.tables:
            layout = RowLayout(part.scope, part.since, part.until, names)
            table = part.table
            if not (isinstance(table, RuleSet) and fits(table, layout) and storable(table)):
                return None
            parts.append((table, layout))
        return StoredRules(parts, check, run_id)

    def head(self, rows: int) -> pd.DataFrame:
        """The first ``rows`` rules of each scope (the best by lift: each scope is in that order)."""
        return pd.concat(
            [part.labelled(part.table.head(rows)) for part in self.tables], ignore_index=True
        )

    @property
    def rules(self) -> pd.DataFrame:
        """Every rule in one frame."""
        return pd.concat(
            [part.labelled(part.table.to_frame()) for part in self.tables], ignore_index=True
        )


def mine_scopes(
    selected: SelectedBaskets,
    thresholds: RuleThresholds,
    engine: MiningEngine = "fast",
    progress: Progress = NO_PROGRESS,
) -> ScopedRules:
    """The rules of each scope with its ``scope``, ``since`` and ``until`` (scope 'all' first)."""
    parts = [
        scoped(
            mine_rules_with_report(scope.baskets, thresholds, engine, progress),
            thresholds,
            scope.baskets.n_transactions,
            scope=scope.name,
            since=scope.since,
            until=scope.until,
        )
        for scope in selected.scopes
    ]
    return ScopedRules(
        [table for part in parts for table in part.tables],
        [note for part in parts for note in part.notes],
        [warning for part in parts for warning in part.warnings],
    )


def scoped(
    mined: MinedRules,
    thresholds: RuleThresholds,
    n_transactions: int,
    *,
    scope: str = DEFAULT_SCOPE,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ScopedRules:
    """One scope's rules with its ``scope``, ``since`` and ``until`` columns and its summary."""
    used = mined.thresholds or thresholds  # the support may have been raised to fit --max-rules
    summary = summarize(scope, used, n_transactions, mined.quality, len(mined.table))
    prefix = "" if scope == DEFAULT_SCOPE else f"{scope}: "
    notes = [f"{prefix}{note}" for note in mined.notes]
    table = ScopeTable(mined.table, scope, since, until)
    return ScopedRules([table], [*summary.notes, *notes], summary.warnings)
