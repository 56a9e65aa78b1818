"""Instant start and Ctrl-C at any moment, as real processes.

`--help`, `--version` and `<command> --help` import nothing heavy; Ctrl-C 0.2 s, 0.6 s or 1.2 s into
`clustr-etl load` (still importing, validating or writing) ends with exit 130, one line and no traceback, and the
database is unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assertions import one_error_line
from clustr_etl.config.settings import load_settings
from clustr_etl.run import steps as pipeline
from conftest import BACKENDS
from ops_support import Sums, checksum, clean_env, own_database

# pydantic itself is not listed: typer (0.29) imports it to convert option values.
HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "scipy",
    "sqlalchemy",
    "mlxtend",
    "psycopg",
    "pydantic_settings",
)
MEDIUM = {"customers": 3_000, "products": 600, "transactions": 100_000}  # `load` takes seconds

PROBE = """
import sys
from clustr_etl.cli.app import app
try:
    app({args!r})
except SystemExit as done:
    code = done.code
print("EXIT", code, "HEAVY", ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["load", "--help"], ["mine-rules", "--help"]]
)
def test_help_and_version_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    probe = PROBE.format(args=args, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Usage" in result.stdout or "clustr-etl " in result.stdout, result.stderr
    assert result.stdout.splitlines()[-1] == "EXIT 0 HEAVY ", result.stdout[-300:]


# What a `load --append` of a small batch must not import: pandas (pyarrow imports it on its first
# to_numpy; 0.6 s), Alembic (the schema check is one query), psycopg on SQLite.
# pyarrow.compute: its ~300 function wrappers cost ~40 ms; the checks call the kernels by name.
# Rich: with --quiet there is nothing to draw.
NOT_ON_APPEND = {
    "sqlite": ("pandas", "alembic", "psycopg", "pyarrow.compute", "rich"),
    "postgresql": ("pandas", "alembic", "pyarrow.compute", "rich"),
}


# Through the console script's own entry point, which keeps the garbage collector off while the
# libraries import and freezes what they made: the command itself must run with the collector on.
MAIN_PROBE = """
import gc, sys
from clustr_etl.cli import launch
sys.argv = ["clustr-etl", *{args!r}]
try:
    launch.main()
except SystemExit as done:
    code = done.code
print("GC", gc.isenabled(), gc.get_freeze_count() > 0)
print("EXIT", code, "HEAVY", ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_append_imports_only_what_it_needs(backend: str, tmp_path: Path) -> None:
    """Nothing it does not use (rich included, with --quiet), and its work runs with the garbage
    collector on, start-up's objects frozen."""
    data_dir = tmp_path / "data"
    small = {"customers": 200, "products": 80, "transactions": 1_000}
    with own_database(backend, tmp_path) as url:
        settings = load_settings(database_url=url, data_dir=data_dir, **small)
        pipeline.generate_step(settings, force=True)
        with pipeline.open_run(settings, "init-db") as run:
            run.run_step(pipeline.init_db_step)
            run.run_step(pipeline.load_step)
        before = checksum(url)["sales"][0]
        pipeline.next_days_step(settings, 3)
        args = ["--quiet", "load", "--append", "--data-dir", str(data_dir), "--database-url", url]
        heavy = ("pandas", "alembic", "psycopg", "pyarrow.compute", "rich")
        result = subprocess.run(
            [sys.executable, "-c", MAIN_PROBE.format(args=args, heavy=heavy)],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.stdout.splitlines()[-1].startswith("EXIT 0 HEAVY"), result.stderr[-500:]
        assert result.stdout.splitlines()[-2] == "GC True True", result.stdout
        imported = result.stdout.splitlines()[-1].removeprefix("EXIT 0 HEAVY ").split(",")
        assert not set(imported) & set(NOT_ON_APPEND[backend]), imported
        assert checksum(url)["sales"][0] > before


@pytest.fixture(scope="module")
def medium_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("ctrl-c") / "data"
    pipeline.generate_step(load_settings(data_dir=data_dir, **MEDIUM), force=True)
    return data_dir


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, medium_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Sums]]:
    with own_database(request.param, tmp_path_factory.mktemp("ctrl-c-db")) as url:
        settings = load_settings(database_url=url, data_dir=medium_data)
        with pipeline.open_run(settings, "init-db") as run:
            run.run_step(pipeline.init_db_step)
            run.run_step(pipeline.load_step)
        yield url, medium_data, checksum(url)


def interrupt_load(url: str, data_dir: Path, delay: float, cwd: Path) -> tuple[int, str]:
    """Start `python -m clustr_etl load`, send SIGINT after ``delay`` seconds; (exit code, stderr)."""
    args = ["load", "--data-dir", str(data_dir), "--database-url", url]
    process = subprocess.Popen(
        [sys.executable, "-m", "clustr_etl", *args],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def before_any_project_code(code: int, stderr: str) -> bool:
    """The interpreter itself was still starting (only <frozen ...> frames, or the package's first lines
    before they install the handlers): no Python program can answer a signal before its first line runs.
    On a very loaded machine that can take longer than 0.2 s."""
    frames = [line for line in stderr.splitlines() if line.strip().startswith("File ")]
    if "Could not import runpy module" in stderr:  # interrupted while `-m` itself was importing
        return code == 1 and not any("clustr_etl" in f for f in frames)
    starting = (
        "<frozen ",
        f"clustr_etl{os.sep}__init__.py",
    )  # before __init__ installs its handlers
    return (
        code == -signal.SIGINT
        and bool(frames)
        and all(any(s in f for s in starting) for f in frames)
    )


@pytest.mark.parametrize("delay", [0.2, 0.6, 1.2])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(
    loaded: tuple[str, Path, Sums], delay: float, tmp_path: Path
) -> None:
    url, data_dir, before = loaded
    code, stderr = interrupt_load(url, data_dir, delay, tmp_path)
    for _ in range(3):  # retry only when the signal beat the interpreter's own start-up
        if not before_any_project_code(code, stderr):
            break
        code, stderr = interrupt_load(url, data_dir, delay, tmp_path)
    assert code == 130, stderr
    assert one_error_line(stderr) == "Error: interrupted (Ctrl-C)"
    assert checksum(url) == before


def test_an_interrupt_a_library_wraps_in_its_own_error_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic-core turns a KeyboardInterrupt raised while it builds a schema into a SchemaError."""
    import clustr_etl.cli.app
    from clustr_etl import interrupts
    from clustr_etl.cli import launch

    def wrapping_app() -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise RuntimeError("Error building validator: KeyboardInterrupt:") from None

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(clustr_etl.cli.app, "app", wrapping_app)
    monkeypatch.setattr(interrupts, "_received", [])
    monkeypatch.setattr(interrupts, "_leaving", [])
    try:
        with pytest.raises(SystemExit) as exited:
            launch.run()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert exited.value.code == 130
    assert capsys.readouterr().err == "Error: interrupted (Ctrl-C)\n"


def test_an_error_without_an_interrupt_is_not_taken_for_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import clustr_etl.cli.app
    from clustr_etl import interrupts
    from clustr_etl.cli import launch

    def failing_app() -> None:
        raise RuntimeError("a real bug")

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(clustr_etl.cli.app, "app", failing_app)
    monkeypatch.setattr(interrupts, "_received", [])
    monkeypatch.setattr(interrupts, "_leaving", [])
    try:
        with pytest.raises(RuntimeError, match="a real bug"):
            launch.run()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def test_an_interrupt_a_library_swallows_still_ends_as_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some modules catch every exception while they import optional parts: the command then ran on,
    but the signal it received still decides how it ends."""
    import clustr_etl.cli.app
    from clustr_etl import interrupts
    from clustr_etl.cli import launch

    def swallowing_app() -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except BaseException:  # what such a module does
            pass
        sys.exit(0)

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(clustr_etl.cli.app, "app", swallowing_app)
    monkeypatch.setattr(interrupts, "_received", [])
    monkeypatch.setattr(interrupts, "_leaving", [])
    try:
        with pytest.raises(SystemExit) as exited:
            launch.run()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert exited.value.code == 130
    assert capsys.readouterr().err == "Error: interrupted (Ctrl-C)\n"


def run_as_module(source: str, where: Path) -> subprocess.CompletedProcess[str]:
    """``python -m`` a module made of ``source``, as the console script runs (``-c`` ends differently)."""
    (where / "entry_point.py").write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "entry_point"],
        cwd=where,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


SECOND_SIGNAL = """
import os, signal, sys, time
import clustr_etl.cli.app
from clustr_etl.cli import launch

def app():
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    except KeyboardInterrupt:
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while the first one unwinds
        time.sleep(5)
    print("not reached")

clustr_etl.cli.app.app = app
launch.main()
"""


def test_a_second_ctrl_c_while_the_first_unwinds_exits_at_once(tmp_path: Path) -> None:
    result = run_as_module(SECOND_SIGNAL, tmp_path)
    assert result.returncode == 130, result.stderr
    assert result.stderr == "Error: interrupted (Ctrl-C)\n"
    assert "not reached" not in result.stdout


INTERRUPTED_EXEC = """
import clustr_etl.cli.app
from clustr_etl.cli import launch

def app():  # dataclasses and namedtuple build their methods this way while modules import
    exec("import os, signal, time\\nos.kill(os.getpid(), signal.SIGINT)\\ntime.sleep(5)")

clustr_etl.cli.app.app = app
launch.main()
"""


def test_ctrl_c_inside_code_run_by_exec_still_exits_130(tmp_path: Path) -> None:
    """CPython 3.11 remembers a KeyboardInterrupt raised in exec'd source even once it is handled, and
    would kill itself with SIGINT at exit (-2) unless the process ends before interpreter shutdown."""
    result = run_as_module(INTERRUPTED_EXEC, tmp_path)
    assert result.returncode == 130, result.stderr
    assert result.stderr == "Error: interrupted (Ctrl-C)\n"
