"""Rules you can trust at every size: generate, mine with the defaults, score against the planted bundles.

    .venv/bin/python bench/bench_bundles.py                        # the README size table
    .venv/bin/python bench/bench_bundles.py --sizes 2000,20000 --seeds 1,2,3
    .venv/bin/python bench/bench_bundles.py --min-count 1 --max-p 1   # the old defaults, for contrast

Thresholds default to the project's Settings defaults (no threshold options). For each size and seed:
rules mined, precision of the top min(20, rules) rules by lift (a rule counts when all its items
belong to one planted bundle), recall of the planted bundles (some rule's A+C is the bundle), the
rules the significance test dropped, the median lift of the top 20 rules (real data's range: 3-25) and the
mining seconds (reading the sales CSV excluded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from clustr_etl.config.settings import load_settings
from clustr_etl.dataset.layout import PLANTED_FILE
from clustr_etl.dataset.statistics import read_planted
from clustr_etl.mining import mine_rules_with_report, read_sales_csv
from clustr_etl.mining.planted import planted_precision, planted_recall
from clustr_etl.run.mine import rule_thresholds
from clustr_etl.simulate import GenerateOptions, generate_dataset

TARGET_PRECISION, TARGET_RECALL, RECALL_FROM = 0.90, 0.90, 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,100000,1000000")
    parser.add_argument("--seeds", default="1")
    for option in ("--min-support", "--min-confidence", "--min-lift", "--max-p"):
        parser.add_argument(option, type=float, default=None)
    parser.add_argument("--min-count", type=int, default=None)
    args = parser.parse_args()
    overrides = {
        name: getattr(args, name)
        for name in ("min_support", "min_confidence", "min_lift", "max_p", "min_count")
        if getattr(args, name) is not None
    }
    thresholds = rule_thresholds(load_settings(**overrides))
    print(f"thresholds: {thresholds}")
    print(
        f"| {'transactions':>12} | {'seed':>4} | {'rules':>6} | {'precision@20':>12} | "
        f"{'recall':>6} | {'not significant':>15} | {'top-20 lift':>11} | {'seconds':>7} |"
    )
    print(f"|{'-' * 14}|{'-' * 6}|{'-' * 8}|{'-' * 14}|{'-' * 8}|{'-' * 17}|{'-' * 13}|{'-' * 9}|")
    failures = []
    for size in [int(text) for text in args.sizes.split(",")]:
        for seed in [int(text) for text in args.seeds.split(",")]:
            with tempfile.TemporaryDirectory() as folder:
                raw_dir = Path(folder)
                generate_dataset(replace(GenerateOptions(), seed=seed, transactions=size), raw_dir)
                baskets = read_sales_csv(raw_dir / "sales.csv")
                planted = read_planted(raw_dir / PLANTED_FILE)
            start = time.perf_counter()
            mined = mine_rules_with_report(baskets, thresholds)
            seconds = time.perf_counter() - start
            precision = planted_precision(mined.rules, planted)
            recall = planted_recall(mined.rules, planted)
            shown = "-" if precision is None else f"{precision:.2f}"
            top = mined.rules.sort_values("lift", ascending=False, kind="stable").head(20)
            median_lift = float(top["lift"].median()) if len(top) else float("nan")
            print(
                f"| {size:>12,} | {seed:>4} | {len(mined.rules):>6,} | {shown:>12} | "
                f"{recall:>6.2f} | {mined.quality.not_significant:>15,} | {median_lift:>11.1f} | "
                f"{seconds:>7.2f} |",
                flush=True,
            )
            if precision is not None and precision < TARGET_PRECISION:
                failures.append(f"precision {shown} at {size:,} (seed {seed})")
            if size >= RECALL_FROM and recall < TARGET_RECALL:
                failures.append(f"recall {recall:.2f} at {size:,} (seed {seed})")
    print("targets met" if not failures else "targets missed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
