"""Faults with real processes: SIGKILL at several points of `load` and of rule loading, SIGTERM/Ctrl-C, the
server dropping the connection, an unreachable server, unusable data folders, two writers at once.

Each time: the previous good data is intact (checksums of every table), the failure is one clear line, and the
next run succeeds. Kill points are exact: tests/fault_driver.py runs the real CLI and pauses just before a
chosen SQL statement (or progress task) until the test kills or signals it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, select, text

from assertions import one_error_line
from clustr_etl.config.settings import load_settings
from clustr_etl.run import steps as pipeline
from clustr_etl.run.mine import mine_step
from clustr_etl.run.status import collect_status
from clustr_etl.store.backends import writer_lock
from clustr_etl.store.models import BundleRule
from ops_support import (
    RULE_ARGS,
    RULES,
    SMALL,
    SMALL_ARGS,
    Sums,
    checksum,
    clean_env,
    cli,
    good_load,
    kill_when_paused,
    link_dataset,
    start_driver,
    wait_paused,
)


def next_run_succeeds(db_url: str, data_dir: Path, command: str) -> None:
    """The next writer (in this process) gets the lock at once and finishes."""
    settings = load_settings(
        database_url=db_url, data_dir=data_dir, lock_timeout=5, **SMALL, **RULES
    )
    with pipeline.open_run(settings, command) as run:
        if command == "load":
            run.run_step(pipeline.load_step)
        else:
            run.run_step(mine_step)


DATA = r"^(INSERT INTO|COPY) sales\b"
INDEXES = r"^(CREATE (UNIQUE )?INDEX|ALTER TABLE \S+ ADD CONSTRAINT)"
ITEMS = r"^(INSERT INTO|COPY) bundle_rule_items\b"
SWITCH = r"^ALTER TABLE \S+ SET SCHEMA"
KILL_POINTS = [
    # command, point name, pause before the first statement matching, only after one matching
    ("load", "after emptying or creating the tables", r"^(DELETE FROM|CREATE TABLE) ", None),
    ("load", "before the sales rows", DATA, None),
    ("load", "just before COMMIT", r"^(COMMIT|ANALYZE)", INDEXES),
    ("load", "during the switch", SWITCH, None),
    ("load", "after the switch, before COMMIT", r"^DROP SCHEMA", SWITCH),
    (
        "mine-rules",
        "after emptying or creating bundle_rules",
        r"^(DELETE FROM|CREATE TABLE) bundle_rule",
        None,
    ),
    ("mine-rules", "before the rule items", ITEMS, None),
    ("mine-rules", "just before COMMIT", r"^(COMMIT|SELECT setval)", ITEMS),
    ("mine-rules", "during the switch", SWITCH, None),
]
SWITCH_POINTS = {"during the switch", "after the switch, before COMMIT"}


@pytest.mark.parametrize(
    ("command", "point", "pause_sql", "arm_sql"), KILL_POINTS, ids=[p[1] for p in KILL_POINTS]
)
def test_sigkill_mid_write_loses_nothing(
    good_db: tuple[str, Path, Sums],
    tmp_path: Path,
    command: str,
    point: str,
    pause_sql: str,
    arm_sql: str | None,
) -> None:
    db_url, data_dir, good = good_db
    if point in SWITCH_POINTS and db_url.startswith("sqlite"):
        pytest.skip("SQLite replaces the tables in place: readers see the last committed snapshot")
    pause = {"pause_sql": pause_sql} | ({"arm_sql": arm_sql} if arm_sql else {})
    args = [command, "--data-dir", str(data_dir), "--database-url", db_url]
    args += RULE_ARGS if command == "mine-rules" else []
    process = start_driver(*args, cwd=tmp_path, **pause)
    kill_when_paused(process)
    assert process.returncode == -signal.SIGKILL
    assert checksum(db_url) == good
    assert collect_status(db_url).leftover_tables == []
    runs = collect_status(db_url).runs
    assert (runs[0].command, runs[0].stored_status, runs[0].status) == (
        command,
        "running",
        "abandoned",
    )
    next_run_succeeds(db_url, data_dir, command)
    assert checksum(db_url) == good
    runs = collect_status(db_url).runs
    assert [run.status for run in runs[:2]] == ["succeeded", "interrupted"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_mid_load_roll_back_and_record_interrupted(
    good_db: tuple[str, Path, Sums], tmp_path: Path, signum: int
) -> None:
    db_url, data_dir, good = good_db
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url]
    process = start_driver(*args, cwd=tmp_path, pause_task="^load sales")
    try:
        wait_paused(process)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 128 + signum
    expected = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted (Ctrl-C)"
    assert expected in one_error_line(stderr)
    assert checksum(db_url) == good
    [last, *_] = collect_status(db_url).runs
    assert (last.status, last.stored_status) == ("interrupted", "interrupted")
    with writer_lock(db_url, 0):  # released, not left behind
        pass
    next_run_succeeds(db_url, data_dir, "load")


def test_server_closing_the_connection_mid_load(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if not db_url.startswith("postgresql"):
        pytest.skip("a server closing the connection exists only on PostgreSQL")
    resume = tmp_path / "resume"
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url]
    process = start_driver(*args, cwd=tmp_path, pause_sql=DATA, resume_file=str(resume))
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        wait_paused(process)
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'clustr-etl' AND datname = current_database()"
                )
            ).scalar_one()
        assert killed >= 1
        resume.touch()
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        admin.dispose()
    assert process.returncode == 1
    line = one_error_line(stderr)
    assert "terminat" in line or "connection" in line
    assert checksum(db_url) == good
    [last, *_] = collect_status(db_url).runs
    assert last.status == "failed"
    assert last.error is not None
    assert last.error in line
    next_run_succeeds(db_url, data_dir, "load")
    assert checksum(db_url) == good


def test_unreachable_database_is_one_line_without_waiting(tmp_path: Path) -> None:
    """A refused connection fails at once (the bound catches a hang, not speed: the start-up of a
    process on a loaded CI machine alone can take seconds; speed is measured in bench/)."""
    for command in (["run-all", *SMALL_ARGS, *RULE_ARGS], ["status"]):
        start = time.monotonic()
        result = cli(
            *command, "--database-url", "postgresql+psycopg://u:pw@127.0.0.1:1/x", cwd=tmp_path
        )
        assert time.monotonic() - start < 30
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert "cannot connect to database postgresql+psycopg://u:***@127.0.0.1:1/x" in line


def test_data_folder_under_a_regular_file(good_db: tuple[str, Path, Sums], tmp_path: Path) -> None:
    """Root ignores chmod, so an unwritable folder is a path whose parent is a regular file."""
    db_url, _, good = good_db
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = cli(
        "run-all",
        *SMALL_ARGS,
        "--data-dir",
        str(blocker / "data"),
        "--database-url",
        db_url,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Not a directory" in one_error_line(result.stderr)
    assert checksum(db_url) == good


def test_rules_file_that_cannot_be_written(good_db: tuple[str, Path, Sums], tmp_path: Path) -> None:
    db_url, data_dir, good = good_db
    result = cli(
        "mine-rules",
        *RULE_ARGS,
        "--output",
        "/proc/clustr/rules.csv",
        "--data-dir",
        str(data_dir),
        "--database-url",
        db_url,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "/proc/clustr" in one_error_line(result.stderr)
    assert checksum(db_url) == good


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN): {done.stderr!r}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_data_folder(
    good_db: tuple[str, Path, Sums], tmp_path: Path, tiny_tmpfs: Path
) -> None:
    """A 256 KiB tmpfs: the generator runs out of space; the database keeps the previous load."""
    db_url, data_dir, good = good_db
    result = cli(
        "run-all",
        *SMALL_ARGS,
        "--regenerate",
        "--data-dir",
        str(tiny_tmpfs / "data"),
        "--database-url",
        db_url,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "No space left on device" in one_error_line(result.stderr)
    assert checksum(db_url) == good
    next_run_succeeds(db_url, data_dir, "load")


def test_two_concurrent_run_alls_never_interleave(
    db_url: str, dataset: Path, tmp_path: Path
) -> None:
    data_dir = link_dataset(dataset, tmp_path / "data")
    args = [
        "run-all",
        *SMALL_ARGS,
        *RULE_ARGS,
        "--data-dir",
        str(data_dir),
        "--database-url",
        db_url,
    ]
    env = clean_env(CLUSTR_LOCK_TIMEOUT="120")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "clustr_etl", *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    runs = sorted(collect_status(db_url).runs, key=lambda run: run.run_id)
    assert [(run.command, run.status) for run in runs] == [("run-all", "succeeded")] * 2
    first, second = runs
    assert first.finished_at is not None
    assert first.finished_at <= second.started_at  # one after the other, never at once
    waited = [stderr for _, stderr in outputs if "Waiting: another clustr-etl command" in stderr]
    assert len(waited) <= 1
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    assert checksum(db_url) == good_load(clean_url, link_dataset(dataset, tmp_path / "clean"))
    engine = create_engine(db_url)
    with engine.connect() as conn:
        owners = set(conn.execute(select(BundleRule.run_id)).scalars())
    engine.dispose()
    assert owners == {second.run_id}  # the rules point at the run that made them


def test_second_writer_refuses_after_lock_timeout(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url]
    first = start_driver(*args, cwd=tmp_path, pause_task="^load sales")
    try:
        wait_paused(first)
        start = dt.datetime.now()
        second = cli(*args, "--lock-timeout", "0.5", cwd=tmp_path)
        assert second.returncode == 75
        assert "Waiting: another clustr-etl command is writing to" in second.stderr
        assert "waiting up to 0.5 s" in second.stderr
        lines = second.stderr.strip().splitlines()
        assert lines[-1].startswith("Error: another clustr-etl command still holds the writer lock")
        assert "Traceback" not in second.stderr
        assert dt.datetime.now() - start < dt.timedelta(seconds=30)
    finally:
        first.kill()
        first.wait(timeout=30)
    assert checksum(db_url) == good
    next_run_succeeds(db_url, data_dir, "load")


@pytest.mark.parametrize(
    ("signum", "to_group", "message"),
    [
        (signal.SIGTERM, False, "terminated (SIGTERM)"),
        (signal.SIGINT, True, "interrupted (Ctrl-C)"),  # a terminal's Ctrl-C hits the whole group
    ],
    ids=["SIGTERM to the main process", "Ctrl-C to the process group"],
)
def test_signals_during_generate_take_the_workers_down(
    tmp_path: Path, signum: int, to_group: bool, message: str
) -> None:
    """Workers come from a forkserver (grandchildren); they all end, and the output is one line."""
    args = ["generate", "--workers", "2", "--transactions", "2000000", "--chunk-size", "20000"]
    process = subprocess.Popen(
        [sys.executable, "-m", "clustr_etl", *args, "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        main = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
            helpers = main.children(recursive=True)
            workers = [child for child in helpers if child.ppid() != process.pid]
            time.sleep(0.05)
        assert len(workers) >= 2, "the generator never started its workers"
        if to_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 128 + signum
    assert message in one_error_line(stderr)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
