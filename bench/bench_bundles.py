"""Planted-bundle recovery: generate with several seeds, mine with clustr_etl.mining, score.

    .venv/bin/python bench/bench_bundles.py --seeds 1,2,3,4,5,6,7,8,9,10
    .venv/bin/python bench/bench_bundles.py --min-confidence 0.1 --min-lift 1.0 --max-len 10

Thresholds default to the project's Settings defaults. For each seed: planted bundles, recall
(planted bundles found as some rule's A+C), precision (top 20 rules by lift whose A+C is a
planted bundle), rule count, mining time, and measured / planted lift of the weakest pair.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from clustr_etl.mining import RuleThresholds, mine_rules, read_sales_csv
from clustr_etl.simulate import PLANTED_FILE, GenerateOptions, generate_dataset
from clustr_etl.simulate.realism import bundle_recovery, read_planted, weakest_pair_lifts


def main() -> None:
    defaults = RuleThresholds()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8,9,10")
    parser.add_argument("--transactions", type=int, default=GenerateOptions().transactions)
    parser.add_argument("--min-support", type=float, default=defaults.min_support)
    parser.add_argument("--min-confidence", type=float, default=defaults.min_confidence)
    parser.add_argument("--min-lift", type=float, default=defaults.min_lift)
    parser.add_argument("--max-len", type=int, default=defaults.max_len)
    args = parser.parse_args()
    thresholds = RuleThresholds(
        min_support=args.min_support,
        min_confidence=args.min_confidence,
        min_lift=args.min_lift,
        max_len=args.max_len,
    )
    print(f"thresholds: {thresholds}; transactions {args.transactions:,}")
    print(
        f"{'seed':>5} {'planted':>7} {'recall':>7} {'prec@20':>7} {'rules':>6} "
        f"{'mine s':>6} {'lift ratio (median, min-max)':>30}"
    )
    recalls, precisions = [], []
    for seed in [int(text) for text in args.seeds.split(",")]:
        with tempfile.TemporaryDirectory() as folder:
            raw_dir = Path(folder)
            options = replace(GenerateOptions(), seed=seed, transactions=args.transactions)
            generate_dataset(options, raw_dir)
            start = time.perf_counter()
            rules = mine_rules(read_sales_csv(raw_dir / "sales.csv"), thresholds)
            seconds = time.perf_counter() - start
            planted = read_planted(raw_dir / PLANTED_FILE)
            strength = pd.read_csv(raw_dir / PLANTED_FILE)["strength"].tolist()
            measured = weakest_pair_lifts(pd.read_csv(raw_dir / "sales.csv"), planted)
        recall, precision = bundle_recovery(rules, planted)
        ratios = [m / s for m, s in zip(measured, strength, strict=True)]
        recalls.append(recall)
        precisions.append(precision)
        print(
            f"{seed:>5} {len(planted):>7} {recall:>7.2f} {precision:>7.2f} {len(rules):>6} "
            f"{seconds:>6.2f} {statistics.median(ratios):>14.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        )
    print(
        f"worst recall {min(recalls):.2f} (target >= 0.90), "
        f"worst precision@20 {min(precisions):.2f} (target >= 0.80)"
    )


if __name__ == "__main__":
    main()
