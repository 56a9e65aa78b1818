"""A load completes or leaves the database exactly as it was: killed processes, lost connections,
constraint violations the validation missed. The next load then succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from clustr_etl.errors import DatabaseError, DataValidationError
from clustr_etl.loading import load_tables, tables
from clustr_etl.loading.csv_files import CsvFile, open_csv_file
from clustr_etl.progress import Advance, Progress
from loading_data import Rows, make_dataset, snapshot, write_dataset
from test_loading_partial import schema_objects

# Loads the CSVs with a progress object that stops (prints "reached" and sleeps) at one point.
CHILD = """
import sys, time
from contextlib import contextmanager
from pathlib import Path
from clustr_etl.db import make_engine
from clustr_etl.loading import load_tables

url, raw, marker = sys.argv[1:4]

def stop():
    print("reached", flush=True)
    time.sleep(120)

class StoppingProgress:
    @contextmanager
    def task(self, description, total=None):
        if marker == "task " + description:
            stop()
        def advance(amount):
            if marker == "advance " + description:
                stop()
        yield advance
        if marker == "done " + description:
            stop()

load_tables(make_engine(url), Path(raw), progress=StoppingProgress())
print("finished", flush=True)
"""

KILL_POINTS = [
    "task check sales.csv",  # validating, nothing touched yet
    "advance load transactions",  # transactions copied, sales not yet
    "advance load sales",  # in the middle of the sales file (first chunk sent)
    "task indexes and constraints",  # all data in, keys and indexes dropped
    "done indexes and constraints",  # everything rebuilt, just before COMMIT
]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Rows]]:
    """An old dataset and a bigger new one (~30k sales lines, ~1 MB)."""
    root = tmp_path_factory.mktemp("atomic")
    old = write_dataset(root / "old", make_dataset(seed=3, transactions=500))
    new_data = make_dataset(seed=4, products=200, customers=500, days=90, transactions=10_000)
    return old, write_dataset(root / "new", new_data), new_data


def _run_child_until(url: str, raw: Path, marker: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(raw), marker],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        line = child.stdout.readline()
        if line != "reached\n":
            child.kill()
            pytest.fail(f"child did not reach {marker!r}: {line!r} {child.stderr.read()[-2000:]}")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.parametrize("marker", KILL_POINTS)
def test_sigkill_at_any_point_leaves_the_previous_data(
    engine: Engine,
    db_url: str,
    datasets: tuple[Path, Path, dict[str, Rows]],
    marker: str,
) -> None:
    old, new, new_data = datasets
    load_tables(engine, old)
    before, objects = snapshot(engine), schema_objects(engine)
    engine.dispose()
    _run_child_until(db_url, new, marker)
    assert snapshot(engine) == before
    assert schema_objects(engine) == objects
    counts = load_tables(engine, new)
    assert counts == {name: len(rows) for name, rows in new_data.items()}
    assert schema_objects(engine) == objects


class CallbackProgress:
    """Runs ``callback`` the first time the task ``description`` advances."""

    def __init__(self, description: str, callback: object) -> None:
        self.description = description
        self.callback = callback

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Advance]:
        def advance(amount: float) -> None:
            if description == self.description and callable(self.callback):
                callback, self.callback = self.callback, None
                callback()

        yield advance


def test_lost_connection_leaves_the_previous_data(
    engine: Engine, db_url: str, datasets: tuple[Path, Path, dict[str, Rows]]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite is embedded: there is no server connection to lose (see the kill tests)"
        )
    old, new, _ = datasets
    load_tables(engine, old)
    before = snapshot(engine)
    admin = create_engine(db_url)

    def terminate_loader() -> None:
        with admin.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'clustr-etl' AND datname = current_database()"
                )
            )

    progress: Progress = CallbackProgress("load sales", terminate_loader)
    with pytest.raises(DatabaseError, match="connection") as caught:
        load_tables(engine, new, progress=progress)
    assert "nothing was changed" in str(caught.value)
    admin.dispose()
    assert snapshot(engine) == before
    load_tables(engine, new)


def _without_validation(
    engine: Engine,
    raw_dir: Path,
    names: Sequence[str],
    progress: Progress,
    *,
    allow_empty: bool = False,
) -> list[CsvFile]:
    return [open_csv_file(name, raw_dir) for name in names]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda data: data["sales"][20].__setitem__(3, "0"), "quantity_positive"),
        (lambda data: data["sales"][20].__setitem__(2, "9999"), "FOREIGN KEY"),
        (lambda data: data["products"].append(list(data["products"][0])), "pk_products"),
    ],
    ids=["check constraint", "foreign key", "primary key"],
)
def test_the_database_rejecting_data_leaves_the_previous_data(
    engine: Engine,
    tmp_path: Path,
    datasets: tuple[Path, Path, dict[str, Rows]],
    monkeypatch: pytest.MonkeyPatch,
    change: object,
    words: str,
) -> None:
    """Should bad data ever get past validation, the database constraints stop it and nothing changes."""
    old, _, _ = datasets
    load_tables(engine, old)
    before = snapshot(engine)
    data = make_dataset(seed=5)
    assert callable(change)
    change(data)
    bad = write_dataset(tmp_path / "bad", data)
    monkeypatch.setattr(tables, "validate_files", _without_validation)
    with pytest.raises(DataValidationError, match="nothing was changed") as caught:
        load_tables(engine, bad)
    message = str(caught.value)
    assert words.lower() in message.lower() or "unique" in message.lower(), message
    assert snapshot(engine) == before
    monkeypatch.undo()
    load_tables(engine, old)
    assert snapshot(engine) == before
