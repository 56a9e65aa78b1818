"""Fast engine vs Spark (local[2]) on the same inputs, side by side in one run.

    .venv/bin/python bench/bench_spark.py [--baskets 1000000 2000000] [--generated 200000]

For each basket count: a deterministic basket file (bench/miner_workload.py), then
``clustr-etl mine-rules --no-load`` as a whole process with ``--engine fast`` and with
``--engine spark --spark-master local[2]``. Prints wall seconds, the peak RSS of the Python
driver and of the JVM (polled over the process tree), the rule count, whether the rules CSVs are
byte-identical (rule set and every metric), and microseconds per basket, so the growth of each
engine's cost per basket can be read off. ``--generated N`` first checks identity on a
``clustr-etl generate`` workload of N transactions (the sales CSV).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from miner_workload import generate_basket_file

CLI = [sys.executable, "-m", "clustr_etl", "-q"]
POLL_SECONDS = 0.1


@dataclass
class Run:
    seconds: float
    driver_mb: float
    jvm_mb: float
    rules: int


def measured(command: list[str]) -> tuple[float, float, float]:
    """Run ``command``; wall seconds and peak RSS (MB) of the process itself and of its JVM."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    driver = jvm = 0
    while process.poll() is None:
        try:
            driver = max(driver, process.memory_info().rss)
            java = [c for c in process.children(recursive=True) if c.name() == "java"]
            jvm = max(jvm, sum(c.memory_info().rss for c in java))
        except psutil.Error:
            pass
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return seconds, driver / 2**20, jvm / 2**20


def mine(engine: str, source: Path, input_format: str, out: Path, options: list[str]) -> Run:
    command = [*CLI, "mine-rules", "--no-load", "--engine", engine, "--format", input_format]
    command += ["--input", str(source), "--output", str(out), *options]
    if engine == "spark":
        command += ["--spark-master", "local[2]"]
    seconds, driver, jvm = measured(command)
    rules = sum(1 for _ in out.open(encoding="utf-8")) - 1
    return Run(seconds, driver, jvm, rules)


def side_by_side(
    label: str, n: int, source: Path, input_format: str, options: list[str], workdir: Path
) -> dict[str, Run]:
    runs = {}
    for engine in ("fast", "spark"):
        runs[engine] = mine(
            engine, source, input_format, workdir / f"{label}-{engine}.csv", options
        )
        print(f"  {label} {engine:5s} done in {runs[engine].seconds:.1f} s", flush=True)
    same = (workdir / f"{label}-fast.csv").read_bytes() == (
        workdir / f"{label}-spark.csv"
    ).read_bytes()
    for engine, run in runs.items():
        print(
            f"{label:>12s} {engine:6s} {run.seconds:9.1f} {run.driver_mb:10.0f} {run.jvm_mb:8.0f} "
            f"{run.rules:7d} {1e6 * run.seconds / n:10.1f}  {same}",
            flush=True,
        )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baskets", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--generated", type=int, default=200_000, help="0 skips this check")
    parser.add_argument("--min-support", type=float, default=0.0005)
    parser.add_argument("--min-confidence", type=float, default=0.1)
    parser.add_argument("--workdir", type=Path, default=None, help="keep files here")
    args = parser.parse_args()
    options = ["--min-support", str(args.min_support), "--min-confidence", str(args.min_confidence)]
    options += ["--min-lift", "0", "--min-len", "2"]
    os.environ.setdefault("CLUSTR_SPARK_CONF", "spark.driver.memory=2g")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {options}")
    header = f"{'input':>12s} {'engine':6s} {'seconds':>9s} {'driver MB':>10s} {'JVM MB':>8s} {'rules':>7s} {'us/basket':>10s}  same rules"
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.generated:
            data_dir = workdir / "generated"
            if not (data_dir / "raw" / "sales.csv").exists():
                generate = [*CLI, "generate", "--transactions", str(args.generated), "--force"]
                subprocess.run([*generate, "--data-dir", str(data_dir)], check=True)
            print(header)
            side_by_side(
                f"gen {args.generated // 1000}k", args.generated,
                data_dir / "raw" / "sales.csv", "sales", options, workdir,
            )  # fmt: skip
        results = {}
        for n in args.baskets:
            baskets = workdir / f"baskets-{n}-{args.items}.csv"
            if not baskets.exists():
                generate_basket_file(baskets, n, args.items)
            print(header)
            results[n] = side_by_side(f"{n // 1000}k", n, baskets, "basket", options, workdir)
        sizes = sorted(results)
        for engine in ("fast", "spark"):
            per_basket = [results[n][engine].seconds / n for n in sizes]
            growth = ", ".join(f"{p / per_basket[0]:.2f}" for p in per_basket)
            print(f"{engine}: cost per basket relative to {sizes[0]:,} baskets: {growth}")


if __name__ == "__main__":
    main()
