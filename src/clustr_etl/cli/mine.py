"""`clustr-etl mine-rules`: association rules from the database or a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clustr_etl.cli.options import (
    DatabaseUrl,
    DataDir,
    Day,
    IncludeNonMerchandise,
    InputFormat,
    LockTimeout,
    MaxConsequentLen,
    MaxLen,
    MaxP,
    MinConfidence,
    MinCount,
    MinerEngine,
    MinLen,
    MinLift,
    MinSupport,
    PAdjust,
    PruneRedundant,
    SparkMaster,
    progress_for,
    quiet,
    settings_from,
    wait_notice,
)

NOT_SETTINGS = (
    *("input_path", "input_format", "engine", "spark_master", "output", "no_load", "top"),
    *("by", "since", "until", "last_days"),
)


def mine_rules(
    ctx: typer.Context,
    min_support: MinSupport = None,
    min_confidence: MinConfidence = None,
    min_lift: MinLift = None,
    min_len: MinLen = None,
    max_len: MaxLen = None,
    min_count: MinCount = None,
    max_consequent_len: MaxConsequentLen = None,
    max_p: MaxP = None,
    p_adjust: PAdjust = None,
    prune_redundant: PruneRedundant = None,
    include_non_merchandise: IncludeNonMerchandise = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="also mine each customer group: segment or city"),
    ] = None,
    since: Day = None,
    until: Day = None,
    last_days: Annotated[
        int | None,
        typer.Option("--last-days", min=1, help="mine the last N days of transactions"),
    ] = None,
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="mine this file (or Parquet sales folder) instead of the database's transactions",
        ),
    ] = None,
    input_format: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help="sales: CSV with transaction_id,product_id; "
            "basket: one comma-separated basket per line",
        ),
    ] = InputFormat.sales,
    engine: Annotated[
        MinerEngine, typer.Option(help="mining engine (spark: needs clustr-etl[spark] and Java)")
    ] = MinerEngine.fast,
    spark_master: SparkMaster = None,
    output: Annotated[
        Path | None, typer.Option(help="rules CSV [default <data dir>/baseline_rules.csv]")
    ] = None,
    no_load: Annotated[bool, typer.Option("--no-load", help="do not write bundle_rules")] = False,
    top: Annotated[int, typer.Option(help="print the top N rules by lift", min=0)] = 0,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Mine association rules (bundles), write baseline_rules.csv and load bundle_rules.

    Example: clustr-etl mine-rules --min-support 0.002 --by segment --top 10
    """
    from clustr_etl.cli.console import print_results, print_rules
    from clustr_etl.run.mine import MineRequest, mine

    settings = settings_from(ctx, *NOT_SETTINGS)
    request = MineRequest(
        by=by,
        since=since.date() if since else None,
        until=until.date() if until else None,
        last_days=last_days,
        input_path=input_path,
        input_format=input_format,
        engine_name=engine,
        spark_master=spark_master,
        output=output,
        load=not no_load,
    )
    result = mine(settings, request, progress=progress_for(ctx), on_wait=wait_notice(ctx))
    print_results([result.report], quiet=quiet(ctx))
    if top and not quiet(ctx):
        print_rules(result.rules, top)
