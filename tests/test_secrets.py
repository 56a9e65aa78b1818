"""No output, log line, ledger row or written file ever contains the database password.

A PostgreSQL role with a password (and a database it owns) is created on the test server; every command runs
as a real process with --verbose (debug logs and tracebacks on) against a URL carrying that password, then
stdout, stderr, every etl_runs row and every file written are scanned for it, raw and URL-encoded.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from clustr_etl.store.backends import writer_lock
from ops_support import RULE_ARGS, SMALL_ARGS, clean_env, cli

PASSWORD = f"Pw-{uuid.uuid4().hex[:12]}:@/%"


@pytest.fixture(scope="module")
def secret_url() -> Iterator[str]:
    """postgresql+psycopg://<role>:<PASSWORD>@host/<db> on the test server; dropped afterwards."""
    server = os.environ.get("CLUSTR_TEST_DATABASE_URL")
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CLUSTR_TEST_DATABASE_URL is not set (required under CI=true)")
        pytest.skip(
            "CLUSTR_TEST_DATABASE_URL is not set: the secret scan needs a PostgreSQL server"
        )
    admin_url = make_url(server).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"clustr_secret_{uuid.uuid4().hex[:10]}"
    literal = PASSWORD.replace("'", "''")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{literal}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    url = URL.create(
        "postgresql+psycopg",
        username=name,
        password=PASSWORD,
        host=admin_url.host or "127.0.0.1",
        port=admin_url.port,
        database=name,
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        admin.dispose()


def leaks(text_: str) -> list[str]:
    forms = {PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)}
    return [form for form in forms if form in text_]


def run_all_checked(
    runs: list[list[str]], tmp_path: Path, env: dict[str, str] | None = None
) -> list[int]:
    """Run each command with --verbose; no output may leak; status shows the masked URL."""
    codes = []
    for args in runs:
        result = cli("--verbose", *args, cwd=tmp_path, env=clean_env(**(env or {})))
        codes.append(result.returncode)
        assert not leaks(result.stdout + result.stderr), (args, result.stdout, result.stderr)
        if args[0] == "status":
            assert ":***@" in result.stdout + result.stderr
    return codes


def test_commands_ledger_rows_and_files_never_contain_the_password(
    secret_url: str, tmp_path: Path
) -> None:
    assert "%" in secret_url  # the URL carries the encoded password
    data = str(tmp_path / "data")
    target = ["--database-url", secret_url, "--data-dir", data]
    assert run_all_checked([["init-db", *target]], tmp_path) == [0]
    from_env = [["run-all", *SMALL_ARGS, *RULE_ARGS, "--data-dir", data]]
    assert run_all_checked(from_env, tmp_path, {"CLUSTR_DATABASE_URL": secret_url}) == [0]
    runs = [
        ["mine-rules", *RULE_ARGS, "--top", "3", *target],
        ["status", "--database-url", secret_url],
        ["status", "--json", "--database-url", secret_url],
    ]
    assert run_all_checked(runs, tmp_path) == [0, 0, 0]
    engine = create_engine(secret_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM etl_runs")).all()
        activity = conn.execute(text("SELECT query FROM pg_stat_activity")).scalars().all()
    engine.dispose()
    assert len(rows) == 3
    assert all(":***@" in row.parameters for row in rows)
    assert not leaks(repr(rows))
    assert not leaks(repr(activity))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not leaks(path.read_bytes().decode("utf-8", "replace")), path


def test_errors_and_waiting_lines_never_contain_the_password(
    secret_url: str, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    wrong_port = make_url(secret_url).set(port=1).render_as_string(hide_password=False)
    wrong_db = make_url(secret_url).set(database="no_such_db").render_as_string(hide_password=False)
    runs = [
        ["load", "nosuchtable", "--database-url", secret_url, "--data-dir", data],
        ["load", "--database-url", secret_url, "--data-dir", str(tmp_path / "empty")],
        ["load", "--database-url", wrong_port, "--data-dir", data],
        ["status", "--database-url", wrong_port],
        ["load", "--database-url", wrong_db, "--data-dir", data],
        ["init-db", "--drop", "--lock-timeout", "abc", "--database-url", secret_url],
    ]
    assert all(code != 0 for code in run_all_checked(runs, tmp_path))
    with writer_lock(secret_url, 5):  # another writer holds the lock: the waiting/refusal lines
        waiting = [
            "load",
            "--lock-timeout",
            "0.2",
            "--database-url",
            secret_url,
            "--data-dir",
            data,
        ]
        result = cli("--verbose", *waiting, cwd=tmp_path)
    assert result.returncode == 75
    assert "Waiting:" in result.stderr
    assert "still holds the writer lock on postgresql+psycopg://" in result.stderr
    assert not leaks(result.stdout + result.stderr)


def test_driver_error_lines_are_scrubbed_even_without_the_url(secret_url: str) -> None:
    """A real PostgreSQL error echoing the password (as an identifier) loses it in the one scrubber,
    whether the caller has the URL (ledger, loaders) or not (the CLI's last-resort DBAPIError branch)."""
    from sqlalchemy.exc import DBAPIError

    from clustr_etl.store.backends import driver_error_line, parse_database_url
    from clustr_etl.store.schema import make_engine

    url = parse_database_url(secret_url)  # every parsed URL's password is remembered
    engine = make_engine(url)
    quoted = PASSWORD.replace('"', '""')
    try:
        with pytest.raises(DBAPIError) as info, engine.connect() as conn:
            conn.execute(text(f'SELECT "{quoted}"'))
        raw = str(info.value.orig)
        assert PASSWORD in raw  # the driver does echo it
        for line in (driver_error_line(info.value), driver_error_line(info.value, url)):
            assert not leaks(line), line
            assert "***" in line
            assert "does not exist" in line
    finally:
        engine.dispose()
