"""Rules ``A => {c}`` with Spark's FPGrowth, exactly the fast engine's rules and metrics.

* Support: Spark keeps itemsets with ``freq >= ceil(minSupport * N)`` in floating point; we pass
  ``(k - 0.5) / N`` for the project's exact minimum count ``k`` (so the ceiling is ``k`` whatever
  the rounding) and keep ``freq >= k`` again on the integer counts.
* Rules are built in Spark from the frequent itemsets (each itemset S and each non-empty proper
  subset C of S with ``|C| <= max_consequent_len`` gives ``S \\ C => C``; a single item gives
  ``{} => {c}``), their counts joined in, itemset sizes, confidence and lift compared exactly on
  integers (as decimals), all before anything is collected. Consequents are built as position
  combinations, level by level, so an itemset of k items yields exactly its ``sum C(k, j)`` splits.
* Only the passing rules' items and counts come back; metrics and order come from the same
  ``rules_frame`` as the fast engine, so the tables are identical.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from clustr_etl.config.specs import InputFormat
from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.mining import MinedRules
from clustr_etl.mining.filters import rules_with_items
from clustr_etl.mining.quality import apply_quality_filters
from clustr_etl.mining.rules import FrameRules, rules_frame
from clustr_etl.mining.thresholds import RuleThresholds, exact_fraction
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.spark.baskets import SparkBaskets, read_spark_baskets
from clustr_etl.spark.session import spark_errors, spark_session

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_EXACT = "decimal(38,0)"


def fpgrowth_min_support(min_count: int, n_transactions: int) -> float:
    """A minSupport whose ``ceil(minSupport * N)`` is exactly ``min_count`` in floating point."""
    return (min_count - 0.5) / n_transactions


@spark_errors
def mine_rules_spark(
    input_path: Path,
    input_format: InputFormat,
    thresholds: RuleThresholds,
    *,
    master: str | None = None,
    progress: Progress = NO_PROGRESS,
) -> tuple[MinedRules, SparkBaskets]:
    """Read ``input_path`` and mine it on Spark; the rules (MINED_COLUMNS), after the same significance
    test and redundancy pruning as the fast engine (on the driver: the rules are few), and the baskets."""
    with spark_session(master) as spark:
        with progress.task("reading baskets (Spark)"):
            baskets = read_spark_baskets(spark, input_path, input_format)
        try:
            with progress.task("mining rules (Spark FPGrowth)"):
                candidates = spark_rules(baskets, thresholds)
        finally:
            baskets.frame.unpersist()
    candidates = rules_with_items(candidates, thresholds)
    with progress.task("testing rules"):
        rules, quality = apply_quality_filters(candidates, thresholds)
    return MinedRules(
        FrameRules(rules), quality, thresholds.count_threshold(baskets.n_transactions)
    ), baskets


BASKETS_PER_TREE = 250_000
MIN_TREES = 40
BASKETS_PER_SMALL_TREE = 25_000


def fpgrowth_partitions(n_baskets: int, input_partitions: int) -> int:
    """How many groups FPGrowth splits its conditional FP-trees into, and how many partitions the
    baskets are spread over before it runs (the rules do not depend on it).

    * At most 250k baskets per group and per input task: FPGrowth first combines each input task's
      baskets into one tree per group, then merges those trees per group, so trees of millions of
      baskets filled a 14 GB heap (10M baskets in 2 input partitions; its JVM died after 50 min).
    * At least 40 of each from 1M baskets up (below, one per 25k baskets: every task costs
      milliseconds whatever its size). Spark's cost per basket grows with the count until it
      levels off: a basket is copied once per group its items fall in, and Spark re-measures each
      growing tree as every task's tree is merged into it. A count growing from 4 (1M) to 40 (10M)
      made the cost per basket at 10M 1.96x that at 1M; with 40 at both it is 1.09x
      (bench/bench_spark.py), and 40 groups cost 1M baskets 6 % more than 4.
    """
    small = min(MIN_TREES, -(-n_baskets // BASKETS_PER_SMALL_TREE))
    return max(input_partitions, small, -(-n_baskets // BASKETS_PER_TREE))


def spark_rules(baskets: SparkBaskets, thresholds: RuleThresholds) -> pd.DataFrame:
    """All rules passing ``thresholds`` on Spark baskets, as the fast engine's rules table."""
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as F

    n = baskets.n_transactions
    min_count = thresholds.count_threshold(n)
    frame, input_parts = baskets.frame, baskets.frame.rdd.getNumPartitions()
    parts = fpgrowth_partitions(n, input_parts)
    if input_parts < parts:
        frame = frame.repartition(parts)
    model = FPGrowth(
        itemsCol="items",
        minSupport=fpgrowth_min_support(min_count, n),
        minConfidence=0.0,
        numPartitions=parts,
    ).fit(frame)
    # freqItemsets is an uncached view of FPGrowth's mining: without persist, each of the three
    # uses below (rules, antecedents, consequents) would mine the trees again
    itemsets = (
        model.freqItemsets.where(F.col("freq") >= min_count)
        .select(F.array_sort("items").alias("items"), F.col("freq"))
        .where(F.size("items") <= thresholds.max_len)
        .persist()
    )
    try:
        collected = _passing_rules(itemsets, n, thresholds).toArrow()
    finally:
        itemsets.unpersist()
    return _rules_table(collected, n, baskets.numeric_labels)


def _passing_rules(itemsets: DataFrame, n: int, thresholds: RuleThresholds) -> DataFrame:
    from pyspark.sql import functions as F

    smallest = max(thresholds.min_len, 1)
    size = F.size("items")
    consequents = itemsets.where(size <= thresholds.max_consequent_len).select(
        F.col("items").alias("consequent"), F.col("freq").alias("consequent_count")
    )
    shortest_antecedent = max(smallest - thresholds.max_consequent_len, 1)
    antecedents = itemsets.where(size.between(shortest_antecedent, thresholds.max_len - 1)).select(
        F.col("items").alias("antecedent"), F.col("freq").alias("antecedent_count")
    )
    splits = _splits(
        itemsets.where(size.between(smallest, thresholds.max_len)).select(
            F.col("items"), F.col("freq").alias("rule_count")
        ),
        thresholds.max_consequent_len,
    )
    rules = (
        splits.join(antecedents, "antecedent", "left")
        .join(consequents, "consequent")
        .withColumn(  # the empty antecedent (min-len 1) occurs in every transaction
            "antecedent_count",
            F.coalesce(F.col("antecedent_count"), F.when(F.size("antecedent") == 0, F.lit(n))),
        )
    )
    r, a, c = F.col("rule_count"), F.col("antecedent_count"), F.col("consequent_count")
    confident = _at_least([r], [a], exact_fraction(thresholds.min_confidence))
    lifted = _at_least([r, F.lit(n)], [a, c], exact_fraction(thresholds.min_lift), strict=True)
    return rules.where(confident & lifted).select(
        "antecedent", "consequent", "rule_count", "antecedent_count", "consequent_count"
    )


def _splits(itemsets: DataFrame, max_consequent_len: int) -> DataFrame:
    """Each itemset S (sorted ``items``) once per consequent C: the rows ``(antecedent, consequent,
    rule_count)`` with C of 1 .. min(max_consequent_len, |S| - 1) items (one item when |S| = 1).

    Consequents are grown as increasing position lists, so each subset appears once and both
    sides stay sorted (they join the itemsets' sorted arrays)."""
    from pyspark.sql import functions as F

    size = F.size("items")
    level = itemsets.select(
        "items", "rule_count", F.posexplode("items").alias("position", "item")
    ).select("items", "rule_count", F.array("position").alias("positions"))
    levels = [level]
    for _ in range(1, max_consequent_len):
        last = F.element_at("positions", -1)
        level = (
            # a position left after the last one, and the antecedent keeps at least one item
            level.where((last + 1 < size) & (F.size("positions") + 1 < size))
            .withColumn("position", F.explode(F.sequence(last + 1, size - 1)))
            .select(
                "items",
                "rule_count",
                F.concat("positions", F.array("position")).alias("positions"),
            )
        )
        levels.append(level)
    combined = levels[0]
    for more in levels[1:]:
        combined = combined.unionByName(more)
    return combined.where((F.size("positions") < size) | (size == 1)).select(
        F.filter("items", lambda _, i: ~F.array_contains("positions", i)).alias("antecedent"),
        F.transform("positions", lambda p: F.col("items")[p]).alias("consequent"),
        "rule_count",
    )


def _at_least(
    left: list[Column], right: list[Column], fraction: Fraction, *, strict: bool = False
) -> Column:
    """``prod(left) >= fraction * prod(right)`` (``>`` if strict) in exact decimal arithmetic."""
    from pyspark.sql import functions as F

    scaled_left = F.lit(fraction.denominator).cast(_EXACT)
    for column in left:
        scaled_left = scaled_left * column.cast(_EXACT)
    scaled_right = F.lit(fraction.numerator).cast(_EXACT)
    for column in right:
        scaled_right = scaled_right * column.cast(_EXACT)
    return scaled_left > scaled_right if strict else scaled_left >= scaled_right


def _rules_table(collected: pa.Table, n: int, numeric_labels: bool) -> pd.DataFrame:
    def key(label: object) -> tuple[int, str]:
        text = str(label)
        return (int(text), text) if numeric_labels else (0, text)

    antecedents = [
        ITEM_SEPARATOR.join(str(item) for item in sorted(items, key=key))
        for items in collected.column("antecedent").to_pylist()
    ]
    consequents = [
        ITEM_SEPARATOR.join(str(item) for item in sorted(items, key=key))
        for items in collected.column("consequent").to_pylist()
    ]

    def counts(name: str) -> npt.NDArray[np.int64]:
        return np.asarray(collected.column(name).to_numpy(), dtype=np.int64)

    return rules_frame(
        antecedents,
        consequents,
        counts("rule_count"),
        counts("antecedent_count"),
        counts("consequent_count"),
        n,
    )
