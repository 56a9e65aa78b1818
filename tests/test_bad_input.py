"""A corpus of bad inputs (CSV files, options, environment values): each is refused with ONE clear line, a
non-zero exit and no traceback, and the database is unchanged (checksums of every table before and after).

One good database per backend is loaded once for the module (the ``good_db`` fixture of conftest.py);
every case runs against it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assertions import one_error_line
from clustr_etl.cli.app import app
from ops_support import Sums, checksum

runner = CliRunner()
Mutation = Callable[[Path], None]


def edit_line(name: str, line: int, change: Callable[[bytes], bytes]) -> Mutation:
    """Change one line (0 = header) of a CSV file."""

    def mutate(raw: Path) -> None:
        path = raw / name
        lines = path.read_bytes().split(b"\n")
        lines[line] = change(lines[line])
        path.write_bytes(b"\n".join(lines))

    return mutate


def set_field(name: str, line: int, column: int, value: bytes) -> Mutation:
    def change(row: bytes) -> bytes:
        fields = row.split(b",")
        fields[column] = value
        return b",".join(fields)

    return edit_line(name, line, change)


def rewrite(name: str, change: Callable[[bytes], bytes]) -> Mutation:
    def mutate(raw: Path) -> None:
        path = raw / name
        path.write_bytes(change(path.read_bytes()))

    return mutate


def remove(name: str) -> Mutation:
    def mutate(raw: Path) -> None:
        (raw / name).unlink()

    return mutate


def header_only(data: bytes) -> bytes:
    return data.split(b"\n", 1)[0] + b"\n"


def duplicate_line(line: int) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join([*lines[: line + 1], lines[line], *lines[line + 1 :]])

    return change


# case id -> (mutation of a copy of raw/, words the error line must contain)
CSV_CASES: dict[str, tuple[Mutation, list[str]]] = {
    "truncated last line": (rewrite("sales.csv", lambda d: d.rstrip(b"\n")[:-9]), ["sales.csv"]),
    "extra column in a row": (
        edit_line("customers.csv", 5, lambda r: r + b",extra"),
        ["customers.csv"],
    ),
    "extra column in the header": (
        edit_line("products.csv", 0, lambda r: r + b",bonus"),
        ["products.csv"],
    ),
    "missing column": (
        rewrite("timeframe.csv", lambda d: d.replace(b",is_holiday\n", b"\n", 1)),
        ["timeframe.csv"],
    ),
    "wrong delimiter": (rewrite("products.csv", lambda d: d.replace(b",", b";")), ["products.csv"]),
    "invalid UTF-8": (set_field("customers.csv", 3, 1, b"Ren\xe9e\xff"), ["customers.csv"]),
    "header only": (rewrite("products.csv", header_only), ["product"]),
    "empty file": (rewrite("transactions.csv", lambda d: b""), ["transactions.csv"]),
    "huge field": (set_field("customers.csv", 2, 1, b"x" * 3_000_000), ["customers.csv"]),
    "impossible date": (set_field("transactions.csv", 4, 2, b"2024-02-30"), ["transactions.csv"]),
    "date in another format": (set_field("customers.csv", 4, 5, b"01/02/2021"), ["customers.csv"]),
    "negative quantity": (set_field("sales.csv", 6, 3, b"-3"), ["sales.csv", "quantity"]),
    "non-numeric quantity": (set_field("sales.csv", 7, 3, b"three"), ["sales.csv", "quantity"]),
    "price with too many decimals": (set_field("products.csv", 3, 3, b"1.999"), ["products.csv"]),
    "boolean that is not one": (set_field("timeframe.csv", 2, 7, b"maybe"), ["timeframe.csv"]),
    "duplicate primary key": (rewrite("products.csv", duplicate_line(4)), ["products.csv"]),
    "duplicate unique email": (
        set_field("customers.csv", 9, 3, b"deborah.james@mail.example.com"),
        ["customers.csv"],
    ),
    "orphan product in sales": (set_field("sales.csv", 8, 2, b"999999"), ["sales.csv"]),
    "orphan customer in transactions": (
        set_field("transactions.csv", 8, 1, b"424242"),
        ["transactions.csv"],
    ),
    "unterminated quote": (set_field("customers.csv", 6, 4, b'"Austin'), ["customers.csv"]),
    "NUL byte": (set_field("products.csv", 5, 2, b"Pro\x00duce"), ["products.csv"]),
    "missing file": (remove("sales.csv"), ["sales.csv", "--data-dir"]),
    "header only, table nothing references": (
        rewrite("sales.csv", header_only),
        ["sales.csv", "no rows", "--allow-empty"],
    ),
    "whole number of 100,000 digits": (
        set_field("sales.csv", 7, 3, b"9" * 100_000),
        ["sales.csv", "line 8", "column quantity"],
    ),
    "decimal of 100,000 digits": (
        set_field("products.csv", 3, 3, b"1" * 100_000),
        ["products.csv", "line 4", "column unit_price"],
    ),
}


def assert_refused(result_output: str, exit_code: int, words: list[str]) -> None:
    assert exit_code != 0, result_output
    one_error_line(result_output, *words)


@pytest.mark.parametrize(("mutate", "words"), CSV_CASES.values(), ids=CSV_CASES.keys())
def test_bad_csv_is_refused_and_changes_nothing(
    good_db: tuple[str, Path, Sums], tmp_path: Path, mutate: Mutation, words: list[str]
) -> None:
    url, data_dir, good = good_db
    case_dir = tmp_path / "data"
    shutil.copytree(data_dir / "raw", case_dir / "raw")
    mutate(case_dir / "raw")
    result = runner.invoke(app, ["load", "--data-dir", str(case_dir), "--database-url", url])
    assert_refused(result.output, result.exit_code, words)
    assert checksum(url) == good


OPTION_CASES: dict[str, tuple[list[str], dict[str, str], list[str]]] = {
    # case id -> (arguments, environment, words the error line must contain)
    "unknown table name": (["load", "nosuchtable"], {}, ["nosuchtable"]),
    "min support 0": (["mine-rules", "--min-support", "0"], {}, ["--min-support"]),
    "min confidence above 1": (["mine-rules", "--min-confidence", "1.5"], {}, ["--min-confidence"]),
    "min length above max length": (
        ["mine-rules", "--min-len", "4", "--max-len", "2"],
        {},
        ["--min-len"],
    ),
    "negative transactions": (["run-all", "--transactions", "-5"], {}, ["--transactions"]),
    "negative lock timeout": (["load", "--lock-timeout", "-1"], {}, ["--lock-timeout"]),
    "malformed database URL option": (
        ["load", "--database-url", "postgres//nope"],
        {},
        ["database URL"],
    ),
    "unsupported database backend": (["status", "--database-url", "mysql://u@h/db"], {}, ["mysql"]),
    "non-numeric support in env": (
        ["mine-rules"],
        {"CLUSTR_MIN_SUPPORT": "lots"},
        ["CLUSTR_MIN_SUPPORT"],
    ),
    "non-numeric lock timeout in env": (
        ["load"],
        {"CLUSTR_LOCK_TIMEOUT": "soon"},
        ["CLUSTR_LOCK_TIMEOUT"],
    ),
    "impossible start date in env": (
        ["run-all"],
        {"CLUSTR_START_DATE": "2024-13-01"},
        ["CLUSTR_START_DATE"],
    ),
    "malformed database URL in env": (
        ["init-db", "--drop"],
        {"CLUSTR_DATABASE_URL": "not a url"},
        ["CLUSTR_DATABASE_URL"],
    ),
}


@pytest.mark.parametrize(("args", "env", "words"), OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_bad_option_or_environment_value_changes_nothing(
    good_db: tuple[str, Path, Sums],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    words: list[str],
) -> None:
    url, data_dir, good = good_db
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    target = (
        [] if "--database-url" in args or "CLUSTR_DATABASE_URL" in env else ["--database-url", url]
    )
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir), *target])
    assert_refused(result.output, result.exit_code, words)
    assert checksum(url) == good
