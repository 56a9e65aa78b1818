"""The `clustr-etl` command line: parse options, build settings, call a library function, print."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from clustr_etl import option_specs as spec
from clustr_etl.errors import ClustrError
from clustr_etl.interrupts import (
    SIGINT_EXIT_CODE,
    begin_leaving,
    exit_code_for,
    interrupt_message,
    received_signal,
)

if TYPE_CHECKING:  # the heavy modules load inside the commands, so --help stays instant
    from clustr_etl.backends import OnWait
    from clustr_etl.console import RichProgress
    from clustr_etl.pipeline import StepReport
    from clustr_etl.settings import Settings


@dataclass
class AppState:
    verbose: bool = False
    quiet: bool = False


class ClustrGroup(TyperGroup):
    """Turns every expected failure into one red line and an exit code (traceback with -v)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        state = AppState()
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, obj=state, **extra
            )
        except CommandInterrupted as err:  # Ctrl-C or SIGTERM; the work was rolled back
            _leave_interrupted(err.exit_code)
        except typer.Abort:
            _leave_interrupted(SIGINT_EXIT_CODE)
        except Exception as err:
            signum = received_signal()
            if signum is not None:  # the error is the interrupt's doing (a library wrapped it)
                _leave_interrupted(128 + signum)
            _fail(err, state)
        if (
            result == SIGINT_EXIT_CODE
        ):  # Typer's silent exit for an interrupt between parsing and invoking
            _leave_interrupted(SIGINT_EXIT_CODE)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result

    # Typer turns KeyboardInterrupt into a silent exit 130; keep SIGTERM's 143 and say what happened,
    # whether it arrives while the options are parsed (modules still importing) or while the command runs.
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as err:
            raise CommandInterrupted(exit_code_for(err)) from err

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as err:
            raise CommandInterrupted(exit_code_for(err)) from err


class CommandInterrupted(Exception):
    """Ctrl-C (exit 130) or SIGTERM (exit 143) stopped a command."""

    def __init__(self, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(interrupt_message(exit_code))


def _leave_interrupted(exit_code: int) -> NoReturn:
    if begin_leaving():  # one line, however many ways the interrupt surfaced
        print_error(interrupt_message(exit_code))
    sys.exit(exit_code)


def _fail(err: Exception, state: AppState) -> NoReturn:
    """One red line and the exit code for an expected failure; anything else is a bug and raises."""
    if isinstance(err, typer.TyperException):  # usage errors: bad options, unknown commands
        if type(err).__name__ == "NoArgsIsHelpError":
            typer.echo(err.format_message())
            sys.exit(2)
        ctx = getattr(err, "ctx", None)
        command = ctx.command_path if ctx is not None else "clustr-etl"
        print_error(f"{err.format_message()} (see `{command} --help`)")
        sys.exit(err.exit_code)
    if isinstance(err, ClustrError):
        _show_traceback(state)
        print_error(str(err))
        sys.exit(err.exit_code)
    if isinstance(err, OSError):
        _show_traceback(state)
        print_error(f"{err.strerror or err}: {err.filename or ''}".rstrip(": "))
        sys.exit(1)
    if _is_driver_error(err):
        _show_traceback(state)
        from clustr_etl.backends.scrub import driver_error_line

        print_error(f"database error: {driver_error_line(err)}")
        sys.exit(1)
    raise err


def _is_driver_error(err: Exception) -> bool:
    """A SQLAlchemy DBAPIError (only possible once a command has imported SQLAlchemy)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(err, exc.DBAPIError)


def print_error(message: str) -> None:
    from clustr_etl.console import print_error as print_red

    print_red(message)


def _show_traceback(state: AppState) -> None:
    if state.verbose:
        traceback.print_exc()


app = typer.Typer(
    cls=ClustrGroup,
    help="Clustr's data foundation: generate retail data, create the schema, load, mine bundles.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class InputFormat(StrEnum):
    sales = "sales"
    basket = "basket"


class OutputFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class GeneratorEngine(StrEnum):
    local = "local"
    spark = "spark"


class MinerEngine(StrEnum):
    fast = "fast"
    mlxtend = "mlxtend"
    spark = "spark"


def setting(option: spec.OptionSpec) -> Any:
    """The CLI option of a setting: flag, help, range, env variable and default all from its spec.

    The value is validated once, by the settings model (one line naming option and env variable)."""
    flag = option.flag
    if isinstance(option.default, bool):  # an on/off switch: --prune-redundant/--no-prune-redundant
        flag = f"{flag}/--no-{flag.removeprefix('--')}"
    return typer.Option(flag, help=option.help_text(), show_default=False)


DatabaseUrl = Annotated[str | None, setting(spec.DATABASE_URL)]
DataDir = Annotated[Path | None, setting(spec.DATA_DIR)]
LockTimeout = Annotated[float | None, setting(spec.LOCK_TIMEOUT)]
Seed = Annotated[int | None, setting(spec.SEED)]
Customers = Annotated[int | None, setting(spec.CUSTOMERS)]
Products = Annotated[int | None, setting(spec.PRODUCTS)]
Days = Annotated[int | None, setting(spec.DAYS)]
StartDate = Annotated[str | None, setting(spec.START_DATE)]
Transactions = Annotated[int | None, setting(spec.TRANSACTIONS)]
MaxItems = Annotated[int | None, setting(spec.MAX_ITEMS)]
MeanItems = Annotated[float | None, setting(spec.MEAN_ITEMS)]
ChunkSize = Annotated[int | None, setting(spec.CHUNK_SIZE)]
Workers = Annotated[int | None, setting(spec.WORKERS)]
MinSupport = Annotated[float | None, setting(spec.MIN_SUPPORT)]
MinConfidence = Annotated[float | None, setting(spec.MIN_CONFIDENCE)]
MinLift = Annotated[float | None, setting(spec.MIN_LIFT)]
MinLen = Annotated[int | None, setting(spec.MIN_LEN)]
MaxLen = Annotated[int | None, setting(spec.MAX_LEN)]
MinCount = Annotated[int | None, setting(spec.MIN_COUNT)]
MaxConsequentLen = Annotated[int | None, setting(spec.MAX_CONSEQUENT_LEN)]
MaxP = Annotated[float | None, setting(spec.MAX_P)]
PAdjust = Annotated[str | None, setting(spec.P_ADJUST)]
PruneRedundant = Annotated[bool | None, setting(spec.PRUNE_REDUNDANT)]
IncludeNonMerchandise = Annotated[bool | None, setting(spec.INCLUDE_NON_MERCHANDISE)]
Day = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD, inclusive", show_default=False),
]
SparkMaster = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine spark: local[*] (default), spark://host:7077, yarn, k8s://...",
    ),
]


def state_of(ctx: typer.Context) -> AppState:
    state = ctx.obj
    return state if isinstance(state, AppState) else AppState()


def progress_for(ctx: typer.Context) -> RichProgress:
    from clustr_etl.console import RichProgress

    return RichProgress(quiet=state_of(ctx).quiet)


def wait_notice(ctx: typer.Context) -> OnWait:
    """Say on stderr that we wait for another writer (not with --quiet)."""
    quiet = state_of(ctx).quiet

    def notice(message: str) -> None:
        from clustr_etl.console import stderr as stderr_console

        if not quiet:
            stderr_console.print(
                f"Waiting: {message}", markup=False, highlight=False, soft_wrap=True
            )

    return notice


def show_reports(ctx: typer.Context, reports: Sequence[StepReport]) -> None:
    from clustr_etl.console import print_reports

    print_reports(reports, quiet=state_of(ctx).quiet)


def version_callback(value: bool) -> None:
    if value:
        from clustr_etl import __version__

        typer.echo(f"clustr-etl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="show debug logs and tracebacks")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print errors only")] = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=version_callback, is_eager=True, help="show version"),
    ] = None,
) -> None:
    state = state_of(ctx)
    state.verbose, state.quiet = verbose, quiet
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def settings_from(ctx: typer.Context, *others: str) -> Settings:
    """Settings from the command's options: every option but ``others`` must be a setting.

    A misnamed option raises TypeError (in load_settings) instead of being dropped silently."""
    from clustr_etl.settings import load_settings

    return load_settings(**{k: v for k, v in ctx.params.items() if k not in others})


@app.command()
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
    force: Annotated[bool, typer.Option(help="overwrite existing CSV files")] = False,
    next_days: Annotated[
        int | None,
        typer.Option(
            help="continue the generated dataset: write the next N days as a batch under "
            "<data dir>/raw/batches/ (its options come from the dataset's manifest)"
        ),
    ] = None,
    data_dir: DataDir = None,
    like: Annotated[
        Path | None,
        typer.Option("--like", help="generate a synthetic twin fitted to this raw/ folder"),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="generate a twin from a fitted model file (twin_model.json)"),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="csv files, or parquet: one dataset folder per table"),
    ] = OutputFormat.csv,
    engine: Annotated[
        GeneratorEngine,
        typer.Option(
            help="spark: draw the transaction blocks in Spark tasks (with --format parquet)"
        ),
    ] = GeneratorEngine.local,
    spark_master: SparkMaster = None,
) -> None:
    """Write a synthetic retail dataset as CSV files (or Parquet folders) to <data dir>/raw/."""
    from clustr_etl import pipeline

    if spark_master is not None and engine != GeneratorEngine.spark:
        raise typer.BadParameter("--spark-master needs --engine spark", param_hint="--spark-master")
    settings = settings_from(
        ctx, "force", "like", "model", "next_days", "output_format", "engine", "spark_master"
    )
    progress = progress_for(ctx)
    if next_days is not None:
        report = pipeline.next_days_step(settings, next_days, progress=progress)
    elif like is not None or model is not None:
        report = pipeline.generate_twin_step(
            settings, like=like, model_file=model, products=products, force=force, progress=progress
        )
    else:
        report = pipeline.generate_step(
            settings,
            force=force,
            progress=progress,
            output_format=output_format.value,
            on_spark=engine == GeneratorEngine.spark,
            spark_master=spark_master,
        )
    show_reports(ctx, [report])


@app.command("import")
def import_command(
    ctx: typer.Context,
    sources: Annotated[
        list[Path],
        typer.Argument(help="export files (or the Instacart folder)", show_default=False),
    ],
    preset: Annotated[
        str,
        typer.Option(
            help="online-retail, online-retail-ii, instacart or lines", show_default=False
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="TOML column mapping (--preset lines)")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="keep only lines of this country (repeatable)")
    ] = None,
    since: Annotated[str | None, typer.Option(help="keep lines from this day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="keep lines up to this day, YYYY-MM-DD")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="text encoding of CSV sources [default: UTF-8, else cp1252]")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite existing CSV files")] = False,
    append: Annotated[
        bool,
        typer.Option(
            help="add a later export as the next batch under raw/batches/ (known keys keep their ids)"
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import a retailer's export into <data dir>/raw/ (the CSVs `load` reads) and import_report.json."""
    from clustr_etl import pipeline
    from clustr_etl.console import stdout
    from clustr_etl.importing import ImportOptions, parse_day
    from clustr_etl.importing.summary import render_import_summary

    settings = settings_from(
        ctx,
        "sources",
        "preset",
        "mapping",
        "country",
        "since",
        "until",
        "encoding",
        "force",
        "append",
    )
    if append and force:
        raise typer.BadParameter("--append writes a new batch and never overwrites: drop --force")
    options = ImportOptions(
        sources=tuple(sources),
        preset=preset,
        mapping=mapping,
        countries=tuple(country or ()),
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        encoding=encoding,
    )
    report, details = pipeline.import_step(
        settings, options, force=force, append=append, progress=progress_for(ctx)
    )
    if not state_of(ctx).quiet and "totals" in details:
        render_import_summary(details, stdout)
    show_reports(ctx, [report])


@app.command("init-db")
def init_db(
    ctx: typer.Context,
    drop: Annotated[
        bool, typer.Option(help="drop and recreate every table (deletes data)")
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Create the tables that are missing (all of them with --drop)."""
    from clustr_etl import pipeline

    settings = settings_from(ctx, "drop")
    with pipeline.open_run(settings, "init-db", {"drop": drop}, on_wait=wait_notice(ctx)) as run:
        report = run.run_step(pipeline.init_db_step, drop=drop)
    show_reports(ctx, [report])


@app.command()
def migrate(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Upgrade the database schema to this release's, keeping the data (0.1.0 databases too)."""
    from clustr_etl import pipeline

    settings = settings_from(ctx)
    with pipeline.open_run(settings, "migrate", on_wait=wait_notice(ctx)) as run:
        report = run.run_step(pipeline.migrate_step)
    show_reports(ctx, [report])


@app.command()
def load(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None,
        typer.Argument(
            help="tables to replace (default: all, in dependency order); "
            "with --append: the batch folder to add"
        ),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="let a CSV with no rows replace a table that has rows"),
    ] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            help="add rows instead of replacing tables: the given batch folder, or every batch "
            "under <data dir>/raw/batches/ not loaded yet",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Load the CSV files into the database: all tables, or only the named ones (base + batches)."""
    from clustr_etl import pipeline
    from clustr_etl.errors import ConfigError

    settings = settings_from(ctx, "tables", "allow_empty", "append")
    if append and len(tables or []) > 1:
        raise ConfigError(
            "--append takes one batch folder", "e.g. load --append data/raw/batches/0001-..."
        )
    folder = Path(tables[0]) if append and tables else None
    options = {"tables": tables or "all", "allow_empty": allow_empty, "append": append}
    progress = progress_for(ctx)
    with pipeline.open_run(settings, "load", options, on_wait=wait_notice(ctx)) as run:
        if not append:
            reports = [
                run.run_step(
                    pipeline.load_step, tables or None, allow_empty=allow_empty, progress=progress
                )
            ]
        else:
            reports = [
                run.run_step(pipeline.append_step, pending, progress=progress)
                for pending in pipeline.pending_batches(run, folder)
            ]
    if append and not reports:
        reports = [pipeline.StepReport("append", detail="no batch to append: all are loaded")]
    show_reports(ctx, reports)


@app.command("mine-rules")
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
    """Mine association rules (bundles), write baseline_rules.csv and load bundle_rules."""
    from clustr_etl import pipeline
    from clustr_etl.mining.selection import BasketSelection

    settings = settings_from(
        ctx,
        *("input_path", "input_format", "engine", "spark_master", "output", "no_load", "top"),
        *("by", "since", "until", "last_days"),
    )
    selection = BasketSelection(
        by=by,
        since=since.date() if since else None,
        until=until.date() if until else None,
        last_days=last_days,
        include_non_merchandise=settings.mining.include_non_merchandise,
    )
    options = {
        "by": by,
        "since": str(selection.since) if selection.since else None,
        "until": str(selection.until) if selection.until else None,
        "last_days": last_days,
        "input": str(input_path) if input_path else None,
        "format": input_format.value,
        "engine": engine.value,
        "output": str(output) if output else None,
        "spark_master": spark_master,
    }
    with pipeline.open_run(
        settings, "mine-rules", options, on_wait=wait_notice(ctx), recorded=not no_load
    ) as run:  # only loading bundle_rules writes; --no-load runs unlocked and unrecorded
        result = run.run_step(
            pipeline.mine_step,
            input_path=input_path,
            input_format=input_format.value,
            engine_name=engine.value,
            output=output,
            load=not no_load,
            selection=selection,
            spark_master=spark_master,
            progress=progress_for(ctx),
        )
    from clustr_etl.console import print_reports, print_rules

    quiet = state_of(ctx).quiet
    print_reports([result.report], quiet=quiet)
    if top and not quiet:
        print_rules(result.rules, top)


@app.command()
def evaluate(
    ctx: typer.Context,
    test_days: Annotated[
        int | None,
        typer.Option("--test-days", min=1, help="test on the last N days (default 30)"),
    ] = None,
    cutoff: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="first test day, YYYY-MM-DD (instead of --test-days)"
        ),
    ] = None,
    max_cases: Annotated[
        int | None,
        typer.Option(
            "--max-cases", min=1, help="score a seeded sample of N cases (default: all cases)"
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="seed of --max-cases, the random baseline and the bootstrap", min=0)
    ] = 42,
    by: Annotated[
        str | None,
        typer.Option("--by", help="also score each customer group's own rules: segment or city"),
    ] = None,
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
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Mine the days before a cutoff, then score the rules as recommendations on the later baskets
    against popularity, co-occurrence and random (<data dir>/evaluation.json, rule_evaluations)."""
    from clustr_etl import pipeline
    from clustr_etl.evaluation.options import EvaluationOptions

    settings = settings_from(ctx, "test_days", "cutoff", "max_cases", "seed", "by")
    options = EvaluationOptions(max_cases=max_cases, seed=seed, by=by)
    recorded = {"test_days": test_days, "cutoff": str(cutoff.date()) if cutoff else None}
    recorded |= {"max_cases": max_cases, "seed": seed, "by": by}
    with pipeline.open_run(settings, "evaluate", recorded, on_wait=wait_notice(ctx)) as run:
        result = run.run_step(
            pipeline.evaluate_step,
            test_days=test_days,
            cutoff=cutoff.date() if cutoff else None,
            options=options,
            progress=progress_for(ctx),
        )
    if not state_of(ctx).quiet:
        from clustr_etl.console import stdout
        from clustr_etl.evaluation.table import render_evaluation

        render_evaluation(result.evaluation, stdout)
    show_reports(ctx, [result.report])


@app.command("run-all")
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
    """Create the schema, generate the CSVs if missing, load them, mine and load the rules."""
    from clustr_etl import pipeline

    settings = settings_from(ctx, "regenerate", "report", "evaluate")
    options = {"regenerate": regenerate, "report": report, "evaluate": evaluate}
    with pipeline.open_run(settings, "run-all", options, on_wait=wait_notice(ctx)) as run:
        reports = pipeline.run_all(
            run,
            regenerate=regenerate,
            progress=progress_for(ctx),
            report=report,
            evaluate=evaluate,
        )
    show_reports(ctx, reports)


@app.command()
def report(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option(help="HTML file to write [default <data dir>/report.html]")
    ] = None,
    top: Annotated[
        int,
        typer.Option(help="rules in the table, best first by lift (at most 5000)", min=0, max=5000),
    ] = 1000,
    input_dir: Annotated[
        Path | None,
        typer.Option(
            "--input", help="report the raw CSV folder (and --rules) instead of the database"
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(help="rules CSV read with --input [default <data dir>/baseline_rules.csv]"),
    ] = None,
    open_page: Annotated[
        bool, typer.Option("--open", help="open the page in the web browser when written")
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Write one self-contained HTML page about the dataset and its bundle rules (works offline)."""
    from clustr_etl import pipeline

    settings = settings_from(ctx, "output", "top", "input_dir", "rules", "open_page")
    step = pipeline.report_step(
        settings, output=output, top=top, input_dir=input_dir, rules_path=rules
    )
    show_reports(ctx, [step])
    if open_page:
        import webbrowser

        webbrowser.open((output or settings.data_dir / "report.html").resolve().as_uri())


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object (stable keys) for scripts")
    ] = False,
    runs: Annotated[int, typer.Option(help="how many recent runs to show", min=0)] = 10,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Show the database, whether its schema is current, rows per table and the last runs.

    Exit code 0 when the database is reachable and its schema current, else 1. Never writes.
    """
    from clustr_etl.console import stdout as stdout_console
    from clustr_etl.status import collect_status, render_status

    settings = settings_from(ctx, "as_json", "runs")
    report = collect_status(settings.database_url_value, last_runs=runs)
    if as_json:
        import json

        typer.echo(json.dumps(report.to_json(), indent=2))
    elif not state_of(ctx).quiet:
        render_status(report, stdout_console)
    if report.exit_code and report.problem:
        print_error(report.problem)
    raise typer.Exit(report.exit_code)


def main() -> None:
    """The console script (kept for callers of ``clustr_etl.cli:main``)."""
    from clustr_etl.launch import main as launch

    launch()
