"""`clustr-etl run-all`: schema, data, load, rules (and the report) in one run."""

from __future__ import annotations

from typing import Annotated

import typer

from clustr_etl.cli.options import (
    Customers,
    DatabaseUrl,
    DataDir,
    Days,
    LockTimeout,
    MaxP,
    MaxRules,
    MinConfidence,
    MinCount,
    MinLift,
    MinSupport,
    Products,
    Seed,
    StartDate,
    TopK,
    TopKBy,
    Transactions,
    Workers,
    progress_for,
    settings_from,
    show_results,
    wait_notice,
)


def run_all(
    ctx: typer.Context,
    regenerate: Annotated[bool, typer.Option(help="regenerate the CSVs even if present")] = False,
    customers: Customers = None,
    products: Products = None,
    days: Days = None,
    start_date: StartDate = None,
    transactions: Transactions = None,
    seed: Seed = None,
    workers: Workers = None,
    min_support: MinSupport = None,
    min_confidence: MinConfidence = None,
    min_lift: MinLift = None,
    min_count: MinCount = None,
    max_p: MaxP = None,
    max_rules: MaxRules = None,
    top_k: TopK = None,
    top_k_by: TopKBy = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
    report: Annotated[
        bool, typer.Option("--report", help="write <data dir>/report.html at the end")
    ] = False,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate", help="score the rules on the last 30 days (as `clustr-etl evaluate`)"
        ),
    ] = False,
) -> None:
    """Create the schema, generate the CSVs if missing, load them, mine and load the rules.

    Example: clustr-etl run-all --transactions 50000 --report
    """
    from clustr_etl.run.commands import run_everything

    settings = settings_from(ctx, "regenerate", "report", "evaluate")
    results = run_everything(
        settings,
        regenerate=regenerate,
        report=report,
        evaluate=evaluate,
        progress=progress_for(ctx),
        on_wait=wait_notice(ctx),
    )
    show_results(ctx, results)
