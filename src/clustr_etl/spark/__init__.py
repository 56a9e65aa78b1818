"""Apache Spark engines (optional extra ``clustr-etl[spark]``): mining with Spark's FPGrowth and
block generation in Spark tasks. Modules here import pyspark only inside functions."""
