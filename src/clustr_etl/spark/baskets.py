"""Baskets as a Spark DataFrame (one ``items`` array per transaction), read with Spark's readers.

The same inputs as the local readers: a sales CSV or a Parquet dataset folder with
``transaction_id`` and ``product_id`` columns, or a basket file (one comma-separated basket per
line). Items are de-duplicated per basket (FPGrowth refuses duplicates); how many duplicate lines
were dropped is counted, not an error. Transactions without items are not transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clustr_etl.config.specs import InputFormat
from clustr_etl.errors import InputFileError
from clustr_etl.mining.baskets import SALES_KEY_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


_INTEGER = r"^[+-]?[0-9]+$"


@dataclass(frozen=True)
class SparkBaskets:
    """``frame`` has one row per transaction with a non-empty, duplicate-free ``items`` array."""

    frame: DataFrame
    n_transactions: int
    duplicates: int
    numeric_labels: (
        bool  # every label is an integer: keys sort numerically (as mining.baskets does)
    )


def read_spark_baskets(spark: SparkSession, path: Path, input_format: InputFormat) -> SparkBaskets:
    """Read ``path`` (a Parquet folder, a sales CSV or a basket file) into cached baskets."""
    from pyspark.sql import functions as F

    if path.is_dir():
        baskets, numeric = _sales_baskets(_read_parquet_sales(spark, path), path), True
    elif not path.is_file():
        raise InputFileError(f"input {path} not found", "check --input")
    elif input_format == "basket":
        baskets, numeric = _basket_file(spark, path), False
    else:
        baskets, numeric = _sales_baskets(_read_csv_sales(spark, path), path), True
    baskets = baskets.where(F.size("items") > 0).persist()
    counts = baskets.agg(
        F.count(F.lit(1)).alias("n"),
        F.coalesce(F.sum("duplicates"), F.lit(0)).alias("duplicates"),
    ).first()
    assert counts is not None
    if not counts["n"]:
        baskets.unpersist()
        raise InputFileError(f"input {path} has no baskets", "expected sales lines or baskets")
    if not numeric:
        labels = baskets.select(F.explode("items").alias("label"))
        numeric = labels.where(~F.col("label").rlike(_INTEGER)).limit(1).count() == 0
    return SparkBaskets(
        frame=baskets,
        n_transactions=int(counts["n"]),
        duplicates=int(counts["duplicates"]),
        numeric_labels=numeric,
    )


def _read_csv_sales(spark: SparkSession, path: Path) -> DataFrame:
    frame = spark.read.option("header", "true").csv(str(path))
    return _sales_columns(frame, path, "expected a CSV with transaction_id and product_id columns")


def _read_parquet_sales(spark: SparkSession, path: Path) -> DataFrame:
    if not any(path.rglob("*.parquet")):
        raise InputFileError(
            f"folder {path} holds no Parquet files", "pass a Parquet dataset folder or a file"
        )
    frame = spark.read.parquet(str(path))
    return _sales_columns(
        frame,
        path,
        "expected a sales dataset, e.g. <data dir>/raw/sales from generate --format parquet",
    )


def _sales_columns(frame: DataFrame, path: Path, hint: str) -> DataFrame:
    missing = [name for name in SALES_KEY_COLUMNS if name not in frame.columns]
    if missing:
        raise InputFileError(
            f"{path} has another schema: no column {', '.join(missing)} "
            f"(it has {', '.join(frame.columns) or 'none'})",
            hint,
        )
    from pyspark.sql import functions as F

    return frame.select(*[F.col(name).try_cast("long").alias(name) for name in SALES_KEY_COLUMNS])


def _sales_baskets(lines: DataFrame, path: Path) -> DataFrame:
    from pyspark.sql import functions as F

    bad = lines.where(F.col("transaction_id").isNull() | F.col("product_id").isNull())
    if bad.limit(1).count():
        raise InputFileError(
            f"{path} has empty or non-integer transaction_id or product_id values",
            "expected integer transaction_id and product_id on every line",
        )
    return lines.groupBy("transaction_id").agg(
        F.array_distinct(F.collect_list("product_id")).alias("items"),
        (F.count(F.lit(1)) - F.count_distinct("product_id")).alias("duplicates"),
    )


def _basket_file(spark: SparkSession, path: Path) -> DataFrame:
    """Like ``mining.baskets.read_basket_file``: trimmed labels, empty ones ignored, BOM dropped."""
    from pyspark.sql import functions as F

    lines = spark.read.text(str(path))
    text = F.regexp_replace(F.col("value"), "^\ufeff", "")
    labels = F.filter(
        F.transform(
            F.split(text, ","), lambda label: F.regexp_replace(label, r"(?U)^\s+|\s+$", "")
        ),
        lambda label: label != "",
    )
    return lines.select(labels.alias("all_items")).select(
        F.array_distinct("all_items").alias("items"),
        (F.size("all_items") - F.size(F.array_distinct("all_items"))).alias("duplicates"),
    )
