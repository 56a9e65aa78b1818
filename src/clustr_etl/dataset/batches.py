"""Batches: folders of new rows under ``<raw dir>/batches/``, named ``NNNN-<first day>_<last day>``.

A batch holds any subset of the five table CSVs. A full load reads the base files, then every batch
in number order; each batch is identified by the sha256 of its files, which the ledger records.
A folder under ``batches/`` with another name is not loaded and is named in a warning by every load
and by ``status`` (hidden work folders ``.*.tmp`` excepted).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clustr_etl.errors import InputFileError

BATCHES_DIR = "batches"
_NAME = re.compile(r"(\d{4})-(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})")
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Batch:
    number: int
    first_day: date
    last_day: date
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def n_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def file(self, file_name: str) -> Path | None:
        path = self.path / file_name
        return path if path.is_file() else None


def batch_name(number: int, first_day: date, last_day: date) -> str:
    return f"{number:04d}-{first_day.isoformat()}_{last_day.isoformat()}"


def find_batches(raw_dir: Path) -> list[Batch]:
    """The batch folders under ``raw_dir/batches`` in number order (other entries are ignored)."""
    folder = Path(raw_dir) / BATCHES_DIR
    if not folder.is_dir():
        return []
    batches = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if not match or not entry.is_dir():
            continue
        try:
            first, last = date.fromisoformat(match[2]), date.fromisoformat(match[3])
        except ValueError:
            raise InputFileError(
                f"{entry}: the batch folder name holds an invalid date",
                "name it NNNN-YYYY-MM-DD_YYYY-MM-DD",
            ) from None
        batches.append(Batch(int(match[1]), first, last, entry))
    batches.sort(key=lambda batch: batch.number)
    numbers = [batch.number for batch in batches]
    if len(set(numbers)) != len(numbers):
        raise InputFileError(
            f"{folder} holds two batches with the same number", "renumber or remove one"
        )
    return batches


def is_work_folder(name: str) -> bool:
    """A hidden work folder of a batch being written (see ``batch_folder``)."""
    return name.startswith(".") and name.endswith(".tmp")


def stray_folders(raw_dir: Path) -> list[str]:
    """A warning for each folder under ``raw_dir/batches`` that no load reads: its name is not a
    batch name (hidden work folders ``.*.tmp`` excepted). Loads never skip a folder in silence."""
    folder = Path(raw_dir) / BATCHES_DIR
    if not folder.is_dir():
        return []
    batches = find_batches(raw_dir)
    following = (batches[-1].number + 1) if batches else 1
    warnings = []
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir() or _NAME.fullmatch(entry.name) or is_work_folder(entry.name):
            continue
        warnings.append(
            f"{entry} is not loaded: a batch folder is named NNNN-<first day>_<last day> and "
            f"loads in number order; rename it, e.g. {following:04d}-YYYY-MM-DD_YYYY-MM-DD "
            "with the first and last day of its rows"
        )
        following += 1
    return warnings


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def batch_hashes(folder: Path, file_names: list[str]) -> dict[str, str]:
    """sha256 of each of the named files present in ``folder`` (file name -> hex digest)."""
    return {name: file_sha256(folder / name) for name in file_names if (folder / name).is_file()}


@contextmanager
def batch_folder(target: Path) -> Iterator[Path]:
    """A hidden work folder beside ``target``, renamed to it when the block succeeds (else removed),
    so a batch folder appears whole or not at all."""
    work = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        work.mkdir(parents=True)
    except OSError as err:
        raise InputFileError(
            f"cannot create {work}: {err.strerror}", "choose a writable --data-dir"
        ) from None
    try:
        yield work
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
