"""A record of the options that generated the CSVs in a raw folder, so `run-all` knows when to regenerate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from clustr_etl.simulate import CSV_FILES, GenerateOptions
from clustr_etl.simulate.options import GENERATOR_VERSION

MANIFEST_FILE = "generate_options.json"

# Options that change the bytes of the dataset (chunk size and workers do not).
_IGNORED = {"chunk_size", "workers"}


def _content_options(options: GenerateOptions) -> dict[str, Any]:
    values = dataclasses.asdict(options)
    content = {key: str(value) for key, value in values.items() if key not in _IGNORED}
    return {**content, "generator_version": str(GENERATOR_VERSION)}


def write_manifest(raw_dir: Path, options: GenerateOptions) -> None:
    (raw_dir / MANIFEST_FILE).write_text(
        json.dumps(_content_options(options), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def dataset_is_current(raw_dir: Path, options: GenerateOptions) -> bool:
    """True when every CSV exists and the manifest says they were made with these options by this
    generator version (a manifest from an older version, which lacks the version or has another, is stale).

    CSVs without a manifest (made by hand or by another tool) count as current: they are never
    overwritten silently.
    """
    if not all((raw_dir / name).exists() for name in CSV_FILES.values()):
        return False
    manifest = raw_dir / MANIFEST_FILE
    if not manifest.exists():
        return True
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(recorded == _content_options(options))
