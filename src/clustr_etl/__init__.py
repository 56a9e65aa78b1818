"""clustr-etl: the data foundation of Clustr."""

from __future__ import annotations

import sys

__all__ = ["__version__"]


def _exit_when_interrupted_while_starting() -> None:
    """Started as the CLI (``python -m clustr_etl`` or the ``clustr-etl`` script): until the entry point
    installs its handlers, Ctrl-C or SIGTERM exits at once with one line (nothing has been done yet)."""
    import os
    import signal

    def leave(signum: int, frame: object) -> None:
        word = "interrupted (Ctrl-C)" if signum == signal.SIGINT else "terminated (SIGTERM)"
        os.write(2, f"Error: {word}\n".encode())
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, leave)
    signal.signal(signal.SIGTERM, leave)


if sys.argv[:1] == ["-m"] or sys.argv[0].endswith("clustr-etl"):
    _exit_when_interrupted_while_starting()


def __getattr__(name: str) -> str:
    """``__version__`` is read from the installed metadata on first use (keeps startup light)."""
    if name != "__version__":
        raise AttributeError(f"module 'clustr_etl' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clustr-etl")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"
