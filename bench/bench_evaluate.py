"""`clustr-etl evaluate` against `mine-rules` on the same training window, side by side in one run.

    .venv/bin/python bench/bench_evaluate.py [--transactions 1000000] [--test-days 30] [--repeat 2]
        [--data-dir DIR] [--database-url URL] [--min-support S] [--reuse]

Generates a dataset with `clustr-etl generate` (default options but --transactions) and loads it
(SQLite file in --data-dir unless --database-url), unless the data folder already holds a loaded
one (``--reuse``). Then, --repeat times, alternately: `evaluate --test-days N` (the whole command:
split, mining the training window, scoring every method, bootstrap, JSON, rule_evaluations) and the
anchor `mine-rules --until <last training day> --no-load` (the same thresholds and window). Each is a
whole CLI process: wall seconds and peak RSS (``/usr/bin/time -f %M``); the fastest run of each is
shown with the ratio evaluate / mine-rules. Finally the evaluation's figures (HR@k, MRR, NDCG,
coverage with 95 % intervals) as a Markdown table for README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "clustr_etl"]
TIME = "/usr/bin/time"
ROWS = ("rules", "rules+popularity", "cooccurrence", "popularity", "random")
COLUMNS = ("hr@1", "hr@5", "hr@10", "mrr@10", "ndcg@10", "coverage", "catalogue_coverage")


def run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one CLI process."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%M", "-o", rss.name, *CLI, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
        peak_kb = float(Path(rss.name).read_text().strip().splitlines()[-1])
    return seconds, peak_kb / 1024, done.stdout


def prepare(data: Path, url: list[str], transactions: int) -> None:
    for step in (
        ["generate", "--transactions", str(transactions), "--force"],
        ["init-db", "--drop"],
        ["load"],
    ):
        seconds, peak, _ = run(["-q", *step, "--data-dir", str(data), *url])
        print(f"prepare: {step[0]} {seconds:.1f} s, {peak:.0f} MB", flush=True)


def interval(figure: dict[str, Any]) -> str:
    if figure["value"] is None:
        return "-"
    if figure["ci_low"] is None:
        return f"{figure['value']:.3f}"
    return f"{figure['value']:.3f} [{figure['ci_low']:.3f}, {figure['ci_high']:.3f}]"


def markdown(evaluation: dict[str, Any]) -> str:
    lines = [
        "| method | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for method, figures in evaluation["methods"].items():
        lines.append(f"| {method} | " + " | ".join(interval(figures[c]) for c in COLUMNS) + " |")
    return "\n".join(lines)


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
    timings: dict[str, list[tuple[float, float]]] = {"evaluate": [], "mine-rules": []}
    for _ in range(options.repeat):
        seconds, peak, _ = run(evaluate)
        timings["evaluate"].append((seconds, peak))
        report = json.loads((data / "evaluation.json").read_text(encoding="utf-8"))
        until = report["split"]["train_until"]
        anchor = ["-q", "mine-rules", "--until", until, "--no-load", *common]
        anchor += ["--output", str(data / "bench_training_rules.csv")]
        timings["mine-rules"].append(run(anchor)[:2])
        print(f"evaluate {timings['evaluate'][-1]}, mine-rules {timings['mine-rules'][-1]}")
    best = {name: min(runs) for name, runs in timings.items()}
    peaks = {name: max(peak for _, peak in runs) for name, runs in timings.items()}
    print(
        f"\nsplit: {report['split']}; cases {report['cases']:,}, test baskets {report['test_baskets']:,}"
    )
    print(f"training rules: {report['rules_mined']:,}")
    print(f"| command | seconds (best of {options.repeat}) | peak MB |")
    print("|---|---|---|")
    for name in ("mine-rules", "evaluate"):
        print(f"| {name} | {best[name][0]:.1f} | {peaks[name]:.0f} |")
    print(f"ratio evaluate / mine-rules: {best['evaluate'][0] / best['mine-rules'][0]:.2f}x\n")
    print(markdown(report))
    print(f"\n{report['summary']}")


if __name__ == "__main__":
    main()
