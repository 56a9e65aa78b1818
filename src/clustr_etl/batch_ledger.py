"""Which batches the database holds, read from the ``etl_runs`` ledger.

A succeeded full ``load`` step records the batches it read (replacing whatever was in before); a
succeeded ``append`` step adds its batch; ``init-db --drop`` empties the tables. A batch is known by
the sha256 of its files, so a renamed folder is still recognised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from clustr_etl.ledger import SUCCEEDED
from clustr_etl.models import EtlRun

LOAD_STEP, APPEND_STEP = "load", "append"


def batch_key(hashes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(hashes.items()))


@dataclass(frozen=True)
class LoadedBatch:
    name: str
    run_id: int


def loaded_batches(engine: Engine) -> dict[tuple[tuple[str, str], ...], LoadedBatch]:
    """The batches in the database now (by file hashes), each with the run that loaded it."""
    query = (
        select(EtlRun.run_id, EtlRun.command, EtlRun.parameters, EtlRun.steps)
        .where(EtlRun.status == SUCCEEDED)
        .order_by(EtlRun.run_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    loaded: dict[tuple[tuple[str, str], ...], LoadedBatch] = {}
    for run_id, command, parameters, steps in rows:
        if command == "init-db" and _json(parameters, {}).get("drop"):
            loaded.clear()
        for step in _json(steps, []):
            name = step.get("name") if isinstance(step, dict) else None
            if name == LOAD_STEP:
                loaded.clear()
            if name in (LOAD_STEP, APPEND_STEP):
                for batch, hashes in (step.get("batches") or {}).items():
                    loaded[batch_key(hashes)] = LoadedBatch(batch, run_id)
    return loaded


def _json(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default
