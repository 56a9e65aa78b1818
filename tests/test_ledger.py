"""The run ledger (etl_runs): one row per run, its own transactions, honest statuses (both backends)."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import Engine, inspect, select, text

from clustr_etl.errors import DataValidationError
from clustr_etl.interrupts import Terminated
from clustr_etl.store.ledger import (
    ABANDONED_ERROR,
    error_line,
    masked_parameters,
    recorded_run,
)
from clustr_etl.store.models import EtlRun
from clustr_etl.store.schema import make_engine
from ops_support import add_running_row


def runs(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(EtlRun).order_by(EtlRun.run_id)).mappings().all()
    return [dict(row) for row in rows]


def test_a_successful_run_is_recorded_with_steps_and_masked_parameters(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with recorded_run(url, "load", {"tables": ["products"], "seed": 7}) as run:
        run.record_step("load", 1.23456, {"products": 120}, "detail")
        [row] = runs(engine)
        assert row["status"] == "running"
        assert json.loads(str(row["steps"]))[0]["rows"] == {"products": 120}
    [row] = runs(engine)
    assert row["run_id"] == run.run_id
    assert row["command"] == "load"
    assert row["status"] == "succeeded"
    assert row["error"] is None
    assert row["finished_at"] is not None
    assert row["started_at"] is not None
    assert json.loads(str(row["steps"])) == [
        {"name": "load", "seconds": 1.235, "rows": {"products": 120}, "detail": "detail"}
    ]
    parameters = json.loads(str(row["parameters"]))
    assert parameters["tables"] == ["products"]
    assert parameters["seed"] == 7
    assert parameters["database_url"] == engine.url.render_as_string(hide_password=True)


def test_a_failed_run_keeps_its_error_line_although_the_work_rolled_back(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def half_done_load() -> None:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO products (product_id, name, category, unit_price) VALUES (1, 'x', 'c', 1.00)"
                )
            )
            raise DataValidationError("sales.csv line 3: bad quantity", "fix the file")

    with pytest.raises(DataValidationError), recorded_run(url, "load", {}):
        half_done_load()
    [row] = runs(engine)
    assert row["status"] == "failed"
    assert row["error"] == "sales.csv line 3: bad quantity (fix the file)"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM products")).scalar_one() == 0


@pytest.mark.parametrize(
    ("interrupt", "error"),
    [(KeyboardInterrupt(), "interrupted (SIGINT)"), (Terminated(15), "terminated by SIGTERM")],
)
def test_interrupts_are_recorded_as_interrupted(
    engine: Engine, interrupt: KeyboardInterrupt, error: str
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(KeyboardInterrupt), recorded_run(url, "run-all", {}):
        raise interrupt
    [row] = runs(engine)
    assert (row["status"], row["error"]) == ("interrupted", error)


def test_unexpected_errors_name_their_type(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(ZeroDivisionError), recorded_run(url, "mine-rules", {}):
        _ = 1 / 0
    [row] = runs(engine)
    assert row["status"] == "failed"
    assert row["error"] == "ZeroDivisionError: division by zero"


def test_the_ledger_table_is_created_on_an_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert "etl_runs" not in inspect(engine).get_table_names()
        with recorded_run(db_url, "init-db", {}):
            pass
        assert [row["status"] for row in runs(engine)] == ["succeeded"]
    finally:
        engine.dispose()


def test_the_next_run_closes_runs_whose_process_died(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    add_running_row(engine)  # as left by a process killed mid-run
    with recorded_run(url, "load", {}):
        pass
    first, second = runs(engine)
    assert (first["status"], first["error"]) == ("interrupted", ABANDONED_ERROR)
    assert second["status"] == "succeeded"


@pytest.mark.parametrize("fails", [False, True], ids=["block succeeds", "block fails"])
def test_ledger_write_failures_after_the_start_never_hide_the_real_outcome(
    db_url: str, caplog: pytest.LogCaptureFixture, fails: bool
) -> None:
    """With etl_runs gone mid-run, the block's own result or exception comes out unchanged and
    every lost ledger write (the step and the final status) is logged as a warning, never raised."""
    engine = make_engine(db_url)
    own_error = DataValidationError("sales.csv line 3: bad quantity", "fix the file")
    run_ids: list[int] = []

    def run_block() -> str:
        with recorded_run(db_url, "init-db", {}) as run:
            run_ids.append(run.run_id)
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE etl_runs"))
            run.record_step("init-db", 0.1, {})
            if fails:
                raise own_error
            return "the block's result"

    caplog.set_level(logging.WARNING, logger="clustr_etl.store.ledger")
    try:
        if fails:
            with pytest.raises(DataValidationError) as caught:
                run_block()
            assert caught.value is own_error
        else:
            assert run_block() == "the block's result"
        assert "etl_runs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings  # the step, then the final status
    assert all(f"could not update run {run_ids[0]} in etl_runs" in w for w in warnings)
    assert all("etl_runs" in w.split(": ", 1)[1] for w in warnings), warnings


def test_parameters_and_error_lines_never_contain_the_password() -> None:
    from sqlalchemy.engine import make_url

    url = make_url("postgresql+psycopg://alice:pa%40ss-w0rd@db:5432/x")
    text_ = masked_parameters({"note": "pa@ss-w0rd leaked", "database_url": "raw"}, url)
    assert "pa@ss-w0rd" not in text_
    assert json.loads(text_)["database_url"] == "postgresql+psycopg://alice:***@db:5432/x"
    assert "pa@ss-w0rd" not in error_line(RuntimeError("auth failed for pa@ss-w0rd"), url)


def test_init_db_drop_keeps_the_run_history_and_records_itself(db_url: str) -> None:
    from typer.testing import CliRunner

    from clustr_etl.cli.app import app

    runner = CliRunner()
    assert runner.invoke(app, ["init-db", "--database-url", db_url]).exit_code == 0
    result = runner.invoke(app, ["init-db", "--drop", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    try:
        rows = runs(engine)
    finally:
        engine.dispose()
    assert [(row["command"], row["status"]) for row in rows] == [
        ("init-db", "succeeded"),
        ("init-db", "succeeded"),
    ]
    assert json.loads(str(rows[1]["parameters"]))["drop"] is True
    assert json.loads(str(rows[1]["steps"]))[0]["name"] == "init-db"
