"""Ctrl-C and SIGTERM: stop promptly, roll back, take worker processes down too.

``install_signal_handlers()`` (called by the CLI entry point only, never by the library) makes SIGTERM raise
:class:`Terminated` in the main thread. ``Terminated`` subclasses ``KeyboardInterrupt`` on purpose: drivers and
SQLAlchemy already treat ``KeyboardInterrupt`` as "cancel the statement, drop the connection", so an open
transaction is rolled back exactly as for Ctrl-C. Both handlers first kill this process's multiprocessing
children (generator workers), and a forked child that inherits the handlers exits at once.
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


def received_signal() -> int | None:
    """The last SIGINT/SIGTERM the handlers took, if any: an exception that follows it is its
    consequence even when a library wrapped the KeyboardInterrupt (pydantic-core does)."""
    return _received[-1] if _received else None


def install_signal_handlers() -> None:
    """SIGTERM -> :class:`Terminated`, SIGINT -> ``KeyboardInterrupt``, in the main process only."""
    owner = os.getpid()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:  # a forked worker: leave now, the parent cleans up
            os._exit(128 + signum)
        _received.append(signum)
        kill_child_processes()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
