"""``load --append``: add a batch of rows to the loaded tables instead of replacing them.

Facts (transactions, sales) are insert-only: a row whose key exists with the same values is skipped
and counted, one with other values is refused (file, line, column). Dimensions (products, customers,
timeframe) are upserted by key. Foreign keys are checked against the database plus the batch before
anything is committed; the merge is one transaction. On PostgreSQL the checks run in a thread while the
merge stages and inserts the rows (nobody sees them before COMMIT, which waits for the checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine

from clustr_etl.dataset.batches import batch_hashes
from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.errors import DataValidationError, InputFileError, KeyConflictError
from clustr_etl.loading.background import Background
from clustr_etl.loading.csv_files import CsvFile, open_csv_file
from clustr_etl.loading.csv_scan import (
    CountingFile,
    ParentKeys,
    key_values,
    open_batches,
    scan_file,
)
from clustr_etl.loading.locate import fail, line_with_key
from clustr_etl.loading.schema import foreign_keys
from clustr_etl.loading.sources import CsvFileSource
from clustr_etl.loading.validate import database_key_set
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.store.backends import RowCounts, backend_for
from clustr_etl.store.models import DATA_TABLES, FACT_TABLES


@dataclass
class AppendResult:
    counts: dict[str, RowCounts]
    hashes: dict[str, str]


def batch_files(folder: Path) -> list[CsvFile]:
    """The table CSVs of a batch folder, in dependency order, headers checked."""
    if not folder.is_dir():
        raise InputFileError(f"{folder} is not a folder", "give a batch folder to --append")
    files = [
        open_csv_file(table, folder, f"{folder.name}/{TABLE_FILES[table]}")
        for table in DATA_TABLES
        if (folder / TABLE_FILES[table]).is_file()
    ]
    if not files:
        raise InputFileError(
            f"batch folder {folder} holds no table CSV",
            f"put some of {', '.join(TABLE_FILES.values())} in it",
        )
    return files


def _column_range(csv_file: CsvFile, column: str) -> tuple[int, int] | None:
    """Lowest and highest value of a key column (None: empty, or unreadable: the scan says why)."""
    low, high = None, None
    try:
        with CountingFile(csv_file.path) as stream:
            for batch in open_batches(csv_file, stream):
                values = key_values(batch.column(column))
                if values.size:
                    low = int(values.min()) if low is None else min(low, int(values.min()))
                    high = int(values.max()) if high is None else max(high, int(values.max()))
    except (pa.ArrowInvalid, ValueError):
        return None
    return None if low is None or high is None else (low, high)


def _validate(engine: Engine, files: list[CsvFile], progress: Progress) -> None:
    """Every file parsed and checked; foreign keys against the database plus the batch."""
    links = foreign_keys()
    in_batch: dict[str, ParentKeys] = {}
    for csv_file in files:
        parents = {}
        for link in links:
            if link.child != csv_file.table:
                continue
            # Only the database keys in the range the batch uses: proportional to the batch.
            between = _column_range(csv_file, link.column)
            keys = database_key_set(engine, link.parent, link.parent_column, between)
            source = f"the {link.parent} table of the database"
            if link.parent in in_batch:
                keys = keys.union(in_batch[link.parent].keys)
                source += f" or {in_batch[link.parent].source}"
            parents[link.column] = ParentKeys(keys, source)
        with progress.task(f"check {csv_file.name}", total=csv_file.size) as advance:
            scan = scan_file(csv_file, parents, keep_keys=True, advance=advance)
        csv_file.rows = scan.rows
        if scan.keys is not None:
            in_batch[csv_file.table] = ParentKeys(scan.keys, csv_file.name)


def _located(conflict: KeyConflictError, files: list[CsvFile]) -> DataValidationError:
    csv_file = next(f for f in files if f.table == conflict.table)
    found = line_with_key(csv_file, conflict.key_column, conflict.key)
    if found is None:
        return conflict
    message = (
        f"{conflict.key_column} {conflict.key} is already in the database with another "
        f"{conflict.column} (facts are insert-only)"
    )
    return fail(csv_file, found[0], conflict.column, message)


def append_batch(engine: Engine, folder: Path, *, progress: Progress = NO_PROGRESS) -> AppendResult:
    """Validate the batch in ``folder``, then merge it into the tables in one transaction."""
    files = batch_files(folder)
    hashes = batch_hashes(folder, [csv_file.path.name for csv_file in files])
    backend = backend_for(engine)
    checks = Background(lambda: _validate(engine, files, progress))
    if backend.checks_while_building:  # the merge's transaction is invisible until it commits
        checks.start()
    else:
        checks.run()
        checks.result()
    sources = [(CsvFileSource(csv_file), csv_file.table not in FACT_TABLES) for csv_file in files]
    with progress.task(f"append {folder.name}", total=len(sources)) as advance:
        try:
            counts = backend.merge_batch(
                engine, sources, insert_only=FACT_TABLES, before_commit=checks.result
            )
        except KeyConflictError as conflict:
            checks.result()  # a problem in the CSVs explains a failed merge better (line, column)
            raise _located(conflict, files) from None
        except Exception:
            checks.result()
            raise
        advance(len(sources))
    return AppendResult(counts, hashes)
