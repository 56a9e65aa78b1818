"""Generator speed and memory, side by side with pyarrow's CSV writer and a Faker row loop.

    .venv/bin/python bench/bench_generate.py                    # 500k and 2.5M transactions
    .venv/bin/python bench/bench_generate.py --sizes 100000 --workers 1,2

For each size and worker count the generator runs in a child process (peak memory: PSS summed
over the child and its workers - shared pages counted once - sampled every 250 ms). The
baseline writes arrays of the same shape, types and row counts (int64 ids, date32, decimal128
money) with ``pyarrow.csv.write_csv`` in this process, timing only the writing. The generator
writes the same characters more cheaply (decimal64 money, prices and discounts as dictionary texts
formatted once, 8,192-row batches); a second, "tuned" anchor writes the same-shape arrays with those
settings, so the ratio against it shows what drawing the data costs beyond formatting. Faker: a
row loop building sales-like rows for 100k rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
from pyarrow import csv as pa_csv

from clustr_etl.dataset.csv_writer import (
    csv_money,
    epoch_dates,
    labels,
    money_texts,
    numbers,
    scaled_decimal,
)

CHILD = """
import json, sys, time
from pathlib import Path
from clustr_etl.simulate import GenerateOptions, generate_dataset
start = time.perf_counter()
rows = generate_dataset(GenerateOptions(transactions={n}, workers={w}), Path({out!r}), force=True)
print(json.dumps({{"seconds": time.perf_counter() - start, "rows": rows}}))
"""


def run_generator(transactions: int, workers: int, out: Path) -> tuple[float, int, int, float]:
    """Run the generator in a child: (seconds, sales rows, peak PSS bytes, CPU seconds of tree).

    CPU time is the last sampled user + system time of every process in the tree (workers
    included), so it stays meaningful when other jobs share the machine.
    """
    code = CHILD.format(n=transactions, w=workers, out=str(out))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    parent = psutil.Process(child.pid)
    peak = 0
    cpu_by_pid: dict[int, float] = {}
    while child.poll() is None:
        try:
            total = 0
            for process in [parent, *parent.children(recursive=True)]:
                with process.oneshot():
                    total += process.memory_full_info().pss
                    times = process.cpu_times()
                    cpu_by_pid[process.pid] = times.user + times.system
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.25)  # reading PSS (smaps) is costly: sample sparsely
    output = child.stdout.read() if child.stdout else ""
    if child.returncode:
        raise SystemExit(f"generator failed with exit code {child.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    sales = int(result["rows"]["sales.csv"])
    return float(result["seconds"]), sales, peak, sum(cpu_by_pid.values())


def _same_shape_tables(rows: int, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    ids = np.arange(1, rows + 1, dtype=np.int64)
    transactions = pa.table(
        {
            "transaction_id": pa.array(ids),
            "customer_id": pa.array(rng.integers(1, 5_001, rows)),
            "date": epoch_dates(rng.integers(19_723, 20_453, rows)),
        }
    )
    cents = rng.integers(49, 20_000, rows)
    sales = pa.table(
        {
            "sale_id": pa.array(ids),
            "transaction_id": pa.array(ids // 4 + 1),
            "product_id": pa.array(rng.integers(1, 1_001, rows)),
            "quantity": pa.array(rng.integers(1, 4, rows)),
            "unit_price": scaled_decimal(cents, 10, 2),
            "discount": scaled_decimal(rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 100, 250], rows), 4, 3),
            "line_total": scaled_decimal(cents * 2, 12, 2),
        }
    )
    return transactions, sales


def _tuned_sales(rows: int, rng: np.random.Generator) -> pa.Table:
    """Sales of the same shape with the generator's writer settings (same characters)."""
    ids = np.arange(1, rows + 1, dtype=np.int64)
    product = rng.integers(0, 1_000, rows)
    cents = rng.integers(49, 20_000, 1_000)
    level = rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 1, 2], rows)
    return pa.table(
        {
            "sale_id": numbers(ids, np.int64, pa.int64()),
            "transaction_id": numbers(ids // 4 + 1, np.int64, pa.int64()),
            "product_id": numbers(product + 1, np.int64, pa.int64()),
            "quantity": numbers(rng.integers(1, 4, rows), np.int64, pa.int64()),
            "unit_price": labels(product, money_texts(cents, 10, 2)),
            "discount": labels(level, money_texts(np.array([0, 100, 250]), 4, 3)),
            "line_total": csv_money(cents[product] * 2, 12, 2),
        }
    )


def pyarrow_seconds(
    table: pa.Table, rows: int, path: Path, batch_size: int = 1_024
) -> tuple[float, float]:
    """(wall, CPU) seconds pyarrow.csv.write_csv needs for ``rows`` rows shaped like ``table``."""
    options = pa_csv.WriteOptions(include_header=False, batch_size=batch_size)
    start, start_cpu = time.perf_counter(), time.process_time()
    with pa.OSFile(str(path), "wb") as sink:
        written = 0
        while written < rows:
            piece = table.slice(0, min(table.num_rows, rows - written))
            pa_csv.write_csv(piece, sink, write_options=options)
            written += piece.num_rows
    return time.perf_counter() - start, time.process_time() - start_cpu


def faker_rows_per_second(rows: int, path: Path) -> float:
    from faker import Faker

    fake = Faker()
    Faker.seed(1)
    start = time.perf_counter()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for sale_id in range(1, rows + 1):
            price = fake.pydecimal(left_digits=3, right_digits=2, positive=True)
            quantity = fake.random_int(1, 3)
            writer.writerow(
                [
                    sale_id,
                    sale_id // 4 + 1,
                    fake.random_int(1, 1000),
                    quantity,
                    price,
                    "0.000",
                    price * quantity,
                    fake.date_between("-2y", "today").isoformat(),
                ]
            )
    return rows / (time.perf_counter() - start)


HEADER = (
    f"{'transactions':>12} {'workers':>7} {'sales rows':>11} {'gen s':>6} {'arrow s':>7} "
    f"{'ratio':>5} {'gen cpu':>7} {'arrow cpu':>9} {'cpu ratio':>9} {'gen rows/s':>10} "
    f"{'arrow rows/s':>12} {'peak MiB':>8}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500000,2500000", help="transactions per run")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    template_transactions, template_sales = _same_shape_tables(262_144, rng)
    tuned_sales = _tuned_sales(262_144, rng)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        faker = faker_rows_per_second(100_000, work / "faker.csv")
        print(f"load average at start: {os.getloadavg()[0]:.1f} (other jobs skew wall times)")
        print(HEADER)
        per_file: list[str] = []
        tuned: list[str] = []
        for transactions in [int(text) for text in args.sizes.split(",")]:
            for workers in [int(text) for text in args.workers.split(",")]:
                seconds, n_sales, peak, cpu = run_generator(transactions, workers, work / "raw")
                wall_t, cpu_t = pyarrow_seconds(template_transactions, transactions, work / "t.csv")
                wall_s, cpu_s = pyarrow_seconds(template_sales, n_sales, work / "s.csv")
                arrow, arrow_cpu = wall_t + wall_s, cpu_t + cpu_s
                tuned_t = pyarrow_seconds(
                    template_transactions, transactions, work / "t.csv", 8_192
                )
                tuned_s = pyarrow_seconds(tuned_sales, n_sales, work / "s.csv", 8_192)
                tuned_wall = tuned_t[0] + tuned_s[0]
                tuned.append(
                    f"{transactions:>12,} {workers:>7}  {tuned_wall:>6.2f} s  ratio "
                    f"{seconds / tuned_wall:>5.2f}  cpu {tuned_t[1] + tuned_s[1]:>5.2f} s  "
                    f"cpu ratio {cpu / (tuned_t[1] + tuned_s[1]):>5.2f}"
                )
                lines = transactions + n_sales
                print(
                    f"{transactions:>12,} {workers:>7} {n_sales:>11,} {seconds:>6.2f} "
                    f"{arrow:>7.2f} {seconds / arrow:>5.2f} {cpu:>7.2f} {arrow_cpu:>9.2f} "
                    f"{cpu / arrow_cpu:>9.2f} {lines / seconds:>10,.0f} "
                    f"{lines / arrow:>12,.0f} {peak / 2**20:>8,.0f}"
                )
                per_file.append(
                    f"{transactions:>12,} {workers:>7}  transactions.csv "
                    f"{transactions / seconds:>11,.0f} {transactions / wall_t:>11,.0f}   "
                    f"sales.csv {n_sales / seconds:>11,.0f} {n_sales / wall_s:>11,.0f}"
                )
        print(
            "\nper file, rows/s (generator: the file's rows / total time, as both are written in one"
        )
        print("pass; pyarrow: that file alone):  generator  pyarrow")
        print("\n".join(per_file))
        print("\npyarrow with the generator's writer settings (the tuned anchor):")
        print("\n".join(tuned))
        print(f"Faker row loop (sales-like rows, csv.writer): {faker:,.0f} rows/s")
        print(
            "rows/s: transactions.csv + sales.csv rows per second; ratio: generator / pyarrow wall"
            " time; cpu: CPU seconds (generator: whole process tree incl. startup and planning);"
            " peak: PSS of the generator's process tree"
        )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
