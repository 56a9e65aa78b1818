"""`migrate` with real DDL to run (a 0.1.0 database) while another session holds a reader transaction open
on a real second connection. On PostgreSQL the migration takes its locks the way the load switch does:
short attempts, retried, saying who blocks it; readers never queue behind it. In SQLite's WAL mode a held
reader never delays a migration."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from assertions import one_error_line
from ops_support import clean_env, cli
from test_migrations import SMALL, create_release_schema, fill_release_data, invoke, released_rows
from test_online_readers import polling_reader
from test_online_switch import READER_APP, held_reader, stderr_lines


@pytest.fixture
def release_db(db_url: str, tmp_path: Path) -> str:
    """A database made by clustr-etl 0.1.0 (so `migrate` has DDL to run), with data in every table."""
    data = tmp_path / "gen"
    assert invoke("generate", *SMALL, "--data-dir", str(data))[0] == 0
    create_release_schema(db_url)
    fill_release_data(db_url, data / "raw")
    if db_url.startswith("sqlite"):  # as `init-db` / `migrate` of this release leave it
        engine = create_engine(db_url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        engine.dispose()
    return db_url


def stored_revision(url: str) -> str | None:
    """The schema revision recorded in the database (None: unversioned, as 0.1.0 made it)."""
    engine = create_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            return conn.execute(text("SELECT max(version_num) FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


def start_migrate(db_url: str, cwd: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "clustr_etl", "migrate", "--database-url", db_url, *extra],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_held_reader_delays_migrate_which_says_who_and_proceeds(
    release_db: str, tmp_path: Path
) -> None:
    before = released_rows(release_db)
    postgres = not release_db.startswith("sqlite")
    with held_reader(release_db) as pid:
        migrate = start_migrate(release_db, tmp_path, "--lock-timeout", "120")
        lines, waiting = stderr_lines(migrate)
        if postgres:
            assert waiting.wait(timeout=120), "".join(lines)
            with polling_reader(release_db) as reads:  # new readers do not queue behind it
                time.sleep(3)
            assert migrate.poll() is None
            assert not reads.errors, reads.errors[:3]
            assert len(reads.seconds) >= 5
            assert max(reads.seconds) < 2.0, sorted(reads.seconds)[-3:]
        else:  # readers never hold up a write in SQLite's WAL mode
            assert migrate.wait(timeout=120) == 0, "".join(lines)
    assert migrate.wait(timeout=120) == 0, "".join(lines)
    assert released_rows(release_db) == before
    assert stored_revision(release_db) is not None
    if postgres:
        notice = next(line for line in lines if "waiting" in line)
        assert "to lock the tables to migrate the schema" in notice
        assert f"pid {pid} (application_name '{READER_APP}', idle in transaction" in notice
        assert "--lock-timeout 120" in notice


def test_reader_held_past_lock_timeout_stops_migrate_with_one_line(
    release_db: str, tmp_path: Path
) -> None:
    if release_db.startswith("sqlite"):
        pytest.skip("SQLite readers (WAL) never hold up a migration")
    before = released_rows(release_db)
    with held_reader(release_db) as pid:
        done = cli("migrate", "--database-url", release_db, "--lock-timeout", "3", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    line = one_error_line(
        "\n".join(x for x in done.stderr.splitlines() if "waiting" not in x),
        f"pid {pid}",
        READER_APP,
        "migrate the schema within 3 s",
        "nothing was changed",
    )
    assert "password" not in line
    assert released_rows(release_db) == before
    assert stored_revision(release_db) is None  # still the unversioned 0.1.0 schema


def test_ctrl_c_while_migrate_waits_changes_nothing(release_db: str, tmp_path: Path) -> None:
    if release_db.startswith("sqlite"):
        pytest.skip("SQLite readers (WAL) never hold up a migration")
    before = released_rows(release_db)
    with held_reader(release_db):
        migrate = start_migrate(release_db, tmp_path, "--lock-timeout", "120")
        lines, waiting = stderr_lines(migrate)
        try:
            assert waiting.wait(timeout=120), "".join(lines)
            migrate.send_signal(signal.SIGINT)
            assert migrate.wait(timeout=60) == 130, "".join(lines)
        finally:
            migrate.kill()
    assert released_rows(release_db) == before
    assert stored_revision(release_db) is None
