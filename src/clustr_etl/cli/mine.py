"""`clustr-etl mine-rules`: association rules from the database or a file."""

from __future__ import annotations

import typer

from clustr_etl.cli.options import (
    By,
    Consequent,
    DatabaseUrl,
    DataDir,
    Day,
    IncludeNonMerchandise,
    InputFormat,
    Item,
    LastDays,
    LockTimeout,
    MaxBasketSize,
    MaxConsequentLen,
    MaxLen,
    MaxP,
    MaxRules,
    MinConfidence,
    MinCount,
    MineEngineOption,
    MineInput,
    MineInputFormat,
    MinerEngine,
    MinLen,
    MinLift,
    MinSupport,
    NoLoad,
    PAdjust,
    PruneRedundant,
    RulesOutput,
    SparkMaster,
    TopK,
    TopKBy,
    TopRules,
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
    max_rules: MaxRules = None,
    max_basket_size: MaxBasketSize = None,
    top_k: TopK = None,
    top_k_by: TopKBy = None,
    consequent: Consequent = None,
    item: Item = None,
    by: By = None,
    since: Day = None,
    until: Day = None,
    last_days: LastDays = None,
    input_path: MineInput = None,
    input_format: MineInputFormat = InputFormat.sales,
    engine: MineEngineOption = MinerEngine.fast,
    spark_master: SparkMaster = None,
    output: RulesOutput = None,
    no_load: NoLoad = False,
    top: TopRules = 0,
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
        print_rules(result.top_rules(top), top)
