"""``generate --next-days N``: continue a generated dataset with a batch of the next N days.

Everything comes from the manifest's options (same catalog, customers, bundles, size laws) and the
batches already written: transactions at the dataset's own daily rate (its transactions per unit of
busyness) and seasonality, new customers at the signup rate of the end of the timeframe, ids
continuing. The batch draws from random streams keyed by its first day, so base + batches always
regenerate to the same bytes.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from pathlib import Path

import numpy as np

from clustr_etl.config.specs import DAYS
from clustr_etl.dataset.batches import BATCHES_DIR, Batch, batch_folder, batch_name, find_batches
from clustr_etl.dataset.layout import MANIFEST_FILE, TABLE_FILES
from clustr_etl.dataset.staging import staged
from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.simulate.calendar import build_calendar
from clustr_etl.simulate.customers import Customers, draw_customers, expected_signups
from clustr_etl.simulate.generate import write_facts, write_table
from clustr_etl.simulate.manifest import read_manifest
from clustr_etl.simulate.options import GenerateOptions
from clustr_etl.simulate.plan import (
    STREAM_BATCH_CUSTOMERS,
    STREAM_BATCH_DAYS,
    BasketModel,
    Plan,
    build_plan,
    stream_rng,
)

_TAIL_BYTES = 4096


def _batch_customers(
    options: GenerateOptions, first_index: int, n_days: int, taken_emails: set[str]
) -> Customers:
    rng = stream_rng(options.seed, STREAM_BATCH_CUSTOMERS, first_index)
    day_index = np.arange(first_index, first_index + n_days, dtype=np.int64)
    per_day = rng.poisson(expected_signups(options.customers, options.days, day_index))
    return draw_customers(np.repeat(day_index, per_day), rng, taken_emails)


def _last_id(paths: list[Path]) -> int:
    """The id in the first field of the last row of the newest of ``paths`` that has rows (0: none)."""
    for path in reversed(paths):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            lines = handle.read().splitlines()
        if len(lines) >= 2 or (lines and size > _TAIL_BYTES):
            try:
                return int(lines[-1].split(b",", 1)[0])
            except ValueError:
                raise InputFileError(
                    f"{path}: the last row does not start with an id",
                    "regenerate the batches or restore the file",
                ) from None
    return 0


def _check_continuous(options: GenerateOptions, batches: list[Batch]) -> int:
    """The day index after the last batch; refuse a gap or an overlap between batches."""
    index = options.days
    for batch in batches:
        expected = options.start_date + timedelta(days=index)
        if batch.first_day != expected:
            raise InputFileError(
                f"batch {batch.path} starts on {batch.first_day}, expected {expected}",
                "batches must continue the dataset day after day; remove the stray folder",
            )
        index += batch.n_days
    return index


def _model(
    plan: Plan,
    customers: list[Customers],
    first_index: int,
    n_days: int,
    first_transaction_id: int,
) -> BasketModel:
    options = plan.options
    calendar = build_calendar(options.start_date, first_index + n_days)
    busyness = calendar.busyness()
    rate = options.transactions / busyness[: options.days].sum()
    rng = stream_rng(options.seed, STREAM_BATCH_DAYS, first_index)
    per_day = rng.poisson(rate * busyness[first_index:])
    signup = np.concatenate([group.signup for group in customers])
    days = np.arange(first_index, first_index + n_days)
    return dataclasses.replace(
        plan.model,
        n_transactions=int(per_day.sum()),
        epoch_day0=calendar.epoch_day0 + first_index,
        day_start=np.concatenate([[0], np.cumsum(per_day)]).astype(np.int64),
        eligible=np.searchsorted(signup, days, side="right").astype(np.int64),
        visit_cumsum=np.cumsum(np.concatenate([group.visit_weight for group in customers])),
        customer_segment=np.concatenate([group.segment for group in customers]),
        day_discount=calendar.discount_factor()[first_index:],
        day_month=calendar.month[first_index:].astype(np.int64) - 1,
        first_transaction_id=first_transaction_id,
        stream_suffix=(first_index,),
    )


def generate_next_days(
    raw_dir: Path,
    n_days: int,
    *,
    chunk_size: int,
    workers: int,
    progress: Progress = NO_PROGRESS,
) -> tuple[Path, dict[str, int]]:
    """Write the batch of the ``n_days`` days after the dataset; return its folder and rows per file."""
    raw_dir = Path(raw_dir)
    recorded = read_manifest(raw_dir)
    if recorded is None:
        raise InputFileError(
            f"{raw_dir} has no {MANIFEST_FILE}: --next-days continues only a dataset made by "
            "`clustr-etl generate`",
            "for imported data, import the later export instead",
        )
    if not 1 <= n_days <= (DAYS.le or 0):
        raise ConfigError(f"--next-days must be between 1 and {DAYS.le}, got {n_days}")
    options = dataclasses.replace(recorded, chunk_size=chunk_size, workers=workers)
    for name in TABLE_FILES.values():
        if not (raw_dir / name).is_file():
            raise InputFileError(f"{raw_dir / name} not found", "run `clustr-etl generate` first")
    batches = find_batches(raw_dir)
    first_index = _check_continuous(options, batches)
    plan = build_plan(options)
    taken = set(plan.customers.emails)
    customers = [plan.customers]
    for batch in batches:
        start = (batch.first_day - options.start_date).days
        customers.append(_batch_customers(options, start, batch.n_days, taken))
    first_customer_id = sum(group.n_customers for group in customers) + 1
    customers.append(_batch_customers(options, first_index, n_days, taken))
    folders = [raw_dir, *(batch.path for batch in batches)]
    last_transaction = _last_id([folder / TABLE_FILES["transactions"] for folder in folders])
    last_sale = _last_id([folder / TABLE_FILES["sales"] for folder in folders])
    model = _model(plan, customers, first_index, n_days, last_transaction)
    first_day = options.start_date + timedelta(days=first_index)
    last_day = first_day + timedelta(days=n_days - 1)
    number = batches[-1].number + 1 if batches else 1
    target = raw_dir / BATCHES_DIR / batch_name(number, first_day, last_day)
    return target, _write_batch(
        target, plan, model, customers[-1], first_customer_id, last_sale, progress
    )


def _write_batch(
    target: Path,
    plan: Plan,
    model: BasketModel,
    new_customers: Customers,
    first_customer_id: int,
    last_sale: int,
    progress: Progress,
) -> dict[str, int]:
    options = plan.options
    first_index = model.stream_suffix[0]
    calendar = build_calendar(options.start_date, first_index + model.day_discount.size)
    rows: dict[str, int] = {}
    with batch_folder(target) as work, staged(work) as files:
        timeframe = calendar.table().slice(first_index)
        rows[TABLE_FILES["timeframe"]] = write_table(files, "timeframe", timeframe, progress)
        if new_customers.n_customers:
            table = new_customers.table(options.start_date, first_customer_id)
            rows[TABLE_FILES["customers"]] = write_table(files, "customers", table, progress)
        rows.update(write_facts(files, model, options, progress, last_sale + 1))
    return rows
