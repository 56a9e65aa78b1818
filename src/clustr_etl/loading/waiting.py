"""The batch folders under ``<raw dir>/batches/`` that the database does not hold yet, for ``status``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from clustr_etl.dataset.batches import batch_hashes, find_batches, stray_folders
from clustr_etl.dataset.layout import TABLE_FILES
from clustr_etl.store.ledger import LoadedBatch, batch_key


def batches_not_loaded(
    raw_dir: Path, loaded: Mapping[tuple[tuple[str, str], ...], LoadedBatch]
) -> list[str]:
    """Each batch not loaded (``load --append`` adds it), then each folder no load reads, and why."""
    file_names = list(TABLE_FILES.values())
    waiting = [
        f"{batch.name}: not loaded yet (`clustr-etl load --append` adds it)"
        for batch in find_batches(raw_dir)
        if batch_key(batch_hashes(batch.path, file_names)) not in loaded
    ]
    return [*waiting, *stray_folders(raw_dir)]
