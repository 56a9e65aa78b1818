"""Where the data came from: generated (seed and options) or imported (preset and files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clustr_etl.dataset.layout import IMPORT_REPORT_FILE, MANIFEST_FILE


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def describe_source(raw_dir: Path) -> dict[str, Any]:
    """``{"kind": "imported", ...}`` from import_report.json, ``{"kind": "generated", ...}`` from
    the generator's manifest, else ``{"kind": "unknown"}``."""
    imported = _read_json(raw_dir / IMPORT_REPORT_FILE)
    if imported is not None:
        return {
            "kind": "imported",
            "preset": imported.get("preset"),
            "files": [Path(str(name)).name for name in imported.get("sources", [])],
            "source_rows": imported.get("source_rows"),
            "loaded_rows": imported.get("loaded_rows"),
            "dropped": imported.get("dropped") or {},
        }
    generated = _read_json(raw_dir / MANIFEST_FILE)
    if generated is not None:
        return {"kind": "generated", "seed": generated.get("seed"), "options": generated}
    return {"kind": "unknown"}
