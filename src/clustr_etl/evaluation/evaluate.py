"""Basket completion on held-out baskets: every method scored on exactly the same cases.

``evaluate_baskets`` works on baskets and rules already in memory (tests, other callers);
``evaluate_database`` splits the database's transactions by time, mines the training window with
the ``mine-rules`` path (``select_baskets`` + ``mine_scopes``, the same thresholds, scopes and
merchandise filter) and scores the test window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from clustr_etl.dataset.rule_columns import DEFAULT_SCOPE
from clustr_etl.errors import InputFileError
from clustr_etl.evaluation.bootstrap import Interval, bootstrap_intervals
from clustr_etl.evaluation.cases import (
    Cases,
    TestBaskets,
    basket_sums,
    build_cases,
    coded_baskets,
    context_matrix,
    context_pairs,
)
from clustr_etl.evaluation.metrics import LIST_LENGTH, MethodTotals
from clustr_etl.evaluation.options import EvaluationOptions
from clustr_etl.evaluation.recommenders import (
    ByGroup,
    Context,
    CoOccurrence,
    Popularity,
    RandomItems,
    Recommender,
    RulesThenPopularity,
    popularity_ranks,
)
from clustr_etl.evaluation.rule_lists import RuleRecommender
from clustr_etl.evaluation.split import TemporalSplit, date_range, read_split, resolve_split
from clustr_etl.evaluation.summary import verdict
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.scopes import mine_scopes
from clustr_etl.mining.thresholds import RuleThresholds
from clustr_etl.progress import NO_PROGRESS, Progress

_CELLS_PER_CHUNK = 1_000_000  # cases x items per chunk: dense arrays that stay in cache


@dataclass
class Evaluation:
    """What ``evaluate`` measured: the split, the cases and each method's figures with intervals."""

    split: dict[str, object]
    cases: int
    test_baskets: int
    methods: dict[str, dict[str, Interval]]
    rules: int = 0
    summary: str = ""
    notes: list[str] = field(default_factory=list)
    training_rules: pd.DataFrame | None = None  # every scope's rules mined on the training window

    def to_json(self) -> dict[str, object]:
        return {
            "split": self.split,
            "cases": self.cases,
            "test_baskets": self.test_baskets,
            "rules_mined": self.rules,
            "summary": self.summary,
            "notes": self.notes,  # the mining's, e.g. a default support raised to fit --max-rules
            "methods": {
                method: {metric: interval.to_json() for metric, interval in figures.items()}
                for method, figures in self.methods.items()
            },
        }


def evaluate_baskets(
    train: Baskets,
    rules: pd.DataFrame,
    test_parts: list[Baskets],
    options: EvaluationOptions = EvaluationOptions(),
    *,
    group_rules: dict[int, pd.DataFrame] | None = None,
    split: dict[str, object] | None = None,
    progress: Progress = NO_PROGRESS,
) -> Evaluation:
    """Score every method on the cases of ``test_parts`` (one part per customer group with ``by``)."""
    vocabulary = {label: code for code, label in enumerate(train.labels)}
    test = coded_baskets(test_parts, vocabulary)
    cases = build_cases(test, options.max_cases, options.seed)
    n_ready = int(np.unique(cases.basket).size)
    if n_ready < options.min_test_baskets:
        raise InputFileError(
            f"only {n_ready} test baskets have 2 or more items "
            f"(at least {options.min_test_baskets} needed)",
            "use a larger --test-days or an earlier --cutoff (or --max-cases, if set, higher)",
        )
    methods = _recommenders(train, rules, vocabulary, options, group_rules)
    pop_rank = popularity_ranks(train)[0]
    totals = _score(cases, methods, pop_rank, progress)
    case_counts = np.bincount(cases.basket, minlength=test.n_baskets).astype(np.float64)
    with progress.task("bootstrap intervals"):
        intervals = bootstrap_intervals(
            totals, case_counts, pop_rank.size, resamples=options.resamples, seed=options.seed
        )
    return Evaluation(
        split or {},
        cases.n_cases,
        n_ready,
        intervals,
        rules=len(rules),
        summary=verdict(intervals),
    )


def _recommenders(
    train: Baskets,
    rules: pd.DataFrame,
    vocabulary: dict[str, int],
    options: EvaluationOptions,
    group_rules: dict[int, pd.DataFrame] | None,
) -> dict[str, Recommender]:
    pop_rank, order = popularity_ranks(train)
    popularity = Popularity(order)
    by_rules = RuleRecommender(rules, vocabulary, pop_rank)
    methods: dict[str, Recommender] = {
        "rules": by_rules,
        "rules+popularity": RulesThenPopularity(by_rules, popularity),
    }
    if group_rules is not None and options.by is not None:
        methods[f"rules by {options.by}"] = ByGroup(
            {g: RuleRecommender(r, vocabulary, pop_rank) for g, r in group_rules.items()}
        )
    methods["cooccurrence"] = CoOccurrence(train, pop_rank)
    methods["popularity"] = popularity
    methods["random"] = RandomItems(pop_rank.size, np.random.default_rng(options.seed + 1))
    return methods


def _score(
    cases: Cases, methods: dict[str, Recommender], pop_rank: np.ndarray, progress: Progress
) -> dict[str, MethodTotals]:
    n_items = pop_rank.size
    n_baskets = cases.baskets.n_baskets
    totals = {name: MethodTotals(n_baskets) for name in methods}
    chunk = max(256, min(50_000, _CELLS_PER_CHUNK // max(n_items, 1)))
    with progress.task("scoring cases", total=cases.n_cases) as advance:
        for start in range(0, cases.n_cases, chunk):
            part = cases.subset(slice(start, start + chunk))
            context = _context(part, n_items)
            hidden = part.hidden
            for name, method in methods.items():
                top = method.recommend(context, LIST_LENGTH)
                totals[name].add(part.basket, top, hidden, pop_rank)
            advance(part.n_cases)
    return totals


def _context(cases: Cases, n_items: int) -> Context:
    rows, codes = context_pairs(cases)
    matrix = context_matrix(rows, codes, cases.n_cases, n_items)
    group = cases.baskets.group[cases.basket]
    in_basket = np.zeros((cases.n_cases, n_items), dtype=bool)
    in_basket[rows, codes] = True
    return Context(
        rows, codes, cases.n_cases, n_items, matrix, group, in_basket, basket_sums(cases, n_items)
    )


def evaluate_database(
    engine: Engine,
    thresholds: RuleThresholds,
    *,
    test_days: int | None = None,
    cutoff: dt.date | None = None,
    options: EvaluationOptions = EvaluationOptions(),
    progress: Progress = NO_PROGRESS,
) -> tuple[Evaluation, TemporalSplit]:
    """Split by time, mine the training window as ``mine-rules`` would, score the test window."""
    first, last = date_range(engine)
    split = resolve_split(first, last, test_days=test_days, cutoff=cutoff)
    train, test = read_split(
        engine, split, by=options.by, include_non_merchandise=thresholds.include_non_merchandise
    )
    mined = mine_scopes(train, thresholds, progress=progress)
    rules = mined.rules
    scoped = rules["scope"] == DEFAULT_SCOPE
    group_rules: dict[int, pd.DataFrame] | None = None
    parts = [test.scopes[0].baskets]
    if options.by is not None:
        groups = [scope.name for scope in test.scopes[1:]]
        parts = [scope.baskets for scope in test.scopes[1:]]
        group_rules = {i: rules[rules["scope"] == name] for i, name in enumerate(groups)}
    result = evaluate_baskets(
        train.scopes[0].baskets,
        rules[scoped],
        parts,
        options,
        group_rules=group_rules,
        split=split.to_json(),
        progress=progress,
    )
    result.notes = mined.notes
    result.training_rules = rules
    return result, split


__all__ = [
    "Evaluation",
    "EvaluationOptions",
    "TestBaskets",
    "evaluate_baskets",
    "evaluate_database",
]
