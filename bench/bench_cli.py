"""Start-up cost of the CLI: wall time (median of N runs) and peak RSS of `clustr-etl --help`, `--version`
and `load --help`, side by side with `sqlite-utils --help` (the anchor, a dev-only dependency), as ratios.

sqlite-utils imports pandas and numpy at start-up when they are installed (they are, here), so the anchor is
sqlite-utils as a user without them has it: the same `--help` with those two imports made to fail. The
sqlite-utils of this environment (with pandas) is shown too, for reference.

Run: .venv/bin/python bench/bench_cli.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WITHOUT_PANDAS = (
    "import sys; sys.modules.update(pandas=None, numpy=None); "
    "from sqlite_utils.cli import cli; sys.argv[0] = 'sqlite-utils'; cli()"
)
ANCHOR = ("python", "-c", WITHOUT_PANDAS, "--help")
ANCHOR_NAME = "sqlite-utils --help (no pandas)"
REFERENCE = ("sqlite-utils", "--help")
CASES = [
    ("clustr-etl", "--help"),
    ("clustr-etl", "--version"),
    ("clustr-etl", "load", "--help"),
]


def executable(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} not found: run `make install` (sqlite-utils is in the dev extra)")
    return path


def measure(command: tuple[str, ...], runs: int) -> tuple[float, float]:
    """(median wall seconds, max peak RSS in MiB) of ``runs`` runs of the command."""
    argv = [executable(command[0]), *command[1:]]
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(walls), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    measure(ANCHOR, 1)  # warm the file cache for both sides
    measure(CASES[0], 1)
    anchor_wall, anchor_rss = measure(ANCHOR, args.runs)
    print(f"median of {args.runs} runs; ratios against `{ANCHOR_NAME}`")
    print(f"{'command':<34}{'wall s':>9}{'x anchor':>10}{'peak MiB':>10}{'x anchor':>10}")
    rows = [(ANCHOR_NAME, (anchor_wall, anchor_rss))]
    rows += [(" ".join(case), measure(case, args.runs)) for case in [*CASES, REFERENCE]]
    for name, (wall, rss) in rows:
        print(
            f"{name:<34}{wall:>9.3f}{wall / anchor_wall:>10.2f}"
            f"{rss:>10.1f}{rss / anchor_rss:>10.2f}"
        )


if __name__ == "__main__":
    main()
