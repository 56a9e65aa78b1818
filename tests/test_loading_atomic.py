"""A load completes or leaves the database exactly as it was: killed processes, lost connections,
constraint violations the validation missed. The next load then succeeds."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from clustr_etl.errors import DatabaseError, DataValidationError
from clustr_etl.loading import load_tables, tables
from clustr_etl.loading.csv_files import CsvFile, open_csv_file
from clustr_etl.progress import Progress
from fake_progress import RecordingProgress, once
from loading_data import Rows, make_dataset, snapshot, write_dataset
from ops_support import start_driver, wait_paused
from test_loading_partial import schema_objects

# (progress event, task) at which tests/fault_driver.py pauses `clustr-etl load` for the kill
KILL_POINTS = [
    ("task", "check sales.csv"),  # validating, nothing touched yet
    ("advance", "load transactions"),  # transactions copied, sales not yet
    ("advance", "load sales"),  # in the middle of the sales file (first chunk sent)
    ("task", "indexes and constraints"),  # all data in, keys and indexes dropped
    ("done", "indexes and constraints"),  # everything rebuilt, just before COMMIT
]


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Rows]]:
    """An old dataset and a bigger new one (~30k sales lines, ~1 MB)."""
    root = tmp_path_factory.mktemp("atomic")
    old = write_dataset(root / "old" / "raw", make_dataset(seed=3, transactions=500))
    new_data = make_dataset(seed=4, products=200, customers=500, days=90, transactions=10_000)
    return old, write_dataset(root / "new" / "raw", new_data), new_data


def kill_load_at(url: str, raw: Path, event: str, task: str, cwd: Path) -> None:
    """Run `clustr-etl load` on ``raw`` under the fault driver and SIGKILL it at (event, task)."""
    args = ["--quiet", "load", "--database-url", url, "--data-dir", str(raw.parent)]
    process = start_driver(*args, cwd=cwd, pause_task=f"^{task}$", pause_event=event)
    try:
        wait_paused(process)
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
        process.communicate(timeout=30)


@pytest.mark.parametrize(("event", "task"), KILL_POINTS, ids=[" ".join(p) for p in KILL_POINTS])
def test_sigkill_at_any_point_leaves_the_previous_data(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    datasets: tuple[Path, Path, dict[str, Rows]],
    event: str,
    task: str,
) -> None:
    old, new, new_data = datasets
    load_tables(engine, old)
    before, objects = snapshot(engine), schema_objects(engine)
    engine.dispose()
    kill_load_at(db_url, new, event, task, tmp_path)
    assert snapshot(engine) == before
    assert schema_objects(engine) == objects
    counts = load_tables(engine, new)
    assert counts == {name: len(rows) for name, rows in new_data.items()}
    assert schema_objects(engine) == objects


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

    progress = RecordingProgress(on=once("advance", "load sales", terminate_loader))
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
    ("change", "named"),
    [
        (
            lambda data: data["sales"][20].__setitem__(3, "0"),
            {
                "sqlite": "sales.csv: SQLite rejected the data: CHECK constraint failed: "
                "ck_sales_quantity_positive",
                "postgresql": 'violates check constraint "ck_sales_quantity_positive" (COPY sales, '
                "line 22:",
            },
        ),
        (
            lambda data: data["sales"][20].__setitem__(2, "9999"),
            {
                # SQLite replaces tables with foreign keys off and checks them all before COMMIT
                "sqlite": "1 row(s) of sales would reference a missing row of products",
                "postgresql": 'on table "sales" violates foreign key constraint '
                '"fk_sales_product_id_products"',
            },
        ),
        (
            lambda data: data["products"].append(list(data["products"][0])),
            {
                "sqlite": "UNIQUE constraint failed: products.product_id",
                "postgresql": 'could not create unique index "pk_products"',
            },
        ),
    ],
    ids=["check constraint", "foreign key", "primary key"],
)
def test_the_database_rejecting_data_leaves_the_previous_data(
    engine: Engine,
    tmp_path: Path,
    datasets: tuple[Path, Path, dict[str, Rows]],
    monkeypatch: pytest.MonkeyPatch,
    change: object,
    named: dict[str, str],
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
    # the error names the very constraint (or the column under it) that stopped the data
    assert named[engine.dialect.name] in str(caught.value), str(caught.value)
    assert snapshot(engine) == before
    monkeypatch.undo()
    load_tables(engine, old)
    assert snapshot(engine) == before
