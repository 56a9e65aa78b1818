"""The evaluation's options (standard library only: the CLI and the pipeline import it cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_RESAMPLES = 1000
MIN_TEST_BASKETS = 30


@dataclass(frozen=True)
class EvaluationOptions:
    """``max_cases`` samples the cases (seeded); ``seed`` also drives ``random`` and the bootstrap;
    ``by`` adds the customer group's own rules as a method."""

    max_cases: int | None = None
    seed: int = 42
    resamples: int = DEFAULT_RESAMPLES
    by: str | None = None
    min_test_baskets: int = MIN_TEST_BASKETS
