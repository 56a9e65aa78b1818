"""`clustr-etl status`: empty, missing, outdated, current and unreachable databases; stale runs; --json keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.run.status import collect_status
from clustr_etl.store.backends import writer_lock
from clustr_etl.store.ledger import recorded_run
from clustr_etl.store.models import Base
from clustr_etl.store.schema import head_revision, make_engine
from ops_support import add_running_row

runner = CliRunner()
TOP_KEYS = {
    "database",
    "backend",
    "reachable",
    "problem",
    "schema",
    "row_counts",
    "writer_active",
    "runs",
    "batches",
    "batches_not_loaded",
    "leftover_tables",
}
SCHEMA_KEYS = {
    "state",
    "present",
    "current",
    "missing_tables",
    "missing_columns",
    "revision",
    "head",
}
RUN_KEYS = {
    "run_id",
    "command",
    "status",
    "stored_status",
    "started_at",
    "finished_at",
    "seconds",
    "parameters",
    "steps",
    "error",
}


def status_json(db_url: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["status", "--json", "--database-url", db_url])
    return result.exit_code, json.loads(result.stdout)


def test_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "clustr.db"
    result = runner.invoke(app, ["status", "--database-url", f"sqlite:///{db}"])
    assert result.exit_code == 1
    assert f"no database file at {db}" in result.output
    assert "init-db" in result.output
    assert "Traceback" not in result.output
    assert not db.parent.exists()


def test_empty_database_says_the_schema_is_missing(db_url: str) -> None:
    make_engine(db_url).dispose()
    engine = make_engine(db_url)
    with engine.connect() as conn:  # SQLite: creates the empty file
        conn.execute(text("SELECT 1"))
    engine.dispose()
    code, report = status_json(db_url)
    assert code == 1
    assert set(report) == TOP_KEYS
    schema = report["schema"]
    assert isinstance(schema, dict)
    assert set(schema) == SCHEMA_KEYS
    assert schema["state"] == "missing"
    assert schema["present"] is False
    assert set(schema["missing_tables"]) == set(Base.metadata.tables)
    assert report["reachable"] is True
    assert report["row_counts"] == {}
    assert report["runs"] == []
    result = runner.invoke(app, ["status", "--database-url", db_url])
    assert result.exit_code == 1
    assert "Error: the database has no clustr-etl tables" in result.output


def test_current_schema_row_counts_and_runs(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO products (product_id, name, category, unit_price) "
                "VALUES (1, 'x', 'c', 1.00), (2, 'y', 'c', 2.50)"
            )
        )
    with recorded_run(url, "load", {"tables": "all"}) as run:
        run.record_step("load", 0.5, {"products": 2})
    code, report = status_json(url)
    assert code == 0
    assert report["problem"] is None
    assert report["schema"] == {
        "state": "current",
        "present": True,
        "current": True,
        "missing_tables": [],
        "missing_columns": {},
        "revision": head_revision(),
        "head": head_revision(),
    }
    counts = report["row_counts"]
    assert isinstance(counts, dict)
    assert counts["products"] == 2
    assert counts["sales"] == 0
    assert counts["etl_runs"] == 1
    assert set(counts) == set(Base.metadata.tables)
    runs = report["runs"]
    assert isinstance(runs, list)
    [run_json] = runs
    assert set(run_json) == RUN_KEYS
    assert run_json["status"] == "succeeded"
    assert run_json["steps"][0]["rows"] == {"products": 2}
    assert run_json["seconds"] >= 0
    result = runner.invoke(app, ["status", "--database-url", url])
    assert result.exit_code == 0
    assert "schema    current (9 of 9 tables)" in result.output
    assert "products 2" in result.output
    assert "succeeded" in result.output


def test_outdated_schema_names_what_is_missing(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bundle_rule_items"))
        conn.execute(text("ALTER TABLE customers DROP COLUMN segment"))
    report = collect_status(engine.url)
    assert report.schema == "outdated"
    assert report.missing_tables == ["bundle_rule_items"]
    assert report.missing_columns == {"customers": ["segment"]}
    assert report.exit_code == 1
    result = runner.invoke(
        app, ["status", "--database-url", engine.url.render_as_string(hide_password=False)]
    )
    assert "missing table bundle_rule_items" in result.output
    assert "customers lacks segment" in result.output
    assert "init-db --drop" in result.output


def test_a_running_row_without_a_lock_holder_is_shown_abandoned(engine: Engine) -> None:
    add_running_row(engine)
    [run] = collect_status(engine.url).runs
    assert (run.status, run.stored_status, run.seconds) == ("abandoned", "running", None)
    add_running_row(engine)
    with writer_lock(engine.url, 5):  # a live writer: its row is the newest running one
        report = collect_status(engine.url)
    assert report.writer_active
    assert [(run.run_id, run.status) for run in report.runs] == [(2, "running"), (1, "abandoned")]
    assert report.runs[0].seconds is not None


def test_runs_option_limits_the_list(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    for _ in range(3):
        with recorded_run(url, "init-db", {}):
            pass
    assert [run.run_id for run in collect_status(url, last_runs=2).runs] == [3, 2]


@pytest.mark.parametrize("as_json", [False, True])
def test_unreachable_server_is_one_line_and_exit_1(as_json: bool) -> None:
    url = "postgresql+psycopg://alice:s3cr3t@127.0.0.1:1/clustr"
    args = ["status", "--database-url", url] + (["--json"] if as_json else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "s3cr3t" not in result.output
    assert "Traceback" not in result.output
    assert (
        "Error: cannot connect to database postgresql+psycopg://alice:***@127.0.0.1:1/clustr"
        in (result.output)
    )
    if as_json:
        report = json.loads(result.stdout)
        assert report["reachable"] is False
        assert report["database"] == "postgresql+psycopg://alice:***@127.0.0.1:1/clustr"


def test_sqlite_locked_by_a_big_write_is_reported_not_waited_for(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file still in rollback-journal mode (made by a release before WAL, not migrated yet)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("only SQLite locks the whole file while a writer commits")
    import sqlite3

    import clustr_etl.store.backends.sqlite as sqlite_backend

    monkeypatch.setattr(sqlite_backend, "READ_TIMEOUT_SECONDS", 0.1)
    assert engine.url.database is not None
    engine.dispose()  # no other connection: leaving WAL mode needs the file to itself
    writer = sqlite3.connect(engine.url.database, isolation_level=None)
    assert writer.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        with writer_lock(engine.url, 1):
            report = collect_status(engine.url)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert report.reachable
    assert report.writer_active
    assert report.schema == "unknown"
    assert report.problem is not None
    assert "locked by a running load" in report.problem
    assert report.exit_code == 1


def test_sqlite_in_wal_mode_is_read_during_a_big_write(engine: Engine) -> None:
    """init-db leaves the file in WAL mode: status reads the last committed snapshot meanwhile."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the journal mode is SQLite's")
    import sqlite3

    assert engine.url.database is not None
    writer = sqlite3.connect(engine.url.database, isolation_level=None)
    assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute(
            "INSERT INTO customers VALUES (1, 'a', 'b', 'a@b', 'c', '2024-01-01', 's', NULL)"
        )
        with writer_lock(engine.url, 1):
            report = collect_status(engine.url)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert report.writer_active
    assert report.schema == "current"
    assert report.row_counts["customers"] == 0
