"""The process entry point (console script and ``python -m clustr_etl``).

Only the standard library is imported before the signal handlers are in place and everything after runs inside
one ``try``, so Ctrl-C at any moment, even while the CLI's modules are still importing, ends with one line and
exit 130 (SIGTERM: 143), never a traceback. Whatever way the command ended, a signal it received decides the
exit code: an interrupt that a library swallowed or wrapped in its own error still ends as an interrupt.

After an interrupt the process ends with ``os._exit`` once stdout and stderr are flushed: CPython 3.11 remembers a
KeyboardInterrupt that passed through C code running Python source during an import (``PyRun_String``) even
when it was caught, and would then kill itself with SIGINT at exit (exit -2 instead of 130).
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress

from clustr_etl.cli.start_up import starting_up


def main() -> None:
    """The console script: :func:`run`, ending at once (no interpreter shutdown) after an interrupt."""
    starting_up()
    try:
        run()
    except SystemExit as exited:
        from clustr_etl.interrupts import received_signal

        if received_signal() is None:
            raise
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
                stream.flush()
        os._exit(exited.code if isinstance(exited.code, int) else 1)


def run() -> None:
    """The CLI with its signal handlers; every way it ends is a SystemExit (or a bug's exception)."""
    try:
        from clustr_etl.interrupts import install_signal_handlers

        install_signal_handlers()  # SIGTERM -> exit 143 after rollback; only for the real process
        from clustr_etl.cli.app import app

        app()
    except KeyboardInterrupt as err:  # raised before the CLI could turn it into its own line
        from clustr_etl.interrupts import exit_code_for

        _leave(exit_code_for(err))
    except SystemExit as exited:  # the CLI's own ending; an interrupt it did not see still wins
        _leave_if_interrupted(exited.code)
        raise
    except Exception:  # a library turned the interrupt into its own error (pydantic-core does)
        _leave_if_interrupted(None)
        raise


def _leave_if_interrupted(code: object) -> None:
    from clustr_etl.interrupts import received_signal

    signum = received_signal()
    if signum is not None and code != 128 + signum:
        _leave(128 + signum)


def _leave(code: int) -> None:
    from clustr_etl.interrupts import begin_leaving, interrupt_message

    if begin_leaving():
        sys.stderr.write(f"Error: {interrupt_message(code)}\n")
    sys.exit(code)
