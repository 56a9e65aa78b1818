"""The process entry point (console script and ``python -m clustr_etl``).

Only the standard library is imported before the signal handlers are in place and everything after runs inside
one ``try``, so Ctrl-C at any moment, even while the CLI's modules are still importing, ends with one line and
exit 130 (SIGTERM: 143), never a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from clustr_etl.interrupts import install_signal_handlers

        install_signal_handlers()  # SIGTERM -> exit 143 after rollback; only for the real process
        from clustr_etl.cli import app

        app()
    except KeyboardInterrupt as err:  # raised before the CLI could turn it into its own line
        from clustr_etl.interrupts import exit_code_for

        _leave(exit_code_for(err))
    except Exception:  # a library turned the interrupt into its own error (pydantic-core does)
        from clustr_etl.interrupts import received_signal

        signum = received_signal()
        if signum is None:
            raise
        _leave(128 + signum)


def _leave(code: int) -> None:
    from clustr_etl.interrupts import SIGTERM_EXIT_CODE

    what = "terminated (SIGTERM)" if code == SIGTERM_EXIT_CODE else "interrupted (Ctrl-C)"
    sys.stderr.write(f"Error: {what}\n")
    sys.exit(code)
