"""What a new user runs into: an empty export, a --data-dir that is a file, a misnamed option, and the
generator's manifest deciding whether `run-all` keeps or regenerates the CSVs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl.cli.app import app
from clustr_etl.config.settings import load_settings
from clustr_etl.dataset.layout import MANIFEST_FILE
from clustr_etl.simulate.options import GENERATOR_VERSION
from clustr_etl.store.models import EtlRun
from ops_support import RULE_ARGS, SMALL_ARGS, checksum

runner = CliRunner()


def run_all(data_dir: Path, url: str, *extra: str) -> str:
    args = ["run-all", *SMALL_ARGS, *RULE_ARGS, "--data-dir", str(data_dir), "--database-url", url]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def run_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(EtlRun)).scalar_one())
    finally:
        engine.dispose()


def test_empty_csv_replaces_a_table_only_with_allow_empty(db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_all(data_dir, db_url)
    before = checksum(db_url)
    sales = data_dir / "raw" / "sales.csv"
    sales.write_bytes(sales.read_bytes().split(b"\n", 1)[0] + b"\n")
    load = ["load", "sales", "--data-dir", str(data_dir), "--database-url", db_url]

    refused = runner.invoke(app, load)
    assert refused.exit_code == 1
    line = one_error_line(refused.output)
    assert "sales.csv has a header but no rows" in line
    assert "--allow-empty" in line
    assert checksum(db_url) == before

    allowed = runner.invoke(app, [*load, "--allow-empty"])
    assert allowed.exit_code == 0, allowed.output
    after = checksum(db_url)
    assert after["sales"][0] == 0
    assert before["sales"][0] > 0
    assert {k: v for k, v in after.items() if k != "sales"} == {
        k: v for k, v in before.items() if k != "sales"
    }


@pytest.mark.parametrize("command", ["generate", "load", "run-all", "status"])
def test_data_dir_that_is_a_file_says_so(tmp_path: Path, command: str) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    result = runner.invoke(app, [command, "--data-dir", str(a_file)])
    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert f"--data-dir / CLUSTR_DATA_DIR: {a_file} is a file, not a folder" in line
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_misnamed_option_is_never_dropped() -> None:
    with pytest.raises(TypeError, match="not a setting: min_suport"):
        load_settings(min_suport=0.5)
    assert load_settings(min_support=0.5).mining.min_support == 0.5


def test_flat_environment_names_reach_their_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTR_MIN_SUPPORT", "0.25")
    monkeypatch.setenv("CLUSTR_SEED", "9")
    monkeypatch.setenv("CLUSTR_LOCK_TIMEOUT", "5")
    settings = load_settings()
    assert settings.mining.min_support == 0.25
    assert settings.generation.seed == 9
    assert settings.database.lock_timeout == 5.0
    assert load_settings(seed=3).generation.seed == 3  # the option wins


def identity(path: Path) -> tuple[int, int, bytes]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, path.read_bytes()


def test_run_all_keeps_or_regenerates_by_the_manifest(db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    raw = data_dir / "raw"
    run_all(data_dir, db_url, "--seed", "5")
    manifest = json.loads((raw / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["generator_version"] == str(GENERATOR_VERSION)
    assert manifest["seed"] == "5"
    first = identity(raw / "sales.csv")

    run_all(data_dir, db_url, "--seed", "5")  # same options: kept
    assert identity(raw / "sales.csv") == first

    run_all(data_dir, db_url, "--seed", "6")  # other options: regenerated
    second = identity(raw / "sales.csv")
    assert second[0] != first[0]
    assert second[2] != first[2]

    older = {
        **json.loads((raw / MANIFEST_FILE).read_text(encoding="utf-8")),
        "generator_version": "0",
    }
    (raw / MANIFEST_FILE).write_text(json.dumps(older), encoding="utf-8")
    run_all(data_dir, db_url, "--seed", "6")  # written by an older generator: regenerated
    third = identity(raw / "sales.csv")
    assert third[0] != second[0]
    assert third[2] == second[2]
    recorded = json.loads((raw / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert recorded["generator_version"] == str(GENERATOR_VERSION)

    (raw / MANIFEST_FILE).unlink()
    run_all(data_dir, db_url, "--seed", "7")  # no manifest (CSVs from elsewhere): kept
    assert identity(raw / "sales.csv") == third


def test_mine_rules_no_load_writes_the_csv_only(db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_all(data_dir, db_url)
    before, runs = checksum(db_url), run_count(db_url)
    output = tmp_path / "rules.csv"
    args = ["--data-dir", str(data_dir), "--database-url", db_url, "--output", str(output)]
    result = runner.invoke(app, ["mine-rules", "--no-load", "--min-support", "0.01", *args])
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("scope,antecedents,consequents")
    assert len(lines) > 1
    assert checksum(db_url) == before
    assert run_count(db_url) == runs
    shutil.rmtree(data_dir / "raw")  # the database is the input: the CSVs are not needed
    again = runner.invoke(app, ["mine-rules", "--no-load", "--min-support", "0.01", *args])
    assert again.exit_code == 0, again.output
    assert output.read_text(encoding="utf-8").splitlines() == lines
