"""The real retail datasets of ../shared/data (beside the clone in CI; absent in a user's clone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# SHARED_DATA_DIR points elsewhere (e.g. from a git worktree nested deeper than a clone).
SHARED_DATA = Path(
    os.environ.get("SHARED_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or skip the test with a visible reason when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(
            f"{path} not found: the real retail datasets live in ../shared/data beside the clone"
        )
    return path
