"""`clustr-etl generate`: a synthetic dataset, its next days, or a synthetic twin."""

from __future__ import annotations

import typer

from clustr_etl.cli.options import (
    ChunkSize,
    Customers,
    DataDir,
    Days,
    Force,
    GenerateEngineOption,
    GenerateFormat,
    GeneratorEngine,
    Like,
    MaxItems,
    MeanItems,
    NextDays,
    OutputFormat,
    Products,
    Seed,
    SparkMaster,
    StartDate,
    Transactions,
    TwinModelFile,
    Workers,
    progress_for,
    settings_from,
    show_results,
)


def generate(
    ctx: typer.Context,
    customers: Customers = None,
    products: Products = None,
    days: Days = None,
    start_date: StartDate = None,
    transactions: Transactions = None,
    max_items: MaxItems = None,
    mean_items: MeanItems = None,
    seed: Seed = None,
    chunk_size: ChunkSize = None,
    workers: Workers = None,
    force: Force = False,
    next_days: NextDays = None,
    data_dir: DataDir = None,
    like: Like = None,
    model: TwinModelFile = None,
    output_format: GenerateFormat = OutputFormat.csv,
    engine: GenerateEngineOption = GeneratorEngine.local,
    spark_master: SparkMaster = None,
) -> None:
    """Write a synthetic retail dataset as CSV files (or Parquet folders) to <data dir>/raw/.

    Example: clustr-etl generate --transactions 200000 --seed 7 --force
    """
    from clustr_etl.run.commands import GenerateRequest, generate_data

    if spark_master is not None and engine != GeneratorEngine.spark:
        raise typer.BadParameter("--spark-master needs --engine spark", param_hint="--spark-master")
    settings = settings_from(
        ctx, "force", "like", "model", "next_days", "output_format", "engine", "spark_master"
    )
    request = GenerateRequest(
        force=force,
        next_days=next_days,
        like=like,
        model=model,
        twin_products=products,
        output_format=output_format,
        on_spark=engine == GeneratorEngine.spark,
        spark_master=spark_master,
    )
    show_results(ctx, [generate_data(settings, request, progress=progress_for(ctx))])
