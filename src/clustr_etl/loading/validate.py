"""Validation of a whole load before anything is changed: every file, every key across files and tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select

from clustr_etl.dataset.batches import find_batches
from clustr_etl.errors import DataValidationError
from clustr_etl.loading.csv_files import CsvFile, table_files
from clustr_etl.loading.csv_scan import ParentKeys, scan_file
from clustr_etl.loading.keys import Keys, KeySet
from clustr_etl.loading.locate import key_clash_problem
from clustr_etl.loading.schema import ForeignKey, foreign_keys, primary_key
from clustr_etl.progress import Progress
from clustr_etl.store.models import table

FETCH_ROWS = 200_000
EXAMPLES = 5


def validate_files(
    engine: Engine,
    raw_dir: Path,
    tables: Sequence[str],
    progress: Progress,
    *,
    allow_empty: bool = False,
) -> list[CsvFile]:
    """Check the CSVs of ``tables`` (dependency order) and their keys; return them with row counts.

    A table's rows may come from several files (the base, then batches): keys must be unique
    across them, and foreign keys may point to a row of any of the parent's files. A CSV without
    rows may not replace a table that has rows unless ``allow_empty`` (an empty export upstream must
    not wipe a table)."""
    files = table_files(raw_dir, tables, find_batches(raw_dir))
    loaded = {csv_file.table: csv_file for csv_file in files}
    several = {name for name in tables if sum(f.table == name for f in files) > 1}
    links = foreign_keys()
    parent_tables = {link.parent for link in links}
    keysets: dict[str, ParentKeys] = {}
    for csv_file in files:
        parents = {}
        for link in links:
            if link.child != csv_file.table:
                continue
            if link.parent not in keysets:
                keysets[link.parent] = ParentKeys(
                    database_key_set(engine, link.parent, link.parent_column),
                    f"the {link.parent} table of the database",
                )
            parents[link.column] = keysets[link.parent]
        with progress.task(f"check {csv_file.name}", total=csv_file.size) as advance:
            keep = csv_file.table in parent_tables or csv_file.table in several
            scan = scan_file(csv_file, parents, keep_keys=keep, advance=advance)
        csv_file.rows = scan.rows
        if scan.rows == 0 and not allow_empty:
            _refuse_to_empty(engine, csv_file)
        if scan.keys is not None:
            keysets[csv_file.table] = _merged(csv_file, scan.keys, keysets.get(csv_file.table))
    for link in links:
        if link.parent in loaded and link.child not in loaded:
            _check_still_referenced(engine, link, loaded[link.parent], keysets[link.parent].keys)
    return files


def _merged(csv_file: CsvFile, keys: KeySet, earlier: ParentKeys | None) -> ParentKeys:
    """The table's keys so far plus this file's; refuse a key an earlier file already holds."""
    if earlier is None:
        return ParentKeys(keys, csv_file.name)
    values = keys.values()
    clash = values[earlier.keys.contains(values)]
    if clash.size:
        column = primary_key(csv_file.table)
        raise key_clash_problem(csv_file, column, int(clash.min()), earlier.source)
    return ParentKeys(earlier.keys.union(keys), f"the {csv_file.table} files (base and batches)")


def _refuse_to_empty(engine: Engine, csv_file: CsvFile) -> None:
    with engine.connect() as conn:
        has_rows = conn.execute(select(table(csv_file.table)).limit(1)).first() is not None
    if has_rows:
        raise DataValidationError(
            f"{csv_file.name} has a header but no rows; loading it would empty the "
            f"{csv_file.table} table",
            "check the export, or pass `load --allow-empty` to empty the table; nothing was changed",
        )


def _check_still_referenced(
    engine: Engine, link: ForeignKey, parent: CsvFile, keys: KeySet
) -> None:
    """Refuse a partial refresh that would orphan rows of a table that is not being replaced."""
    used = database_keys(engine, link.child, link.column, distinct_values=True)
    lacking = used[~keys.contains(used)]
    if lacking.size == 0:
        return
    examples = ", ".join(_show(link, int(value)) for value in np.sort(lacking)[:EXAMPLES])
    raise DataValidationError(
        f"{parent.name} lacks {lacking.size} {link.parent_column} value(s) that rows of the "
        f"{link.child} table still use (e.g. {examples})",
        f"keep them in {parent.name} or load {link.child} together with {link.parent}; nothing was changed",
    )


def _show(link: ForeignKey, value: int) -> str:
    if link.parent_column == "date":
        return str(np.datetime64(value, "D"))
    return str(value)


def database_keys(
    engine: Engine,
    table_name: str,
    column_name: str,
    *,
    distinct_values: bool = False,
    between: tuple[int, int] | None = None,
) -> Keys:
    """All values (or the distinct values) of a key column of the database, as int64.

    ``between``: only the values in this closed range (int64 form: dates as epoch days).
    """
    column = table(table_name).c[column_name]
    query = select(column).distinct() if distinct_values else select(column)
    if between is not None:
        low, high = (_sql_value(column_name, value) for value in between)
        query = query.where(column.between(low, high))
    chunks: list[Keys] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(query)
        for partition in result.partitions():
            values = [row[0] for row in partition]
            if values and not isinstance(values[0], int):
                array = np.array(values, dtype="datetime64[D]").astype(np.int64)
            else:
                array = np.array(values, dtype=np.int64)
            chunks.append(array)
    return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)


def _sql_value(column_name: str, value: int) -> object:
    if column_name == "date":
        return dt.date(1970, 1, 1) + dt.timedelta(days=value)
    return value


def database_key_set(
    engine: Engine, table_name: str, column_name: str, between: tuple[int, int] | None = None
) -> KeySet:
    return KeySet.from_values(database_keys(engine, table_name, column_name, between=between))
