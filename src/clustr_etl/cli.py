"""The `clustr-etl` command line: parse options, build settings, call a library function, print."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from clustr_etl import __version__, pipeline
from clustr_etl.console import RichProgress, print_error, print_reports, print_rules
from clustr_etl.console import stderr as stderr_console
from clustr_etl.console import stdout as stdout_console
from clustr_etl.errors import ClustrError
from clustr_etl.interrupts import SIGTERM_EXIT_CODE, exit_code_for, install_signal_handlers
from clustr_etl.run_context import open_run
from clustr_etl.settings import Settings, load_settings
from clustr_etl.status import collect_status, render_status

if TYPE_CHECKING:
    from clustr_etl.backends import OnWait


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
            print_error(str(err))
            sys.exit(err.exit_code)
        except typer.Abort:
            print_error("interrupted")
            sys.exit(130)
        except typer.TyperException as err:  # usage errors: bad options, unknown commands
            if type(err).__name__ == "NoArgsIsHelpError":
                typer.echo(err.format_message())
                sys.exit(2)
            ctx = getattr(err, "ctx", None)
            command = ctx.command_path if ctx is not None else "clustr-etl"
            print_error(f"{err.format_message()} (see `{command} --help`)")
            sys.exit(err.exit_code)
        except ClustrError as err:
            _show_traceback(state)
            print_error(str(err))
            sys.exit(err.exit_code)
        except DBAPIError as err:
            _show_traceback(state)
            from clustr_etl.backends.scrub import driver_error_line

            print_error(f"database error: {driver_error_line(err)}")
            sys.exit(1)
        except OSError as err:
            _show_traceback(state)
            print_error(f"{err.strerror or err}: {err.filename or ''}".rstrip(": "))
            sys.exit(1)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result

    def invoke(self, ctx: Any) -> Any:
        # Typer turns KeyboardInterrupt into a silent exit 130; keep SIGTERM's 143 and say what happened.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as err:
            raise CommandInterrupted(exit_code_for(err)) from err


class CommandInterrupted(Exception):
    """Ctrl-C (exit 130) or SIGTERM (exit 143) stopped a command."""

    def __init__(self, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(
            "terminated (SIGTERM)" if exit_code == SIGTERM_EXIT_CODE else "interrupted (Ctrl-C)"
        )


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


class MinerEngine(StrEnum):
    fast = "fast"
    mlxtend = "mlxtend"


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL [env CLUSTR_DATABASE_URL; default sqlite:///<data dir>/clustr.db]",
        show_default=False,
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="data folder [env CLUSTR_DATA_DIR; default data]"),
]
Seed = Annotated[int | None, typer.Option(help="random seed [env CLUSTR_SEED; default 42]")]
Customers = Annotated[int | None, typer.Option(help="customers [default 5000]")]
Products = Annotated[int | None, typer.Option(help="products [default 1000]")]
Days = Annotated[int | None, typer.Option(help="days in the calendar [default 730]")]
StartDate = Annotated[
    str | None, typer.Option("--start-date", help="first day, YYYY-MM-DD [default 2024-01-01]")
]
Transactions = Annotated[int | None, typer.Option(help="transactions [default 100000]")]
MaxItems = Annotated[int | None, typer.Option("--max-items", help="most lines per basket [30]")]
MeanItems = Annotated[float | None, typer.Option("--mean-items", help="mean lines per basket")]
ChunkSize = Annotated[int | None, typer.Option("--chunk-size", help="transactions per chunk")]
Workers = Annotated[
    int | None, typer.Option(help="generator worker processes [default: CPU cores, at most 4]")
]
MinSupport = Annotated[float | None, typer.Option("--min-support", help="min support, (0, 1]")]
MinConfidence = Annotated[
    float | None, typer.Option("--min-confidence", help="min confidence, (0, 1]")
]
MinLift = Annotated[
    float | None, typer.Option("--min-lift", help="keep rules with lift above this; 0 = off")
]
MinLen = Annotated[int | None, typer.Option("--min-len", help="min items per rule [2]")]
MaxLen = Annotated[int | None, typer.Option("--max-len", help="max items per rule [10]")]
LockTimeout = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout",
        help="seconds to wait while another command writes to the database "
        "[env CLUSTR_LOCK_TIMEOUT; default 60]",
    ),
]


def state_of(ctx: typer.Context) -> AppState:
    state = ctx.obj
    return state if isinstance(state, AppState) else AppState()


def progress_for(ctx: typer.Context) -> RichProgress:
    return RichProgress(quiet=state_of(ctx).quiet)


def wait_notice(ctx: typer.Context) -> OnWait:
    """Say on stderr that we wait for another writer (not with --quiet)."""
    quiet = state_of(ctx).quiet

    def notice(message: str) -> None:
        if not quiet:
            stderr_console.print(
                f"Waiting: {message}", markup=False, highlight=False, soft_wrap=True
            )

    return notice


def version_callback(value: bool) -> None:
    if value:
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


def settings_from(**options: Any) -> Settings:
    return load_settings(**options)


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
    data_dir: DataDir = None,
) -> None:
    """Write a synthetic retail dataset as CSV files to <data dir>/raw/."""
    settings = settings_from(**_without(locals(), "ctx", "force"))
    report = pipeline.generate_step(settings, force=force, progress=progress_for(ctx))
    print_reports([report], quiet=state_of(ctx).quiet)


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
    settings = settings_from(
        database_url=database_url, data_dir=data_dir, lock_timeout=lock_timeout
    )
    with open_run(settings, "init-db", {"drop": drop}, on_wait=wait_notice(ctx)) as run:
        report = run.run_step(pipeline.init_db_step, drop=drop)
    print_reports([report], quiet=state_of(ctx).quiet)


@app.command()
def migrate(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Upgrade the database schema to this release's, keeping the data (0.1.0 databases too)."""
    settings = settings_from(
        database_url=database_url, data_dir=data_dir, lock_timeout=lock_timeout
    )
    with open_run(settings, "migrate", on_wait=wait_notice(ctx)) as run:
        report = run.run_step(pipeline.migrate_step)
    print_reports([report], quiet=state_of(ctx).quiet)


@app.command()
def load(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None,
        typer.Argument(help="tables to replace (default: all, in dependency order)"),
    ] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Load the CSV files into the database: all tables, or only the named ones."""
    settings = settings_from(
        database_url=database_url, data_dir=data_dir, lock_timeout=lock_timeout
    )
    options = {"tables": tables or "all"}
    with open_run(settings, "load", options, on_wait=wait_notice(ctx)) as run:
        report = run.run_step(pipeline.load_step, tables or None, progress=progress_for(ctx))
    print_reports([report], quiet=state_of(ctx).quiet)


@app.command("mine-rules")
def mine_rules(
    ctx: typer.Context,
    min_support: MinSupport = None,
    min_confidence: MinConfidence = None,
    min_lift: MinLift = None,
    min_len: MinLen = None,
    max_len: MaxLen = None,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", help="mine this file instead of the database's transactions"),
    ] = None,
    input_format: Annotated[
        InputFormat,
        typer.Option(
            "--format",
            help="sales: CSV with transaction_id,product_id; "
            "basket: one comma-separated basket per line",
        ),
    ] = InputFormat.sales,
    engine: Annotated[MinerEngine, typer.Option(help="mining engine")] = MinerEngine.fast,
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
    settings = settings_from(
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        min_len=min_len,
        max_len=max_len,
        database_url=database_url,
        data_dir=data_dir,
        lock_timeout=lock_timeout,
    )
    options = {
        "input": str(input_path) if input_path else None,
        "format": input_format.value,
        "engine": engine.value,
        "output": str(output) if output else None,
    }
    with open_run(
        settings, "mine-rules", options, on_wait=wait_notice(ctx), recorded=not no_load
    ) as run:  # only loading bundle_rules writes; --no-load runs unlocked and unrecorded
        result = run.run_step(
            pipeline.mine_step,
            input_path=input_path,
            input_format=input_format.value,
            engine_name=engine.value,
            output=output,
            load=not no_load,
            progress=progress_for(ctx),
        )
    quiet = state_of(ctx).quiet
    print_reports([result.report], quiet=quiet)
    if top and not quiet:
        print_rules(result.rules, top)


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
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
    report: Annotated[
        bool, typer.Option("--report", help="write <data dir>/report.html at the end")
    ] = False,
) -> None:
    """Create the schema, generate the CSVs if missing, load them, mine and load the rules."""
    settings = settings_from(**_without(locals(), "ctx", "regenerate", "report"))
    options = {"regenerate": regenerate, "report": report}
    with open_run(settings, "run-all", options, on_wait=wait_notice(ctx)) as run:
        reports = pipeline.run_all(
            run, regenerate=regenerate, progress=progress_for(ctx), report=report
        )
    print_reports(reports, quiet=state_of(ctx).quiet)


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
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    step = pipeline.report_step(
        settings, output=output, top=top, input_dir=input_dir, rules_path=rules
    )
    print_reports([step], quiet=state_of(ctx).quiet)
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
    settings = settings_from(database_url=database_url, data_dir=data_dir)
    report = collect_status(settings.database_url_value, last_runs=runs)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    elif not state_of(ctx).quiet:
        render_status(report, stdout_console)
    if report.exit_code and report.problem:
        print_error(report.problem)
    raise typer.Exit(report.exit_code)


def _without(options: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in options.items() if key not in names}


def main() -> None:
    install_signal_handlers()  # SIGTERM -> exit 143 after rollback; only for the real process
    app()
