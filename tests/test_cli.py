"""CLI behaviour through Typer's CliRunner (and one real subprocess): exit codes, messages, database rows."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl import __version__
from clustr_etl.cli.app import app
from clustr_etl.store.models import DATA_TABLES, Base, EtlRun
from ops_support import SMALL_ARGS

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl")
    return result.exit_code, result.output


def csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {
            name: conn.execute(
                select(func.count()).select_from(Base.metadata.tables[name])
            ).scalar_one()
            for name in (*DATA_TABLES, "bundle_rules", "bundle_rule_items")
        }
    engine.dispose()
    return counts


def orphan_count(url: str) -> int:
    checks = [
        "SELECT count(*) FROM sales s LEFT JOIN products p ON p.product_id = s.product_id "
        "WHERE p.product_id IS NULL",
        "SELECT count(*) FROM sales s LEFT JOIN transactions t ON t.transaction_id = s.transaction_id "
        "WHERE t.transaction_id IS NULL",
        "SELECT count(*) FROM transactions t LEFT JOIN customers c ON c.customer_id = t.customer_id "
        "WHERE c.customer_id IS NULL",
        "SELECT count(*) FROM transactions t LEFT JOIN timeframe d ON d.date = t.date "
        "WHERE d.date IS NULL",
    ]
    engine = create_engine(url)
    with engine.connect() as conn:
        total = sum(conn.execute(text(sql)).scalar_one() for sql in checks)
    engine.dispose()
    return total


def file_stamps(folder: Path) -> dict[str, tuple[int, int, str]]:
    """(inode, mtime in ns, sha256) of every file in ``folder``: a rewrite changes at least one."""
    return {
        path.name: (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def step_rows(output: str) -> list[str]:
    """The step names in the report table run-all prints (first cell of each body row)."""
    steps = ("init-db", "generate", "load", "mine-rules", "migrate")
    cells = [line.strip("│┃ ").split("│")[0].strip() for line in output.splitlines()]
    return [cell for cell in cells if cell in steps]


def ledger_steps(url: str) -> list[tuple[str, list[str]]]:
    """(command, step names) of every recorded run, oldest first."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(EtlRun.command, EtlRun.steps).order_by(EtlRun.run_id)).all()
    engine.dispose()
    return [(command, [step["name"] for step in json.loads(steps)]) for command, steps in rows]


def test_version() -> None:
    code, output = invoke("--version")
    assert code == 0
    assert output.strip() == f"clustr-etl {__version__}"


@pytest.mark.parametrize("command", ["generate", "init-db", "load", "mine-rules", "run-all"])
def test_every_command_has_help(command: str) -> None:
    code, output = invoke(command, "--help")
    assert code == 0
    assert "Usage" in output
    assert len(output.splitlines()) > 5


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("mine-rules", "[env CLUSTR_P_ADJUST; default holm]"),
        ("mine-rules", "[env CLUSTR_TOP_K_BY; default lift]"),
        ("mine-rules", "[1 <= x; env CLUSTR_MIN_COUNT; default 10]"),
        ("import", "(default: found in the file)"),
    ],
)
def test_help_keeps_the_bracketed_facts_of_text_options(command: str, shown: str) -> None:
    """Rich would read "[env ...]" as a markup tag and drop it from the help."""
    code, output = invoke(command, "--help")
    assert code == 0
    assert shown in " ".join(output.replace("\u2502", " ").split())


def test_run_all_fills_every_table_and_is_repeatable(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, output = invoke("run-all", *SMALL_ARGS, "--data-dir", str(data), "--database-url", db_url)
    assert code == 0, output
    raw = data / "raw"
    first = table_counts(db_url)
    for table in DATA_TABLES:
        assert first[table] == csv_rows(raw / f"{table}.csv") > 0
    assert first["bundle_rules"] == csv_rows(data / "baseline_rules.csv") > 0
    assert first["bundle_rule_items"] >= 2 * first["bundle_rules"]
    assert orphan_count(db_url) == 0
    assert step_rows(output) == ["init-db", "generate", "load", "mine-rules"]
    files = file_stamps(raw)
    code, output = invoke("run-all", *SMALL_ARGS, "--data-dir", str(data), "--database-url", db_url)
    assert code == 0, output
    assert table_counts(db_url) == first
    # the second run reused the CSVs: no generate step, every file untouched (same inode, mtime, bytes)
    assert step_rows(output) == ["init-db", "load", "mine-rules"]
    assert file_stamps(raw) == files
    assert [steps for command, steps in ledger_steps(db_url) if command == "run-all"] == [
        ["init-db", "generate", "load", "mine-rules"],
        ["init-db", "load", "mine-rules"],
    ]


def test_partial_refresh_and_unknown_table(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert invoke("run-all", *SMALL_ARGS, "--data-dir", str(data), "--database-url", db_url)[0] == 0
    before = table_counts(db_url)
    code, output = invoke("load", "products", "--data-dir", str(data), "--database-url", db_url)
    assert code == 0, output
    assert table_counts(db_url) == before
    code, output = invoke("load", "nosuchtable", "--data-dir", str(data), "--database-url", db_url)
    assert code != 0
    one_error_line(output, "nosuchtable")
    assert table_counts(db_url) == before


def test_missing_csv_is_one_clear_line(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert invoke("init-db", "--data-dir", str(data), "--database-url", db_url)[0] == 0
    code, output = invoke("load", "--data-dir", str(data), "--database-url", db_url)
    assert code == 1
    one_error_line(output, "generate")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["generate", "--customers", "abc"], "Invalid value for '--customers'"),
        (["generate", "--max-items", "0"], "--max-items"),
        (["mine-rules", "--min-support", "2"], "--min-support"),
        (["mine-rules", "--format", "xml"], "'xml' is not one of"),
        (["run-all", "--start-date", "yesterday"], "--start-date"),
    ],
)
def test_bad_options_exit_non_zero_with_one_line(args: list[str], needle: str) -> None:
    code, output = invoke(*args)
    assert code == 2
    one_error_line(output, needle)


def test_unreachable_database_never_prints_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://alice:s3cr3t-pw@127.0.0.1:1/clustr"
    code, output = invoke("init-db", "--database-url", url)
    assert code == 1
    assert "cannot connect" in output
    assert "s3cr3t-pw" not in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_verbose_shows_the_traceback() -> None:
    code, output = invoke(
        "--verbose", "init-db", "--database-url", "postgresql://u:pw@127.0.0.1:1/x"
    )
    assert code == 1
    assert "Traceback" in output


def test_malformed_database_url_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTR_DATABASE_URL", "postgres//nope")
    code, output = invoke("init-db")
    assert code == 2
    assert "CLUSTR_DATABASE_URL is not a valid database URL" in output


def test_run_all_as_a_real_process_on_the_default_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTR_")}
    result = subprocess.run(
        [sys.executable, "-m", "clustr_etl", "--quiet", "run-all", *SMALL_ARGS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    db = tmp_path / "data" / "clustr.db"
    assert db.exists()
    counts = table_counts(f"sqlite:///{db}")
    assert all(counts[name] > 0 for name in counts)
    assert counts["sales"] == csv_rows(tmp_path / "data" / "raw" / "sales.csv")


@pytest.mark.parametrize("command", [["load"], ["load", "sales"], ["mine-rules"]])
def test_commands_never_create_a_missing_sqlite_database(
    tmp_path: Path, command: list[str]
) -> None:
    data = tmp_path / "nowhere"
    code, output = invoke(*command, "--data-dir", str(data))
    assert code == 1
    assert f"no database file {data / 'clustr.db'}" in output
    assert "init-db" in output
    assert not (data / "clustr.db").exists()
