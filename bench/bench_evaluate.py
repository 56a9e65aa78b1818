"""`clustr-etl evaluate` against `mine-rules` on the same training window, side by side in one run.

    .venv/bin/python bench/bench_evaluate.py [--transactions 1000000] [--test-days 30] [--repeat 2]
        [--data-dir DIR] [--database-url URL] [--min-support S] [--reuse]

Generates a dataset with `clustr-etl generate` (default options but --transactions) and loads it
(SQLite file in --data-dir unless --database-url), unless the data folder already holds a loaded
one (``--reuse``). Then, --repeat times, alternately: `evaluate --test-days N` (the whole command:
split, mining the training window, scoring every method, bootstrap, JSON, rule_evaluations) and the
anchor `mine-rules --until <last training day> --no-load` (the same thresholds and window). Each is a
whole CLI process: wall seconds, CPU seconds (user + system) and peak RSS (``/usr/bin/time -f
'%M %U %S'``); the fastest run of each is shown with the ratios evaluate / mine-rules. Finally the
evaluation's figures (HR@k, MRR, NDCG, coverage, popularity rank with 95 % intervals) as a Markdown
table for README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

CLI = [sys.executable, "-m", "clustr_etl"]
TIME = "/usr/bin/time"
ROWS = ("rules", "rules+popularity", "cooccurrence", "popularity", "random")
COLUMNS = {
    "hr@1": "HR@1",
    "hr@5": "HR@5",
    "hr@10": "HR@10",
    "mrr@10": "MRR@10",
    "ndcg@10": "NDCG@10",
    "coverage": "coverage",
    "catalogue_coverage": "catalogue coverage",
    "popularity_rank": "mean popularity rank",
}


class Timing(NamedTuple):
    seconds: float  # wall
    peak_mb: float
    cpu_seconds: float  # user + system: what the process computed, less sensitive to the load


def run(args: list[str]) -> tuple[Timing, str]:
    """Wall and CPU seconds, peak RSS in MB and stdout of one CLI process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%M %U %S", "-o", rss.name, *CLI, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
        peak_kb, user, system = map(float, Path(rss.name).read_text().split()[-3:])
    return Timing(seconds, peak_kb / 1024, user + system), done.stdout


def prepare(data: Path, url: list[str], transactions: int) -> None:
    for step in (
        ["generate", "--transactions", str(transactions), "--force"],
        ["init-db", "--drop"],
        ["load"],
    ):
        timing, _ = run(["-q", *step, "--data-dir", str(data), *url])
        print(f"prepare: {step[0]} {timing.seconds:.1f} s, {timing.peak_mb:.0f} MB", flush=True)


def interval(figure: dict[str, Any], metric: str) -> str:
    """The value with its 95 % interval; catalogue coverage (a lower band, see README) and
    intervals of zero width as the value alone."""
    if figure["value"] is None:
        return "-"
    digits = 1 if metric == "popularity_rank" else 3
    value = f"{figure['value']:.{digits}f}"
    if figure["ci_low"] is None or metric == "catalogue_coverage":
        return value
    low, high = f"{figure['ci_low']:.{digits}f}", f"{figure['ci_high']:.{digits}f}"
    return value if low == high == value else f"{value} [{low}, {high}]"


def markdown(evaluation: dict[str, Any]) -> str:
    lines = [
        "| method | " + " | ".join(COLUMNS.values()) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for method, figures in evaluation["methods"].items():
        cells = (interval(figures[metric], metric) for metric in COLUMNS)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_average() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--test-days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path("bench-evaluate"))
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="the data folder is already loaded")
    parser.add_argument(
        "--min-support", help="passed on when given; else the default (raised to fit --max-rules)"
    )
    parser.add_argument("--max-cases", type=int)
    options = parser.parse_args()
    data = options.data_dir
    url = ["--database-url", options.database_url] if options.database_url else []
    if not options.reuse:
        prepare(data, url, options.transactions)
    common = ["--data-dir", str(data), *url]
    if options.min_support:
        common += ["--min-support", options.min_support]
    evaluate = ["-q", "evaluate", "--test-days", str(options.test_days), *common]
    if options.max_cases:
        evaluate += ["--max-cases", str(options.max_cases)]
    timings: dict[str, list[Timing]] = {"evaluate": [], "mine-rules": []}
    print(f"start: {load_average()}", flush=True)
    for _ in range(options.repeat):
        timings["evaluate"].append(run(evaluate)[0])
        report = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))
        until = report["split"]["train_until"]
        anchor = ["-q", "mine-rules", "--until", until, "--no-load", *common]
        anchor += ["--output", str(data / "bench_training_rules.csv")]
        timings["mine-rules"].append(run(anchor)[0])
        print(
            f"evaluate {timings['evaluate'][-1]}, mine-rules {timings['mine-rules'][-1]}, "
            f"{load_average()}",
            flush=True,
        )
    best = {name: min(run.seconds for run in runs) for name, runs in timings.items()}
    cpu = {name: min(run.cpu_seconds for run in runs) for name, runs in timings.items()}
    peaks = {name: max(run.peak_mb for run in runs) for name, runs in timings.items()}
    print(
        f"\nsplit: {report['split']}; cases {report['cases']:,}, test baskets {report['test_baskets']:,}"
    )
    print(f"training rules: {report['rules_mined']:,}; notes: {report['notes']}")
    print(f"| command | wall seconds (best of {options.repeat}) | CPU seconds (best) | peak MB |")
    print("|---|---|---|---|")
    for name in ("mine-rules", "evaluate"):
        print(f"| {name} | {best[name]:.1f} | {cpu[name]:.1f} | {peaks[name]:.0f} |")
    print(
        f"ratio evaluate / mine-rules: {best['evaluate'] / best['mine-rules']:.2f}x wall, ", end=""
    )
    print(f"{cpu['evaluate'] / cpu['mine-rules']:.2f}x CPU")
    pairs = zip(timings["evaluate"], timings["mine-rules"], strict=True)
    print("wall ratio per pair: " + ", ".join(f"{e.seconds / m.seconds:.2f}x" for e, m in pairs))
    print(f"end: {load_average()}\n")
    print(markdown(report))
    print(f"\n{report['summary']}")


if __name__ == "__main__":
    main()
