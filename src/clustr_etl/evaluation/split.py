"""The temporal split: train on the transactions before a cutoff day, test on the days from it.

Both windows are read with the mining path's own selection (``select_baskets``: the same merchandise
filter and customer groups as ``mine-rules``), so the training baskets are exactly what ``mine-rules
--until <cutoff - 1 day>`` would mine. Nothing dated on or after the cutoff reaches the training side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.mining.db_reader import read_sale_lines
from clustr_etl.mining.selection import BasketSelection, SelectedBaskets, as_date, select_baskets
from clustr_etl.store.models import Transaction

DEFAULT_TEST_DAYS = 30


@dataclass(frozen=True)
class TemporalSplit:
    """Training days ``first``..``cutoff - 1``, test days ``cutoff``..``last`` (inclusive)."""

    first: dt.date
    cutoff: dt.date
    last: dt.date

    @property
    def train_until(self) -> dt.date:
        return self.cutoff - dt.timedelta(days=1)

    @property
    def test_days(self) -> int:
        return (self.last - self.cutoff).days + 1

    def label(self) -> str:
        return f"train {self.first}..{self.train_until}, test {self.cutoff}..{self.last}"

    def to_json(self) -> dict[str, object]:
        return {
            "train_since": str(self.first),
            "train_until": str(self.train_until),
            "test_since": str(self.cutoff),
            "test_until": str(self.last),
            "test_days": self.test_days,
        }


def date_range(engine: Engine) -> tuple[dt.date, dt.date]:
    """The first and last transaction days."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(Transaction.date), func.max(Transaction.date))
        ).one()
    if first is None or last is None:
        raise InputFileError(
            "the transactions table is empty: nothing to evaluate", "load it first"
        )
    return as_date(first), as_date(last)


def resolve_split(
    first: dt.date, last: dt.date, *, test_days: int | None, cutoff: dt.date | None
) -> TemporalSplit:
    """The split for ``--test-days`` (the last N days) or ``--cutoff`` (first test day)."""
    if test_days is not None and cutoff is not None:
        raise ConfigError("--test-days and --cutoff choose the same thing", "give one of them")
    span = (last - first).days + 1
    if span < 2:
        raise ConfigError(
            f"the data covers 1 day ({first}): a time split needs transactions on 2 or more days",
            "load dated transactions (an import maps a real date column; an Instacart import dates "
            "each user's orders back from the last one with days_since_prior_order)",
        )
    if cutoff is None:
        days = DEFAULT_TEST_DAYS if test_days is None else test_days
        if days < 1:
            raise ConfigError(f"--test-days must be >= 1, got {days}")
        if days >= span:
            raise ConfigError(
                f"the data covers {span} days ({first} to {last}): too short for --test-days {days}",
                f"use --test-days below {span} (e.g. {max(1, span // 5)}) so days remain to train on",
            )
        cutoff = last - dt.timedelta(days=days - 1)
    elif not first < cutoff <= last:
        raise ConfigError(
            f"--cutoff {cutoff} leaves no {'training' if cutoff <= first else 'test'} days "
            f"(transactions from {first} to {last})",
            f"choose a day after {first} and up to {last}",
        )
    return TemporalSplit(first, cutoff, last)


def read_split(
    engine: Engine, split: TemporalSplit, *, by: str | None, include_non_merchandise: bool
) -> tuple[SelectedBaskets, SelectedBaskets]:
    """The training and the test baskets, each selected as ``mine-rules`` selects a window (the
    sale lines are read once for both)."""
    lines = read_sale_lines(engine)
    train = select_baskets(
        engine,
        BasketSelection(
            by=by, until=split.train_until, include_non_merchandise=include_non_merchandise
        ),
        lines,
    )
    test = select_baskets(
        engine,
        BasketSelection(by=by, since=split.cutoff, include_non_merchandise=include_non_merchandise),
        lines,
    )
    return train, test
