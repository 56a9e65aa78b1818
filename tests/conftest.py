"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and a clean environment.

PostgreSQL tests use CLUSTR_TEST_DATABASE_URL (a server URL; the suite creates its own database there and drops it
at the end). Without it they are skipped with a reason, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from clustr_etl.config.settings import load_settings
from clustr_etl.run import steps as pipeline
from clustr_etl.store.schema import init_db, make_engine
from ops_support import SMALL, Sums, good_load, link_dataset, own_database
from pg_scratch import scratch_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's CLUSTR_* variables or .env never leak into tests."""
    for name in list(os.environ):
        if name.startswith("CLUSTR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test run (per xdist worker) and dropped after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with scratch_database(f"clustr_test_{worker}") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file under tmp_path, or the run's PostgreSQL database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clustr-test.db'}"
    url: str = request.getfixturevalue("pg_database_url")
    wipe = create_engine(url)
    with wipe.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    wipe.dispose()
    return url


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw/ folder of a generated SMALL dataset (ops_support.SMALL), for read-only use."""
    data = tmp_path_factory.mktemp("dataset")
    pipeline.generate_step(load_settings(data_dir=data, **SMALL), force=True)
    return data / "raw"


@pytest.fixture(scope="module", params=BACKENDS)
def good_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, dataset: Path
) -> Iterator[tuple[str, Path, Sums]]:
    """(URL, data folder, checksums) of a good run-all of ``dataset`` in a database of the module's own
    (see ops_support.own_database), so other tests' wipes never reach it. Tests must leave it as they
    found it (what the operations suites assert anyway), so one load serves the whole module."""
    base = tmp_path_factory.mktemp("good-db")
    data_dir = link_dataset(dataset, base / "data")
    with own_database(request.param, base) as url:
        yield url, data_dir, good_load(url, data_dir)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the schema created."""
    eng = make_engine(db_url)
    init_db(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def pyspark_installed() -> None:
    """Skip (fail under CI=true) without the spark extra; for tests that start no session."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        reason = "pyspark is not installed (pip install 'clustr-etl[spark]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}: the Spark tests are required under CI=true")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session (2 cores) for the whole test run; the library reuses the active one.

    Skipped with a reason without pyspark or Java, except under CI=true where that is a failure.
    """
    from clustr_etl.errors import SparkError
    from clustr_etl.spark.session import require_spark, spark_session

    try:
        require_spark()
    except SparkError as err:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{err} (the Spark tests are required under CI=true)")
        pytest.skip(str(err))
    with spark_session("local[2]") as session:
        yield session
