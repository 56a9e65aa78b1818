"""The mining step: read the baskets (database, file or Spark), mine, name, write the CSV, load the rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from clustr_etl.config.settings import Settings
from clustr_etl.config.specs import InputFormat, MinerEngine
from clustr_etl.dataset.rule_columns import DEFAULT_SCOPE
from clustr_etl.errors import ConfigError
from clustr_etl.loading import load_rule_chunks, load_rule_rows, rules_frame
from clustr_etl.mining import (
    Baskets,
    MiningEngine,
    RuleThresholds,
    read_basket_file,
    read_sales_csv,
    write_rule_text,
)
from clustr_etl.mining.rule_rows import with_names
from clustr_etl.mining.scopes import ScopedRules, mine_scopes, scoped
from clustr_etl.mining.selection import BasketSelection, Scope, SelectedBaskets, select_baskets
from clustr_etl.progress import NO_PROGRESS, Progress
from clustr_etl.run.context import RunContext, StepResult, no_wait_message, open_run, timed
from clustr_etl.store.backends import OnWait
from clustr_etl.store.models import DATA_TABLES, Product

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MineRequest:
    """What `mine-rules` was asked beyond the mining settings: where the baskets come from, which
    window and groups, which engine, and where the rules go."""

    by: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    last_days: int | None = None
    input_path: Path | None = None
    input_format: InputFormat = InputFormat.sales
    engine_name: MinerEngine = MinerEngine.fast
    spark_master: str | None = None
    output: Path | None = None
    load: bool = True

    def selection(self, include_non_merchandise: bool) -> BasketSelection:
        return BasketSelection(
            by=self.by,
            since=self.since,
            until=self.until,
            last_days=self.last_days,
            include_non_merchandise=include_non_merchandise,
        )

    def recorded_options(self) -> dict[str, object]:
        """The request as the run ledger records it."""
        return {
            "by": self.by,
            "since": str(self.since) if self.since else None,
            "until": str(self.until) if self.until else None,
            "last_days": self.last_days,
            "input": str(self.input_path) if self.input_path else None,
            "format": str(self.input_format),
            "engine": str(self.engine_name),
            "output": str(self.output) if self.output else None,
            "spark_master": self.spark_master,
        }


def rule_thresholds(settings: Settings) -> RuleThresholds:
    """The mining thresholds of the settings."""
    return settings.mining


def mine(
    settings: Settings,
    request: MineRequest,
    *,
    progress: Progress = NO_PROGRESS,
    on_wait: OnWait = no_wait_message,
) -> MineResult:
    """`mine-rules` as a library call: one recorded run (unlocked and unrecorded without ``load``,
    since only loading bundle_rules writes)."""
    selection = request.selection(settings.mining.include_non_merchandise)
    with open_run(
        settings, "mine-rules", request.recorded_options(), on_wait=on_wait, recorded=request.load
    ) as run:
        return run.run_step(
            mine_step,
            input_path=request.input_path,
            input_format=request.input_format,
            engine_name=request.engine_name,
            output=request.output,
            load=request.load,
            selection=selection,
            spark_master=request.spark_master,
            progress=progress,
        )


def read_scopes(
    run: RunContext,
    input_path: Path | None,
    input_format: InputFormat,
    selection: BasketSelection,
) -> SelectedBaskets:
    """The baskets to mine: from the database (window, groups, merchandise) or from a file."""
    if input_path is None:
        run.require_schema(DATA_TABLES)
        return select_baskets(run.engine, selection)
    if selection.needs_transactions:
        raise ConfigError(
            "--by, --since, --until and --last-days need the database's transactions",
            "leave out --input to mine the database",
        )
    baskets = read_input_file(input_path, input_format)
    return SelectedBaskets([Scope(DEFAULT_SCOPE, baskets, None, None)], 0)


def read_input_file(input_path: Path, input_format: InputFormat) -> Baskets:
    """The baskets of a sales CSV, a basket file or a Parquet sales folder."""
    if input_path.is_dir():
        from clustr_etl.mining.parquet_input import read_sales_parquet

        return read_sales_parquet(input_path)
    if input_format == InputFormat.basket:
        return read_basket_file(input_path)
    return read_sales_csv(input_path)


def product_names(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Product.product_id, Product.name)).all()
    return {str(product_id): name for product_id, name in rows}


STREAM_ROWS = 100_000  # rules named, written and loaded at a time


@dataclass(frozen=True)
class NamedRules:
    """The mined rules with product names when there are names, a chunk at a time."""

    mined: ScopedRules
    names: dict[str, str] | None = None

    def frames(self) -> Iterator[pd.DataFrame]:
        for frame in self.mined.frames(STREAM_ROWS):
            yield self.named(frame)

    def csv_chunks(self) -> Iterator[bytes | memoryview]:
        """The rules CSV, header first, a chunk at a time."""
        return self.mined.csv_chunks(STREAM_ROWS, self.names)

    def named(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame if self.names is None else with_names(frame, self.names)


@dataclass
class MineResult:
    """The mining step's result and the rules it wrote."""

    report: StepResult
    written: NamedRules

    @property
    def rules(self) -> pd.DataFrame:
        """Every rule written, in one frame."""
        return self.written.named(self.written.mined.rules)

    def top_rules(self, count: int) -> pd.DataFrame:
        """The first ``count`` rules of each scope: they hold the ``count`` best by lift."""
        return self.written.named(self.written.mined.head(count))

    @property
    def step_result(self) -> StepResult:
        return self.report


def mine_step(
    run: RunContext,
    *,
    input_path: Path | None = None,
    input_format: InputFormat = InputFormat.sales,
    engine_name: MinerEngine = MinerEngine.fast,
    output: Path | None = None,
    load: bool = True,
    selection: BasketSelection | None = None,
    spark_master: str | None = None,
    progress: Progress = NO_PROGRESS,
) -> MineResult:
    settings = run.settings
    thresholds = rule_thresholds(settings)
    if selection is None:
        selection = BasketSelection(include_non_merchandise=thresholds.include_non_merchandise)
    if spark_master is not None and engine_name != "spark":
        raise ConfigError("--spark-master needs --engine spark")
    output_path = output if output is not None else settings.rules_path
    needs_db = load or input_path is None
    if thresholds.top_k and engine_name != MinerEngine.fast:
        raise ConfigError(
            f"--top-k is not available with --engine {engine_name}",
            "leave out --engine (the fast miner searches the top rules)",
        )
    with timed(StepResult("mine-rules")) as report:
        if engine_name == "spark":
            if selection.needs_transactions:
                raise ConfigError(
                    "--by, --since, --until and --last-days need the database's transactions",
                    "mine them with the fast engine (leave out --engine spark)",
                )
            mined, n_baskets = mine_on_spark(
                input_path, input_format, thresholds, spark_master, progress
            )
            non_merchandise_lines = 0
        else:
            selected = read_scopes(run, input_path, input_format, selection)
            in_process: MiningEngine = "mlxtend" if engine_name == MinerEngine.mlxtend else "fast"
            mined = mine_scopes(selected, thresholds, in_process, progress)
            n_baskets = selected.scopes[0].baskets.n_transactions
            non_merchandise_lines = selected.non_merchandise_lines
        names = product_names(run.engine) if needs_db and input_format == "sales" else None
        rules = NamedRules(mined, names)
        write_rule_text(rules.csv_chunks(), output_path)
        report.rows = {"baskets": n_baskets, "rules": len(mined)}
        if non_merchandise_lines:
            report.rows["non-merchandise lines left out"] = non_merchandise_lines
        warnings = [f"Warning: {warning}" for warning in mined.warnings]
        report.detail = "\n".join([str(output_path), *mined.notes, *warnings])
        if load:
            run.require_schema()
            report.rows["bundle_rules"] = load_mined(run, rules)
    return MineResult(report, rules)


def load_mined(run: RunContext, rules: NamedRules) -> int:
    """Replace bundle_rules and bundle_rule_items by the mined rules: rows made from the numbers
    when the fast miner made them, else from the rules' frames."""
    stored = rules.mined.stored(rules_frame, rules.names, run.run_id)
    if stored is not None:
        return load_rule_rows(
            run.engine,
            (stored.rule_csv, stored.rule_batches),
            (stored.item_csv, stored.item_batches),
            total=len(rules.mined),
            schema_checked=True,
            wait=run.lock_wait,
        )
    return load_rule_chunks(
        run.engine,
        rules.frames,
        run_id=run.run_id,
        schema_checked=True,
        wait=run.lock_wait,
        total=len(rules.mined),
    )


def mine_on_spark(
    input_path: Path | None,
    input_format: InputFormat,
    thresholds: RuleThresholds,
    master: str | None,
    progress: Progress,
) -> tuple[ScopedRules, int]:
    """Mine ``input_path`` with Spark's FPGrowth (scope 'all'): the rules and the number of baskets."""
    if input_path is None:
        raise ConfigError(
            "--engine spark mines files: give --input",
            "a sales CSV, a basket file or a Parquet folder such as <data dir>/raw/sales",
        )
    if thresholds.max_basket_size:
        raise ConfigError(
            "--max-basket-size is not available with --engine spark",
            "leave it out, or mine with the fast engine",
        )
    from clustr_etl.mining.budget import mine_within_budget
    from clustr_etl.spark.mining import mine_rules_spark

    # The budget's pre-check: the fast miner counts the itemsets level by level (seconds, bounded
    # memory) so an explosive input stops with one line instead of a JVM out of memory.
    fitted = mine_within_budget(read_input_file(input_path, input_format), thresholds, progress)
    thresholds = fitted.thresholds
    del fitted.itemsets.levels[:]
    mined, baskets = mine_rules_spark(
        input_path, input_format, thresholds, master=master, progress=progress
    )
    mined = dataclasses.replace(
        mined, thresholds=thresholds, notes=[fitted.note] if fitted.note else []
    )
    if baskets.duplicates:
        log.warning("dropped %d duplicate items in baskets", baskets.duplicates)
    return scoped(mined, thresholds, baskets.n_transactions), baskets.n_transactions
