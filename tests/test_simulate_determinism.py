"""Same options and seed give byte-identical files whatever chunk_size and workers; errors are
one clear line; a failed run leaves no half dataset."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from clustr_etl.dataset.layout import PLANTED_FILE, TABLE_FILES
from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.simulate import chunks as chunks_module
from fake_progress import RecordingProgress

SMALL = GenerateOptions(customers=500, products=200, days=400, transactions=30_000, seed=11)
ALL_FILES = [*TABLE_FILES.values(), PLANTED_FILE]


def _digests(raw_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((raw_dir / name).read_bytes()).hexdigest() for name in ALL_FILES}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    raw_dir = tmp_path_factory.mktemp("reference")
    generate_dataset(SMALL, raw_dir)
    return _digests(raw_dir)


@pytest.mark.parametrize("chunk_size", [1_000, 7_777, 1_000_000])
def test_bytes_do_not_depend_on_chunk_size(
    reference: dict[str, str], tmp_path: Path, chunk_size: int
) -> None:
    generate_dataset(replace(SMALL, chunk_size=chunk_size), tmp_path)
    assert _digests(tmp_path) == reference


@pytest.mark.parametrize("workers", [2, 3])
def test_bytes_do_not_depend_on_workers(
    reference: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(chunks_module, "MIN_LINES_FOR_WORKERS", 1)  # use workers on small data

    def not_in_parent(*args: object) -> chunks_module.ChunkBytes:
        raise AssertionError("chunks must be drawn in the worker processes")

    monkeypatch.setattr(chunks_module, "format_chunk", not_in_parent)
    generate_dataset(replace(SMALL, chunk_size=1_000, workers=workers), tmp_path)
    assert _digests(tmp_path) == reference
    assert not list(tmp_path.glob(".*"))  # no part or temporary files left


def test_another_seed_gives_other_data(reference: dict[str, str], tmp_path: Path) -> None:
    generate_dataset(replace(SMALL, seed=12), tmp_path)
    digests = _digests(tmp_path)
    assert digests[TABLE_FILES["timeframe"]] == reference[TABLE_FILES["timeframe"]]  # same calendar
    for table in ("products", "customers", "transactions", "sales"):
        assert digests[TABLE_FILES[table]] != reference[TABLE_FILES[table]], table


def test_existing_files_need_force(tmp_path: Path) -> None:
    options = replace(SMALL, transactions=2_000)
    generate_dataset(options, tmp_path)
    before = _digests(tmp_path)
    with pytest.raises(InputFileError, match="exists; pass --force to overwrite"):
        generate_dataset(replace(options, seed=99), tmp_path)
    assert _digests(tmp_path) == before
    generate_dataset(replace(options, seed=99), tmp_path, force=True)
    assert _digests(tmp_path) != before


def test_missing_folder_is_created_and_unwritable_folder_is_one_line_error(tmp_path: Path) -> None:
    options = replace(SMALL, transactions=1_000)
    generate_dataset(options, tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b" / "sales.csv").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(InputFileError) as caught:
        generate_dataset(options, blocker / "raw")
    assert "cannot create output folder" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_crash_midway_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = chunks_module.format_chunk

    def failing(*args: object) -> chunks_module.ChunkBytes:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("simulated crash")
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(chunks_module, "format_chunk", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        generate_dataset(replace(SMALL, chunk_size=4_096), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("change", "option"),
    [
        ({"max_items": 0}, "--max-items"),
        ({"mean_items": 40.0}, "--mean-items"),
        ({"mean_items": 0.5}, "--mean-items"),
        ({"transactions": 0}, "--transactions"),
        ({"customers": -1}, "--customers"),
        ({"products": 1}, "--products"),
        ({"days": 0}, "--days"),
        ({"workers": 0}, "--workers"),
        ({"chunk_size": 0}, "--chunk-size"),
    ],
)
def test_invalid_options_name_the_option(
    tmp_path: Path, change: dict[str, object], option: str
) -> None:
    with pytest.raises(ConfigError, match=option):
        generate_dataset(replace(SMALL, **change), tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_tiny_catalog_and_single_customer_still_work(tmp_path: Path) -> None:
    options = GenerateOptions(customers=1, products=3, days=3, transactions=500, mean_items=2.5)
    rows = generate_dataset(options, tmp_path)
    assert rows[TABLE_FILES["sales"]] >= 500
    assert rows[PLANTED_FILE] == 0


def test_progress_reports_rows_per_file(tmp_path: Path) -> None:
    progress = RecordingProgress()
    rows = generate_dataset(replace(SMALL, chunk_size=5_000), tmp_path, progress=progress)
    for name in TABLE_FILES.values():
        assert progress.totals[name] == rows[name]
        assert progress.advanced[name] == rows[name]
