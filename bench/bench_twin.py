"""The synthetic twin of UCI Online Retail: real vs twin statistics, top rules kept, timings.

    .venv/bin/python bench/bench_twin.py                      # 200k-transaction twin
    .venv/bin/python bench/bench_twin.py --transactions 500000 --workers 2

Imports ../shared/data/online_retail.csv.gz (`clustr-etl import --preset online-retail`),
fits the twin (`generate --like`), generates it, and prints markdown tables: each realism
statistic (target: within 20 % of the real data's), the real data's top 20 rules by lift
(support >= 0.01) and their lift in the twin (target: >= 15 within 30 %), fitting time, and
generation time beside pyarrow writing arrays of the same shape (target: within 2x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_generate import _same_shape_tables, pyarrow_seconds
from clustr_etl.dataset.statistics import dataset_stats, read_dataset
from clustr_etl.importing import ImportOptions, import_dataset
from clustr_etl.mining import RuleThresholds, mine_rules, read_sales_csv
from clustr_etl.simulate import GenerateOptions, generate_dataset
from clustr_etl.simulate.twin_fit import fit_twin

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail.csv.gz"
STATISTICS = {
    "basket_dispersion": "basket size variance / mean",
    "basket_single_share": "single-line baskets",
    "top1_product_share": "top 1 % of products, share of lines",
    "top20_product_share": "top 20 % of products, share of lines",
    "top20_customer_revenue_share": "top 20 % of customers, share of revenue",
    "weekday_ratio": "busiest / quietest weekday",
    "holiday_season_ratio": "Nov-Dec share of transactions / of days",
}


def _rules(raw_dir: Path, support: float, confidence: float) -> pd.DataFrame:
    return mine_rules(
        read_sales_csv(raw_dir / "sales.csv"),
        RuleThresholds(min_support=support, min_confidence=confidence),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        real, twin = Path(folder) / "real", Path(folder) / "twin"
        import_dataset(ImportOptions(sources=(args.source,), preset="online-retail"), real)
        start = time.perf_counter()
        model = fit_twin(real)
        fit_seconds = time.perf_counter() - start
        options = GenerateOptions(
            transactions=args.transactions, seed=args.seed, workers=args.workers
        )
        start = time.perf_counter()
        rows = generate_dataset(options, twin, twin=model)
        generate_seconds = time.perf_counter() - start
        transactions, sales = _same_shape_tables(1_000_000, np.random.default_rng(1))
        floor = pyarrow_seconds(transactions, args.transactions, Path(folder) / "t.csv")[0]
        floor += pyarrow_seconds(sales, rows["sales.csv"], Path(folder) / "s.csv")[0]
        real_stats = dataset_stats(read_dataset(real))
        twin_stats = dataset_stats(read_dataset(twin))
        top = _rules(real, 0.01, 0.1).sort_values("lift", ascending=False, kind="stable").head(20)
        found = _rules(twin, 0.005, 0.05)
        names = pd.read_csv(real / "products.csv").set_index("product_id")["name"]
    print(
        f"Online Retail: {model.source['transactions']:,} invoices, "
        f"{model.source['sales_lines']:,} lines; twin: {args.transactions:,} transactions, "
        f"{rows['sales.csv']:,} lines, seed {args.seed}, {args.workers} worker(s)\n"
    )
    print("| statistic | Online Retail | twin | difference |\n| --- | --- | --- | --- |")
    worst = 0.0
    for key, label in STATISTICS.items():
        difference = twin_stats[key] / real_stats[key] - 1
        worst = max(worst, abs(difference))
        print(f"| {label} | {real_stats[key]:.3f} | {twin_stats[key]:.3f} | {difference:+.1%} |")
    print(f"\nworst difference {worst:.1%} (target <= 20 %)\n")
    lift = {
        (a, c): value
        for a, c, value in zip(
            found["antecedents"], found["consequents"], found["lift"], strict=True
        )
    }
    print("| rule (real top 20 by lift, support >= 0.01) | real lift | twin lift | kept |")
    print("| --- | --- | --- | --- |")
    kept = 0
    for a, c, real_lift in zip(top["antecedents"], top["consequents"], top["lift"], strict=True):
        twin_lift = lift.get((a, c))
        ok = twin_lift is not None and abs(twin_lift / real_lift - 1) <= 0.3
        kept += ok
        left = " + ".join(str(names[int(item)]) for item in a.split("|"))
        shown = f"{twin_lift:.1f}" if twin_lift is not None else "-"
        print(
            f"| {left} -> {names[int(c)]} | {real_lift:.1f} | {shown} | {'yes' if ok else 'no'} |"
        )
    print(f"\nrules kept {kept} of {len(top)} (target >= 15)")
    print(
        f"fitting {fit_seconds:.2f} s; generating {generate_seconds:.2f} s; pyarrow writing the "
        f"same rows {floor:.2f} s; ratio {generate_seconds / floor:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    main()
