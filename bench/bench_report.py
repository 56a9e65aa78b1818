"""`clustr-etl report` on a 1M-transaction database: seconds, peak memory, HTML size.

    .venv/bin/python bench/bench_report.py                      # SQLite, 1,000,000 transactions
    .venv/bin/python bench/bench_report.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_report

The dataset is generated, loaded and mined once into bench/.data/report-<N> (`clustr-etl run-all`,
in a child process); later runs reuse it. Each report runs in a fresh child process, so its peak
resident memory (ru_maxrss) is the report's own. Targets (issue 13): < 30 s, < 1 GB, HTML < 10 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS, TARGET_MB, TARGET_HTML_MB = 30.0, 1024.0, 10.0


def child(data_dir: Path, database_url: str | None, output: Path) -> None:
    """Write the report and print seconds, peak RSS and size as JSON (runs in its own process)."""
    from clustr_etl.config.settings import load_settings
    from clustr_etl.report import build_report

    start = time.perf_counter()
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    result = build_report(settings, output)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_mb,
                "bytes": result.size,
                "rules": result.rules_total,
            }
        )
    )


def prepare(data_dir: Path, transactions: int, database_url: str | None) -> None:
    if (data_dir / "prepared").exists() and database_url is None:
        return
    command = [sys.executable, "-m", "clustr_etl", "-q", "run-all", "--data-dir", str(data_dir)]
    command += ["--transactions", str(transactions)]
    if database_url:
        command += ["--database-url", database_url]
    print(f"preparing {transactions:,} transactions in {data_dir} (run-all, once) ...", flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    print(f"  run-all took {time.perf_counter() - start:.0f} s", flush=True)
    if database_url is None:
        (data_dir / "prepared").touch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or HERE / ".data" / f"report-{args.transactions}"
    output = args.output or data_dir / "report.html"
    if args.child:
        child(data_dir, args.database_url, output)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    prepare(data_dir, args.transactions, args.database_url)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{'backend':<11} {'run':>3} {'seconds':>8} {'peak MB':>8} {'HTML MB':>8} {'rules':>8}")
    for run in range(1, args.repeat + 1):
        command = [
            sys.executable,
            __file__,
            "--child",
            "--data-dir",
            str(data_dir),
            "--output",
            str(output),
        ]
        if args.database_url:
            command += ["--database-url", args.database_url]
        result = json.loads(
            subprocess.run(command, check=True, capture_output=True, text=True).stdout
        )
        html_mb = result["bytes"] / 1024 / 1024
        print(
            f"{backend:<11} {run:>3} {result['seconds']:>8.1f} {result['peak_mb']:>8.0f} "
            f"{html_mb:>8.2f} {result['rules']:>8,}"
        )
    print(
        f"targets: < {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB peak, HTML < {TARGET_HTML_MB:.0f} MB"
    )


if __name__ == "__main__":
    main()
