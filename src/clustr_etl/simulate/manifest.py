"""The generator's manifest: the options that made the CSVs in a raw folder, so `run-all` knows when to
regenerate and `generate --next-days` how to continue."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

from clustr_etl.dataset.layout import IMPORT_REPORT_FILE, MANIFEST_FILE, TABLE_FILES
from clustr_etl.errors import InputFileError
from clustr_etl.simulate.options import GENERATOR_VERSION, GenerateOptions

# Options that change the bytes of the dataset (chunk size and workers do not).
_IGNORED = {"chunk_size", "workers"}


def _content_options(options: GenerateOptions) -> dict[str, Any]:
    values = dataclasses.asdict(options)
    content = {key: str(value) for key, value in values.items() if key not in _IGNORED}
    return {**content, "generator_version": str(GENERATOR_VERSION)}


def write_manifest(raw_dir: Path, options: GenerateOptions) -> None:
    (raw_dir / IMPORT_REPORT_FILE).unlink(missing_ok=True)  # the CSVs are generated now
    (raw_dir / MANIFEST_FILE).write_text(
        json.dumps(_content_options(options), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def dataset_is_current(raw_dir: Path, options: GenerateOptions) -> bool:
    """True when every CSV exists and the manifest says they were made with these options by this
    generator version (a manifest from an older version, which lacks the version or has another, is stale).

    CSVs without a manifest (made by hand or by another tool) and imported CSVs count as current:
    they are never overwritten silently.
    """
    if not all((raw_dir / name).exists() for name in TABLE_FILES.values()):
        return False
    if (raw_dir / IMPORT_REPORT_FILE).exists():
        return True
    manifest = raw_dir / MANIFEST_FILE
    if not manifest.exists():
        return True
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(recorded == _content_options(options))


def read_manifest(raw_dir: Path) -> GenerateOptions | None:
    """The options recorded in ``raw_dir``'s manifest, or None when there is none (imported data)."""
    manifest = raw_dir / MANIFEST_FILE
    if not manifest.is_file():
        return None
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if recorded.get("generator_version") != str(GENERATOR_VERSION):
            raise InputFileError(
                f"{manifest} was written by another generator version",
                "regenerate the dataset with `clustr-etl generate --force`",
            )
        values: dict[str, Any] = {}
        for option in dataclasses.fields(GenerateOptions):
            if option.name in _IGNORED:
                continue
            text = recorded[option.name]
            default = getattr(GenerateOptions(), option.name)
            values[option.name] = (
                date.fromisoformat(text) if isinstance(default, date) else type(default)(text)
            )
    except (OSError, ValueError, KeyError, TypeError):
        raise InputFileError(
            f"{manifest} is unreadable or incomplete",
            "regenerate the dataset with `clustr-etl generate --force`",
        ) from None
    return GenerateOptions(**values)
