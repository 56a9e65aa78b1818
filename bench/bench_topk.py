"""`mine-rules --top-k 1000` next to full mining at the same floor, interleaved, in one run.

    .venv/bin/python bench/bench_topk.py --sales DATA_DIR/raw/sales.csv [--repeat 3] [--timeout 300]

``--sales``: the sales CSV of an import of the whole UCI Online Retail file
(``clustr-etl import ../shared/data/online_retail.csv.gz --data-dir DATA_DIR``); without it only the
15 x 20 shape runs (15 identical baskets of 20 items added to 5,000 ordinary baskets, as in
bench_miner_shapes.py). Every run is its own process (``mine-rules --input FILE --no-load``:
reading, mining, testing and writing the rules CSV) under ``/usr/bin/time``; the rows alternate
full / top-k so machine load hits both alike. The median of the repeats is printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_miner_shapes import ordinary_lines

EXPLICIT = ["--min-count", "10", "--max-p", "1"]


def cases(sales: Path | None, shape: Path) -> list[tuple[str, list[str], list[list[str]]]]:
    """(dataset, input options, option sets to compare) per dataset."""
    top = ["--top-k", "1000"]
    wholesale = ["--input", str(shape), "--format", "basket", "--min-support", "0.002", *EXPLICIT]
    runs = [
        (
            "15 x 20 + 5,000, --max-rules 0",
            [*wholesale, "--max-rules", "0"],
            [[], [*top], [*top, "--top-k-by", "confidence"], [*top, "--top-k-by", "support"]],
        ),
        (
            "15 x 20 + 5,000, default budget",
            wholesale,
            [[], [*top], [*top, "--top-k-by", "support"]],
        ),
    ]
    if sales is not None:
        retail = ["--input", str(sales), "--format", "sales"]
        runs.append(
            (
                "Online Retail, --min-support 0.005",
                [*retail, "--min-support", "0.005", *EXPLICIT],
                [[], [*top], [*top, "--top-k-by", "support"]],
            )
        )
        runs.append(
            (
                "Online Retail, defaults",
                retail,
                [[], [*top], [*top, "--top-k-by", "support"]],
            )
        )
    return runs


def measured(command: list[str], timeout: float) -> tuple[float, int, int, str]:
    """(seconds, peak MB, exit code, last stderr line) of one timed process."""
    started = time.perf_counter()
    done = subprocess.run(
        ["timeout", str(timeout), "/usr/bin/time", "-f", "%M", *command],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    peak_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    errors = [line for line in lines if line.startswith("Error: ")]
    return seconds, peak_kb // 1024, done.returncode, errors[-1] if errors else ""


def rows(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=Path, help="sales.csv of an Online Retail import")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    print("| data | options | seconds | peak MB | rules | exit |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shape = folder / "wholesale.csv"
        lines = ordinary_lines(5_000) + [",".join(f"W{i}" for i in range(20))] * 15
        shape.write_text("\n".join(lines) + "\n", encoding="utf-8")
        output = folder / "rules.csv"
        for name, inputs, option_sets in cases(args.sales, shape):
            results: dict[int, list[tuple[float, int, int, int, str]]] = {}
            for _ in range(args.repeat):
                for index, options in enumerate(option_sets):  # interleaved
                    output.unlink(missing_ok=True)
                    command = [sys.executable, "-m", "clustr_etl", "-q", "mine-rules", *inputs]
                    command += ["--no-load", "--output", str(output), *options]
                    seconds, peak, code, error = measured(command, args.timeout)
                    count = rows(output) if code == 0 else 0
                    results.setdefault(index, []).append((seconds, peak, count, code, error))
            for index, options in enumerate(option_sets):
                runs = results[index]
                seconds = statistics.median(run[0] for run in runs)
                peak = statistics.median(run[1] for run in runs)
                count, code, error = runs[-1][2], runs[-1][3], runs[-1][4]
                label = " ".join(options) or "all rules"
                status = "" if code == 0 else f"{code}: {error[:120]}"
                print(f"| {name} | {label} | {seconds:.1f} | {peak:,.0f} | {count:,} | {status} |")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
