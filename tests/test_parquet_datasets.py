"""``generate --format parquet``: the CSV output's rows as Parquet folders, loaded and mined alike;
``generate --engine spark`` draws the same rows in Spark tasks; ``mine-rules --engine spark``
writes and loads its rules like the fast engine."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.dataset.csv_writer import csv_rows, header_line
from clustr_etl.dataset.parquet import parquet_parts
from clustr_etl.store.models import CSV_COLUMNS, DATA_TABLES
from ops_support import checksum

SMALL = ["--customers", "300", "--products", "120", "--days", "90", "--transactions", "12000"]
CHUNKS = ["--chunk-size", "4096", "--seed", "7"]  # three chunks: parts per block range
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["-q", *args], prog_name="clustr-etl")
    return result.exit_code, result.output


def as_csv_bytes(folder: Path, table: str) -> bytes:
    """The Parquet dataset written as the generator writes CSV (header, rows in part order)."""
    columns = CSV_COLUMNS[table]
    parts = [pq.read_table(part).select(list(columns)) for part in parquet_parts(folder)]
    return header_line(columns) + b"".join(csv_rows(part) for part in parts)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same dataset generated as CSV and as Parquet (local)."""
    root = tmp_path_factory.mktemp("datasets")
    folders = {"csv": root / "csv", "parquet": root / "parquet"}
    assert invoke("generate", *SMALL, *CHUNKS, "--data-dir", str(folders["csv"]))[0] == 0
    code, output = invoke(
        "generate", *SMALL, *CHUNKS, "--format", "parquet", "--data-dir", str(folders["parquet"])
    )
    assert code == 0, output
    return folders


def test_parquet_folders_hold_the_csv_rows(datasets: dict[str, Path]) -> None:
    csv_raw, parquet_raw = datasets["csv"] / "raw", datasets["parquet"] / "raw"
    for table in DATA_TABLES:
        assert not (parquet_raw / f"{table}.csv").exists()
        assert as_csv_bytes(parquet_raw / table, table) == (csv_raw / f"{table}.csv").read_bytes()
    names = [part.name for part in parquet_parts(parquet_raw / "sales")]
    assert names == [
        "part-000000000-000000000.parquet",
        "part-000000001-000000001.parquet",
        "part-000000002-000000002.parquet",
    ]
    planted = "planted_bundles.csv"
    assert (parquet_raw / planted).read_bytes() == (csv_raw / planted).read_bytes()


def test_load_reads_parquet_folders(datasets: dict[str, Path], db_url: str) -> None:
    sums = {}
    for kind in ("parquet", "csv"):
        data = ["--database-url", db_url, "--data-dir", str(datasets[kind])]
        assert invoke("init-db", "--drop", *data)[0] == 0
        code, output = invoke("load", *data)
        assert code == 0, output
        sums[kind] = checksum(db_url)
    assert sums["parquet"]["sales"][0] > 12000
    assert sums["parquet"] == sums["csv"]
    assert not list((datasets["parquet"] / "raw").glob(".csv-view.*"))


def test_mine_rules_reads_a_parquet_folder(datasets: dict[str, Path], tmp_path: Path) -> None:
    outputs = {}
    for kind, source in (("parquet", "raw/sales"), ("csv", "raw/sales.csv")):
        outputs[kind] = tmp_path / f"{kind}.csv"
        code, output = invoke(
            "mine-rules", "--no-load", "--min-support", "0.003", "--output", str(outputs[kind]),
            "--input", str(datasets[kind] / source),
        )  # fmt: skip
        assert code == 0, output
    assert outputs["parquet"].read_bytes() == outputs["csv"].read_bytes()
    assert len(outputs["csv"].read_text().splitlines()) > 20

    other = tmp_path / "other"
    other.mkdir()
    pq.write_table(pa.table({"invoice": [1], "item": [2]}), other / "part-0.parquet")
    code, output = invoke("mine-rules", "--no-load", "--input", str(other))
    assert code == 1
    assert "has another schema: no column transaction_id, product_id" in output


def test_spark_generation_gives_the_local_rows(
    spark: object, datasets: dict[str, Path], tmp_path: Path
) -> None:
    data_dir = tmp_path / "spark"
    code, output = invoke(
        "generate", *SMALL, *CHUNKS, "--format", "parquet", "--engine", "spark",
        "--data-dir", str(data_dir),
    )  # fmt: skip
    assert code == 0, output
    for table in DATA_TABLES:
        local = as_csv_bytes(datasets["parquet"] / "raw" / table, table)
        assert as_csv_bytes(data_dir / "raw" / table, table) == local
    names = [part.name for part in parquet_parts(data_dir / "raw" / "transactions")]
    assert names[-1] == "part-000000002-000000002.parquet"


def test_spark_rules_are_written_and_loaded_like_the_fast_ones(
    spark: object, datasets: dict[str, Path], db_url: str, tmp_path: Path
) -> None:
    data = ["--database-url", db_url, "--data-dir", str(datasets["csv"])]
    assert invoke("init-db", "--drop", *data)[0] == 0
    assert invoke("load", *data)[0] == 0
    sums = {}
    for engine in ("spark", "fast"):
        output = tmp_path / f"{engine}.csv"
        code, shown = invoke(
            "mine-rules", *data, "--engine", engine, "--min-support", "0.003",
            "--input", str(datasets["parquet"] / "raw" / "sales"), "--output", str(output),
        )  # fmt: skip
        assert code == 0, shown
        sums[engine] = checksum(db_url)
    assert sums["spark"]["bundle_rules"][0] > 20
    assert sums["spark"] == sums["fast"]
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "fast.csv").read_bytes()
