"""Association-rule miner benchmark: ours vs pyfim vs mlxtend, side by side in one run.

    .venv/bin/python bench/bench_miner.py [--baskets 1000000] [--items 2000] [--skip-mlxtend]

Contestants (bench/miner_run.py): ours, pyfim and mlxtend mine single-item consequents; ours-tested
adds the significance test (--max-p 0.05, Holm) and --prune-redundant; ours-k3 and mlxtend-k3 mine
consequents of up to 3 items. Each "/ours" ratio is against the plain run, except mlxtend-k3, whose
ratio is against ours-k3 (the same work). Wall and CPU seconds (user + system of the process) are
both shown: on a shared machine CPU time is the steadier one. Fast contestants run --repeat times
(the run with the least CPU time is shown), mlxtend once.

Generates a deterministic basket file (bench/miner_workload.py), then runs each contestant as a
whole process (bench/miner_run.py: interpreter start, imports, reading the file, mining, writing
the rules CSV) and prints wall seconds, peak RSS, rule counts, ratios against ours, and whether the
rule sets (keys and counts) are identical.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from miner_workload import generate_basket_file

HERE = Path(__file__).resolve().parent
KEY_COLUMNS = ["antecedents", "consequents", "rule_count", "antecedent_count", "consequent_count"]


def run_contestant(
    name: str, baskets: Path, out: Path, support: float, confidence: float
) -> dict[str, float]:
    command = [
        sys.executable,
        str(HERE / "miner_run.py"),
        name,
        str(baskets),
        str(out),
        str(support),
        str(confidence),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise SystemExit(f"{name} failed:\n{finished.stderr}")
    report: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    report["seconds"] = seconds
    report["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return report


def best_of(repeat: int, *args: Any) -> dict[str, float]:
    """The run with the least CPU time of ``repeat`` runs (load from other processes only adds)."""
    return min((run_contestant(*args) for _ in range(repeat)), key=lambda r: r["cpu"])


def rule_set(path: Path) -> set[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {tuple(row[c] for c in KEY_COLUMNS) for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baskets", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--min-support", type=float, default=0.0005)
    parser.add_argument("--min-confidence", type=float, default=0.1)
    parser.add_argument(
        "--skip-mlxtend", action="store_true", help="mlxtend needs ~1 min and >2 GB"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each fast contestant (mlxtend: one)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep files here (default: temp)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-miner-") as tmp:
        workdir = args.workdir or Path(tmp)
        baskets = workdir / f"baskets-{args.baskets}-{args.items}.csv"
        if not baskets.exists():
            started = time.perf_counter()
            generate_basket_file(baskets, args.baskets, args.items)
            print(f"generated {baskets} in {time.perf_counter() - started:.1f} s")
        names = ["ours", "ours-tested", "pyfim", "ours-k3"]
        names += [] if args.skip_mlxtend else ["mlxtend", "mlxtend-k3"]
        reports = {}
        for name in names:
            out = workdir / f"rules-{name}.csv"
            repeat = 1 if name.startswith("mlxtend") else args.repeat
            reports[name] = best_of(
                repeat, name, baskets, out, args.min_support, args.min_confidence
            )
            print(f"  {name:8s} done in {reports[name]['seconds']:.1f} s", flush=True)
        print(
            f"\n{args.baskets:,} baskets, {args.items:,} items, min support {args.min_support}, "
            f"min confidence {args.min_confidence}, max_len 10 (whole processes, {sys.platform})\n"
        )
        print(
            f"{'engine':12s} {'seconds':>9s} {'CPU s':>7s} {'peak MB':>9s} {'rules':>8s} "
            f"{'time/ours':>10s} {'CPU/ours':>9s} {'mem/ours':>9s}  same rules as"
        )
        for name in names:
            base = "ours-k3" if name.endswith("-k3") and name != "ours-k3" else "ours"
            report, ours = reports[name], reports[base]
            same = "-"
            if name not in ("ours", "ours-k3", "ours-tested"):
                equal = rule_set(workdir / f"rules-{name}.csv") == rule_set(
                    workdir / f"rules-{base}.csv"
                )
                same = f"{base}: {equal}"
            print(
                f"{name:12s} {report['seconds']:9.2f} {report['cpu']:7.2f} "
                f"{report['peak_mb']:9.0f} {int(report['rules']):8d} "
                f"{report['seconds'] / ours['seconds']:10.2f} {report['cpu'] / ours['cpu']:9.2f} "
                f"{report['peak_mb'] / ours['peak_mb']:9.2f}  {same}"
            )


if __name__ == "__main__":
    main()
