"""Writing a data folder all or nothing: files staged under hidden names, renamed into place at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

from clustr_etl.errors import InputFileError

_WRITE_BUFFER = 1 << 20


def make_output_dir(raw_dir: Path) -> None:
    """Create ``raw_dir`` (and its parents), or say in one line why it cannot be."""
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputFileError(
            f"cannot create output folder {raw_dir}: {err.strerror}", "choose a writable --data-dir"
        ) from None


def prepare_output_dir(raw_dir: Path, force: bool, outputs: tuple[str, ...]) -> None:
    """Create ``raw_dir``; without ``force``, refuse to overwrite any of ``outputs``."""
    make_output_dir(raw_dir)
    if not force:
        for name in outputs:
            if (raw_dir / name).exists():
                raise InputFileError(f"{raw_dir / name} exists; pass --force to overwrite")


class StagedFiles:
    """Files written under temporary names and renamed into place only when all are complete."""

    def __init__(self, raw_dir: Path, stack: ExitStack) -> None:
        self.raw_dir = raw_dir
        self.stack = stack
        self.staged: dict[str, Path] = {}

    def open(self, name: str) -> BinaryIO:
        temporary = self.raw_dir / f".{name}.{os.getpid()}.tmp"
        try:
            handle = self.stack.enter_context(temporary.open("wb", buffering=_WRITE_BUFFER))
        except OSError as err:
            raise InputFileError(
                f"cannot write {temporary.parent}: {err.strerror}", "choose a writable --data-dir"
            ) from None
        self.staged[name] = temporary
        return handle

    def commit(self) -> None:
        for name, temporary in self.staged.items():
            os.replace(temporary, self.raw_dir / name)
        self.staged.clear()

    def discard(self) -> None:
        for temporary in self.staged.values():
            temporary.unlink(missing_ok=True)


@contextmanager
def staged(raw_dir: Path) -> Iterator[StagedFiles]:
    """Files opened through the yielded object appear under their names only if the block succeeds."""
    stack = ExitStack()
    files = StagedFiles(raw_dir, stack)
    try:
        with stack:
            yield files
    except BaseException:
        files.discard()
        raise
    files.commit()
