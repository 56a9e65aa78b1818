"""Spark's FPGrowth engine gives exactly the fast engine's rules (local Spark, one shared session)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from clustr_etl.errors import InputFileError, SparkError
from clustr_etl.mining import RuleThresholds, mine_rules, read_basket_file, read_sales_csv
from clustr_etl.spark.baskets import read_spark_baskets
from clustr_etl.spark.mining import mine_rules_spark, spark_rules
from clustr_etl.spark.session import check_master_reachable
from mining_support import arules
from shared_data import shared_file

# The four settings of the arules Groceries examples (support, confidence, min-len).
CLI = [sys.executable, "-m", "clustr_etl"]
GROCERIES_SETTINGS = [(0.001, 0.8, 1), (0.001, 0.5, 1), (0.006, 0.25, 2), (0.01, 0.5, 1)]


def assert_same_rules(spark_table: pd.DataFrame, fast_table: pd.DataFrame) -> None:
    assert len(spark_table) == len(fast_table)
    pd.testing.assert_frame_equal(spark_table, fast_table, check_exact=False, rtol=1e-9, atol=0)


def test_groceries_at_the_arules_settings(spark: object) -> None:
    path = shared_file("groceries.csv")
    fast_baskets = read_basket_file(path)
    baskets = read_spark_baskets(spark, path, "basket")  # type: ignore[arg-type]
    assert baskets.n_transactions == fast_baskets.n_transactions == 9835
    counts = []
    for support, confidence, min_len in GROCERIES_SETTINGS:
        thresholds = arules(support, confidence, 0.0, min_len, 10)
        expected = mine_rules(fast_baskets, thresholds)
        assert_same_rules(spark_rules(baskets, thresholds), expected)
        counts.append(len(expected))
    assert counts == [410, 5668, 463, 15]  # the rule counts arules publishes for these settings
    for longest in (2, 3):  # every split of each itemset, as mlxtend's association_rules
        thresholds = arules(0.003, 0.3, 0.0, 1, 10, max_consequent_len=longest)
        expected = mine_rules(fast_baskets, thresholds)
        assert expected["consequents"].str.contains("|", regex=False).any()
        assert_same_rules(spark_rules(baskets, thresholds), expected)
    baskets.frame.unpersist()


def test_a_generated_workload_of_200k_baskets(spark: object, tmp_path: Path) -> None:
    """The issue's workload: ``clustr-etl generate`` with its defaults and 200k transactions, mined
    with the bench's thresholds; several FPGrowth groups and basket partitions (8 at 200k)."""
    data_dir = tmp_path / "generated"
    generate = [*CLI, "-q", "generate", "--transactions", "200000", "--data-dir", str(data_dir)]
    subprocess.run(generate, check=True, timeout=300)
    sales = data_dir / "raw" / "sales.csv"
    thresholds = arules(0.0005, 0.1, 0.0, 2, 10)
    expected = mine_rules(read_sales_csv(sales), thresholds)
    baskets = read_spark_baskets(spark, sales, "sales")  # type: ignore[arg-type]
    assert baskets.n_transactions == 200_000
    assert_same_rules(spark_rules(baskets, thresholds), expected)
    assert len(expected) > 1000
    baskets.frame.unpersist()


def test_small_baskets_with_duplicates_numeric_labels_and_every_option(
    spark: object, tmp_path: Path
) -> None:
    path = tmp_path / "baskets.csv"
    rows = ["10, 9,9", "9,10,100", "", "100, 10 ,9,9", "2,10", "9,100", "10,9,2"] * 3
    path.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    baskets = read_spark_baskets(spark, path, "basket")  # type: ignore[arg-type]
    assert baskets.n_transactions == 18
    assert baskets.duplicates == 2 * 3  # a second "9" in two of the seven lines
    assert baskets.numeric_labels
    for thresholds in [
        arules(0.1, 0.1, 0.0, 1, 10),
        arules(0.2, 0.5, 1.1, 2, 2),
        arules(1 / 3, 0.6, 0.0, 3, 3),
        arules(0.1, 0.1, 0.0, 1, 10, max_consequent_len=3),
        arules(0.1, 0.2, 0.9, 3, 4, max_consequent_len=2),
    ]:
        expected = mine_rules(read_basket_file(path), thresholds)
        assert len(expected) > 0
        assert_same_rules(spark_rules(baskets, thresholds), expected)
    baskets.frame.unpersist()


def test_sales_csv_and_bad_schema(spark: object, tmp_path: Path) -> None:
    sales = tmp_path / "sales.csv"
    lines = ["sale_id,transaction_id,product_id,quantity"]
    pairs = [(t, p) for t in range(1, 41) for p in (1, 2, 3, 5, 8) if (t * p) % 3 or p == 1]
    lines += [f"{i},{t},{p},1" for i, (t, p) in enumerate(pairs, start=1)]
    sales.write_text("\n".join(lines) + "\n", encoding="utf-8")
    thresholds = arules(0.05, 0.2, 0.0, 1, 4)
    mined, baskets = mine_rules_spark(sales, "sales", thresholds, master="local[2]")
    assert_same_rules(mined.rules, mine_rules(read_sales_csv(sales), thresholds))
    assert baskets.n_transactions == 40
    # the project's defaults (count floor, significance test): the same filters as the fast engine
    strict = RuleThresholds(min_support=0.05, min_count=5, max_p=0.05, prune_redundant=True)
    mined, _ = mine_rules_spark(sales, "sales", strict, master="local[2]")
    expected = mine_rules(read_sales_csv(sales), strict)
    assert_same_rules(mined.rules, expected)
    assert 0 < len(expected) < len(mine_rules(read_sales_csv(sales), thresholds))

    other = tmp_path / "other.csv"
    other.write_text("invoice,item\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="another schema: no column transaction_id"):
        mine_rules_spark(other, "sales", thresholds)


def spark_cli(tmp_path: Path, *options: str, **env: str) -> tuple[int, list[str]]:
    """Run ``mine-rules --engine spark`` on a tiny basket file: exit code and stderr lines."""
    path = tmp_path / "b.csv"
    path.write_text("a,b\n", encoding="utf-8")
    command = [*CLI, "mine-rules", "--engine", "spark", "--no-load", "--format", "basket"]
    done = subprocess.run(
        [*command, "--input", str(path), *options],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    return done.returncode, done.stderr.strip().splitlines()


@pytest.mark.usefixtures("pyspark_installed")
def test_unreachable_master_is_one_line_within_seconds(tmp_path: Path) -> None:
    code, lines = spark_cli(tmp_path, "--spark-master", "spark://127.0.0.1:9")
    assert code == 1
    assert lines == [
        "Error: Spark master spark://127.0.0.1:9 is unreachable (check --spark-master, "
        "that the master runs and that its port is open)"
    ]
    start = time.monotonic()  # the check (not the interpreter start) bounds the wait
    with pytest.raises(SparkError):
        check_master_reachable("spark://127.0.0.1:9,192.0.2.1:7077")
    assert time.monotonic() - start < 30


@pytest.mark.usefixtures("pyspark_installed")
def test_cli_without_java_says_what_to_install(tmp_path: Path) -> None:
    code, lines = spark_cli(tmp_path, JAVA_HOME=str(tmp_path / "no-java"))
    assert code == 1
    assert len(lines) == 1, lines
    assert "needs a Java runtime" in lines[0]
    assert "openjdk-17" in lines[0]


def test_cli_without_pyspark_says_what_to_install(tmp_path: Path) -> None:
    """Without the extra (pyspark hidden from this process), one line and no traceback."""
    path = tmp_path / "b.csv"
    path.write_text("a,b\n", encoding="utf-8")
    arguments = ["mine-rules", "--engine", "spark", "--no-load", "--format", "basket"]
    arguments += ["--input", str(path)]
    script = (
        "import sys; sys.modules['pyspark'] = None; sys.modules['py4j'] = None; "
        f"sys.argv = ['clustr-etl', *{arguments!r}]; "
        "from clustr_etl.cli.launch import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: --engine spark needs pyspark, which is not installed "
        "(install it with: pip install 'clustr-etl[spark]')"
    ]


JVM_DIES = """
import sys
import psutil
from clustr_etl.errors import SparkError
from clustr_etl.spark.session import spark_errors, spark_session

@spark_errors
def count_after_the_jvm_dies() -> int:
    with spark_session("local[1]") as spark:
        for child in psutil.Process().children(recursive=True):
            if child.name() == "java":
                child.kill()
                child.wait(30)
        return spark.range(3).count()

try:
    count_after_the_jvm_dies()
except SparkError as err:
    print(err)
    sys.exit(3)
"""


@pytest.mark.usefixtures("pyspark_installed")
def test_a_jvm_that_dies_is_one_line_saying_so() -> None:
    """The Java process killed mid-job (as the kernel's OOM killer would): one line, not a
    bare "Connection refused" or a Py4J traceback."""
    done = subprocess.run(
        [sys.executable, "-c", JVM_DIES], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.startswith("Spark failed: its Java process stopped unexpectedly"), (
        done.stdout
    )
    assert "spark.driver.memory" in done.stdout
    assert "Traceback" not in done.stdout
