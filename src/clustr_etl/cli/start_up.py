"""Start-up of the console script: no garbage collection while the CLI's libraries import.

A ``load --append`` process spent about 0.5 s of its 2.5 s collecting garbage among the objects its imports
made (SQLAlchemy, pydantic, pyarrow...), every one of which lives until exit, and walking them all again in the
interpreter's last collections at exit. So :func:`starting_up` (called first by the entry point) turns the
collector off; :func:`started` (called once the command's options became settings: its modules are imported)
moves everything alive into the permanent generation (``gc.freeze``) and turns it back on, so the command's own
work is collected as usual; at exit, what is alive is frozen again before the interpreter's last collections.
Only stdlib is imported here (this runs before the signal handlers are in place).
"""

from __future__ import annotations

import atexit
import gc

_starting = False


def starting_up() -> None:
    """The collector off until :func:`started`; what is alive at exit frozen before the last collections."""
    global _starting
    _starting = True
    gc.disable()
    atexit.register(gc.freeze)  # registered first, so it runs after every other exit handler


def started() -> None:
    """Start-up is over (the command's modules are imported): what exists now lives until exit, so it is
    moved out of the collector's reach, and collection resumes for the command's own objects. Does nothing
    in a process that did not call :func:`starting_up` (tests invoking the app in-process)."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()
