"""`clustr-etl evaluate`: the bundles measured as recommendations against simple baselines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from clustr_etl.cli.options import (
    DatabaseUrl,
    DataDir,
    IncludeNonMerchandise,
    LockTimeout,
    MaxConsequentLen,
    MaxLen,
    MaxP,
    MaxRules,
    MinConfidence,
    MinCount,
    MinLen,
    MinLift,
    MinSupport,
    PAdjust,
    PruneRedundant,
    progress_for,
    quiet,
    settings_from,
    show_results,
    wait_notice,
)

TestDays = Annotated[
    int | None, typer.Option("--test-days", min=1, help="test on the last N days (default 30)")
]
Cutoff = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="first test day, YYYY-MM-DD (instead of --test-days)"),
]
MaxCases = Annotated[
    int | None,
    typer.Option(
        "--max-cases", min=1, help="score a seeded sample of N cases (default: all cases)"
    ),
]
EvaluationSeed = Annotated[
    int, typer.Option(help="seed of --max-cases, the random baseline and the bootstrap", min=0)
]
EvaluationBy = Annotated[
    str | None,
    typer.Option("--by", help="also score each customer group's own rules: segment or city"),
]


def evaluate(
    ctx: typer.Context,
    test_days: TestDays = None,
    cutoff: Cutoff = None,
    max_cases: MaxCases = None,
    seed: EvaluationSeed = 42,
    by: EvaluationBy = None,
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
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Score the rules mined before a cutoff as recommendations on the later baskets.

    Compared with popularity, co-occurrence and random on the same cases; writes
    <data dir>/evaluation.json and rule_evaluations.

    Ranking of the rules recommender: an item ranks by its best fired rule (antecedent inside the
    rest of the basket): higher confidence first, then higher lift, then higher support, then the
    rules table's order; items of the same rule break ties by training popularity, then lower product id.
    Items already in the basket are never recommended; no rule fires: an empty list.

    Example: clustr-etl evaluate --test-days 30 --max-cases 20000
    """
    from clustr_etl.evaluation.options import EvaluationOptions
    from clustr_etl.run.evaluate import evaluate as evaluate_rules

    settings = settings_from(ctx, "test_days", "cutoff", "max_cases", "seed", "by")
    result = evaluate_rules(
        settings,
        test_days=test_days,
        cutoff=cutoff.date() if cutoff else None,
        options=EvaluationOptions(max_cases=max_cases, seed=seed, by=by),
        progress=progress_for(ctx),
        on_wait=wait_notice(ctx),
    )
    if not quiet(ctx):
        from clustr_etl.cli.console import stdout
        from clustr_etl.cli.evaluation_view import render_evaluation

        render_evaluation(result.evaluation, stdout)
    show_results(ctx, [result.report])
