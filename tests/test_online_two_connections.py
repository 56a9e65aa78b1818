"""A big PostgreSQL load builds its largest table in the main transaction and the other tables at the same
time on a second connection (``postgresql_build.BuildBeside``). Here the size threshold is lowered so the
small test dataset takes that path: the end state is the same as on one connection, and a failure on either
connection, or Ctrl-C, changes nothing and leaves no shadow table behind. (SQLite has one writer: it
replaces the tables in place, so these tests are PostgreSQL's.)"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from clustr_etl.errors import DataValidationError
from clustr_etl.loading import load_tables
from clustr_etl.loading.csv_files import open_csv_file
from clustr_etl.loading.sources import CsvFileSource
from clustr_etl.progress import NO_PROGRESS
from clustr_etl.run.status import collect_status
from clustr_etl.store.backends import LockWait, backend_for, postgresql_build
from clustr_etl.store.models import DATA_TABLES
from clustr_etl.store.schema import make_engine
from ops_support import Sums, checksum, cli, kill_when_paused, start_driver


@pytest.fixture
def two_connections(
    good_db: tuple[str, Path, Sums], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path, Sums, list[list[str]]]]:
    """good_db on PostgreSQL, every load split over two connections; yields the tables each second
    connection built too."""
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite replaces the tables in place, on its one connection")
    monkeypatch.setattr(postgresql_build, "BESIDE_MIN_BYTES", 0)
    built: list[list[str]] = []
    original = postgresql_build.BuildBeside.run

    def run(self: postgresql_build.BuildBeside) -> None:
        built.append(sorted({source.table for source in self._sources}))
        original(self)

    monkeypatch.setattr(postgresql_build.BuildBeside, "run", run)
    yield db_url, data_dir, good, built
    assert checksum(db_url) == good
    assert collect_status(db_url).leftover_tables == []
    assert shadow_schemas(db_url) == 0


def shadow_schemas(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = 'clustr_shadow'")
        ).scalar_one()
    engine.dispose()
    return int(found)


def sources_with(raw_dir: Path, folder: Path, table: str, bad_line: str) -> list[CsvFileSource]:
    """The dataset's files as sources, ``table``'s with one more line (the checks are not run)."""
    for name in DATA_TABLES:
        csv_name = open_csv_file(name, raw_dir).path.name
        shutil.copyfile(raw_dir / csv_name, folder / csv_name)
    with (folder / open_csv_file(table, raw_dir).path.name).open("a") as handle:
        handle.write(bad_line)
    return [CsvFileSource(open_csv_file(name, folder)) for name in DATA_TABLES]


def replace(engine: Engine, sources: list[CsvFileSource], **extra: object) -> None:
    backend_for(engine).replace_tables(engine, sources, NO_PROGRESS, LockWait(), **extra)  # type: ignore[arg-type]


def test_a_load_over_two_connections_ends_as_on_one(
    two_connections: tuple[str, Path, Sums, list[list[str]]],
) -> None:
    db_url, data_dir, _good, built = two_connections
    engine = make_engine(db_url)
    try:
        load_tables(engine, data_dir / "raw")
        with engine.connect() as conn:
            valid = conn.execute(
                text(
                    "SELECT bool_and(convalidated), count(*) FROM pg_constraint WHERE contype = 'f'"
                )
            ).one()
    finally:
        engine.dispose()
    assert built == [["customers", "products", "timeframe", "transactions"]]
    assert tuple(valid) == (True, 7)


def test_a_failure_on_the_second_connection_changes_nothing(
    two_connections: tuple[str, Path, Sums, list[list[str]]], tmp_path: Path
) -> None:
    db_url, data_dir, _good, built = two_connections
    engine = make_engine(db_url)
    first = (data_dir / "raw" / "transactions.csv").read_text().splitlines()[1]
    sources = sources_with(data_dir / "raw", tmp_path, "transactions", first + "\n")
    try:
        with pytest.raises(DataValidationError, match="pk_transactions"):
            replace(engine, sources)
    finally:
        engine.dispose()
    assert built == [["customers", "products", "timeframe", "transactions"]]


def test_a_failure_of_the_main_transaction_stops_the_second_connection(
    two_connections: tuple[str, Path, Sums, list[list[str]]], tmp_path: Path
) -> None:
    db_url, data_dir, _good, _built = two_connections
    engine = make_engine(db_url)
    first = (data_dir / "raw" / "sales.csv").read_text().splitlines()[1]
    sources = sources_with(data_dir / "raw", tmp_path, "sales", first + "\n")
    try:
        with pytest.raises(DataValidationError, match="pk_sales"):
            replace(engine, sources)
    finally:
        engine.dispose()


def test_ctrl_c_before_the_switch_changes_nothing(
    two_connections: tuple[str, Path, Sums, list[list[str]]],
) -> None:
    db_url, data_dir, _good, built = two_connections
    engine = make_engine(db_url)
    sources = [CsvFileSource(open_csv_file(name, data_dir / "raw")) for name in DATA_TABLES]

    def interrupt() -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            replace(engine, sources, before_switch=interrupt)
    finally:
        engine.dispose()
    assert built == [["customers", "products", "timeframe", "transactions"]]


def test_sigkill_after_the_second_connection_committed_leaves_shadow_tables_the_next_load_drops(
    two_connections: tuple[str, Path, Sums, list[list[str]]], tmp_path: Path
) -> None:
    db_url, data_dir, good, _built = two_connections
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url]
    # The main transaction adds its foreign keys once the other tables are committed beside it.
    process = start_driver(
        *args,
        cwd=tmp_path,
        pause_sql=r"^ALTER TABLE sales ADD CONSTRAINT fk_",
        beside_min_bytes="0",
    )
    kill_when_paused(process)
    assert process.returncode == -signal.SIGKILL
    assert checksum(db_url) == good
    assert collect_status(db_url).leftover_tables == [
        "clustr_shadow.customers",
        "clustr_shadow.products",
        "clustr_shadow.timeframe",
        "clustr_shadow.transactions",
    ]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
