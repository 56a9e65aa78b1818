"""The Typer app: its error boundary (one red line and an exit code per failure) and the commands.

Each command lives in a module of its own in this package; this one registers them.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from clustr_etl.cli.evaluate import evaluate
from clustr_etl.cli.generate import generate
from clustr_etl.cli.importer import import_command
from clustr_etl.cli.load import load
from clustr_etl.cli.mine import mine_rules
from clustr_etl.cli.options import AppState, state_of
from clustr_etl.cli.report import report
from clustr_etl.cli.run_all import run_all
from clustr_etl.cli.schema import init_db, migrate
from clustr_etl.cli.status import status
from clustr_etl.errors import ClustrError
from clustr_etl.interrupts import (
    SIGINT_EXIT_CODE,
    begin_leaving,
    exit_code_for,
    interrupt_message,
    received_signal,
)


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
        from clustr_etl.store.backends.scrub import driver_error_line

        print_error(f"database error: {driver_error_line(err)}")
        sys.exit(1)
    raise err


def _is_driver_error(err: Exception) -> bool:
    """A SQLAlchemy DBAPIError (only possible once a command has imported SQLAlchemy)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(err, exc.DBAPIError)


def print_error(message: str) -> None:
    from clustr_etl.cli.console import print_error as print_red

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


app.command()(generate)
app.command("import")(import_command)
app.command("init-db")(init_db)
app.command()(migrate)
app.command()(load)
app.command("mine-rules")(mine_rules)
app.command()(evaluate)
app.command("run-all")(run_all)
app.command()(report)
app.command()(status)
