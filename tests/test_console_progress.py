"""Progress bars: tasks open at the same time from two threads share Rich's one live display."""

from __future__ import annotations

import io
import threading

from rich.console import Console


def test_tasks_of_two_threads_at_once_show_both_bars_and_end_cleanly() -> None:
    # Imported here: importing clustr_etl.cli.console at collection would size its consoles before
    # conftest sets COLUMNS, and other tests' output would wrap.
    from clustr_etl.cli.console import RichProgress

    out = io.StringIO()
    progress = RichProgress(console=Console(file=out, force_terminal=True, width=100))
    both_open = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with progress.task(name, total=2) as advance:
                both_open.wait()  # the other thread's task is open too
                advance(2)
                both_open.wait()
        except BaseException as error:  # Rich's LiveError if the displays collided
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("check a.csv", "load a")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    shown = out.getvalue()
    assert "check a.csv" in shown
    assert "load a" in shown
    with progress.task("next step", total=1) as advance:  # a new display after both ended
        advance(1)
    assert "next step" in out.getvalue()
