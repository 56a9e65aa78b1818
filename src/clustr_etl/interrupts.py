"""Ctrl-C and SIGTERM: stop promptly, roll back, take worker processes down too.

``install_signal_handlers()`` (called by the CLI entry point only, never by the library) makes SIGTERM raise
:class:`Terminated` in the main thread. ``Terminated`` subclasses ``KeyboardInterrupt`` on purpose: drivers and
SQLAlchemy already treat ``KeyboardInterrupt`` as "cancel the statement, drop the connection", so an open
transaction is rolled back exactly as for Ctrl-C. Both handlers first kill this process's multiprocessing
children (generator workers), and a forked child that inherits the handlers exits at once.

One interrupt, one ending: the first signal raises; a second one (the user pressing Ctrl-C again, or a library
re-emitting the first) exits at once with the same line and code, since the database rolls back an open
transaction when the connection drops. Once the CLI starts to leave (:func:`begin_leaving`) further signals are
ignored, so nothing can interrupt the exit itself. A signal whose exception a library swallowed (some catch every
exception while importing optional modules) is raised again at the next step boundary by
:func:`raise_if_interrupted`.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress
from types import FrameType

SIGINT_EXIT_CODE = 128 + signal.SIGINT  # 130
SIGTERM_EXIT_CODE = 128 + signal.SIGTERM  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM (or another termination signal) arrived; the process should exit ``exit_code``."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"terminated by {signal.Signals(signum).name}")


def exit_code_for(interrupt: BaseException) -> int:
    """130 for Ctrl-C, 128 + signal number for :class:`Terminated`."""
    return interrupt.exit_code if isinstance(interrupt, Terminated) else SIGINT_EXIT_CODE


def kill_child_processes() -> None:
    """SIGKILL every live multiprocessing child of this process (their output is discarded anyway)."""
    multiprocessing = sys.modules.get("multiprocessing")  # no children if it was never imported
    if multiprocessing is None:
        return
    for child in multiprocessing.active_children():
        with suppress(OSError, ValueError):  # already gone or closed
            child.kill()


_received: list[int] = []  # signals this process's handlers took, newest last
_leaving: list[bool] = []  # non-empty once the interrupt's line is printed (or about to be)


def received_signal() -> int | None:
    """The last SIGINT/SIGTERM the handlers took, if any: an exception that follows it is its
    consequence even when a library wrapped the KeyboardInterrupt (pydantic-core does)."""
    return _received[-1] if _received else None


def interrupt_message(exit_code: int) -> str:
    return "terminated (SIGTERM)" if exit_code == SIGTERM_EXIT_CODE else "interrupted (Ctrl-C)"


def begin_leaving() -> bool:
    """Ignore further SIGINT/SIGTERM (the process is exiting); True the first time only, when the
    caller should print the interrupt's line."""
    first = not _leaving
    _leaving.append(True)
    with suppress(ValueError):  # only the main thread may change handlers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return first


def raise_if_interrupted() -> None:
    """Raise the interrupt again if a signal arrived but its exception was swallowed on the way."""
    signum = received_signal()
    if signum is None:
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """SIGTERM -> :class:`Terminated`, SIGINT -> ``KeyboardInterrupt``, in the main process only."""
    owner = os.getpid()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked worker: leave now, the parent cleans up
            os._exit(128 + signum)
        kill_child_processes()
        if _received:  # a second signal while the first one unwinds: stop now
            _exit_at_once(128 + _received[0])
        _received.append(signum)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def _exit_at_once(exit_code: int) -> None:
    if begin_leaving():
        with suppress(OSError, ValueError):
            sys.stderr.flush()
        os.write(2, f"Error: {interrupt_message(exit_code)}\n".encode())
    with suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(exit_code)
