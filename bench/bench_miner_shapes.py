"""Explosive basket shapes and ordinary baskets, ours (with the rule budget) next to pyfim, in one run.

    .venv/bin/python bench/bench_miner_shapes.py [--ordinary 1000000] [--timeout 60] [--only NAME]
        [--scale file-1M file-10M file-30M instacart-file db-10M instacart-db]

Every contestant runs as its own process under an address-space cap (prlimit, 6 GB) and a timeout,
so an explosive shape cannot take the machine down; peak RSS comes from ``/usr/bin/time -f %M``.
Ours is ``clustr-etl mine-rules --input FILE --format basket --no-load`` (reading, mining, testing
and writing the rules CSV); pyfim is ``fim.fpgrowth(target="r")`` at the same count threshold,
confidence and max length (rules counted, not written: that favours pyfim). "guard" says whether
ours stopped with the budget's one line (exit 3).

``--scale`` adds the large cases (inputs cached under /work/bench-data/, see miner_scale_data.py):
ordinary baskets (2,000 items, mean about 4) at 1M, 10M and 30M from a basket file; 10M generated
transactions (45M sale lines) from PostgreSQL and from SQLite; the Instacart shape (3.4M orders,
50,000 products, mean 10 items) from a basket file and from each database. Ours runs with the
defaults; pyfim at the same support (and the count floor of 10) on the same baskets, without the
significance test, so it reports more rules. Database cases export their baskets once for pyfim.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from miner_scale_data import basket_file, exported_baskets, loaded_dataset
from miner_workload import generate_basket_file

HERE = Path(__file__).resolve().parent
CAP_BYTES = 6_000_000_000
SCALE_TIMEOUT = 1800.0
FILE_CASES = {  # name: (baskets, items, mean items per basket)
    "file-1M": (1_000_000, 2_000, 4.0),
    "file-10M": (10_000_000, 2_000, 4.0),
    "file-30M": (30_000_000, 2_000, 4.0),
    "instacart-file": (3_400_000, 50_000, 10.0),
}
DB_CASES = {  # name: (dataset, generate options)
    "db-10M": ("t10m", ["--transactions", "10000000"]),
    "instacart-db": (
        "instacart",
        [
            "--transactions",
            "3400000",
            "--products",
            "50000",
            "--mean-items",
            "10",
            "--max-items",
            "60",
        ],
    ),
}
PYFIM = """
import sys, fim
tracts = [line.strip().split(",") for line in open(sys.argv[1]) if line.strip()]
rules = fim.fpgrowth(tracts, target="r", supp=-int(sys.argv[2]), conf=float(sys.argv[3]) * 100,
                     zmin=2, zmax=int(sys.argv[4]), report="abh", mode="o")
print(len(rules))
"""


@dataclass
class Shape:
    name: str
    lines: list[str]
    options: list[str] = field(default_factory=list)
    support: float = 0.001  # for pyfim's count threshold (ours reads the options)
    min_count: int = 10
    confidence: float = 0.1
    max_len: int = 10


def ordinary_lines(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [
        ",".join(str(i) for i in sorted(rng.sample(range(1, 1001), rng.randint(1, 8))))
        for _ in range(n)
    ]


def shapes() -> list[Shape]:
    explicit = ["--min-support", "0.002", "--min-count", "10", "--max-p", "1"]
    wholesale = ordinary_lines(5_000) + [",".join(f"W{i}" for i in range(20))] * 15
    medium_pool = [f"M{i}" for i in range(28)]
    rng = random.Random(2)
    medium = [
        ",".join(rng.sample(medium_pool, 25) + [str(i) for i in rng.sample(range(1, 1001), 5)])
        for _ in range(2_000)
    ]
    return [
        Shape("15 x 20 identical + 5,000", wholesale, explicit, 0.002),
        Shape("15 x 20, --max-rules 0", wholesale, [*explicit, "--max-rules", "0"], 0.002),
        Shape("15 x 20, default support", wholesale, ["--min-count", "10", "--max-p", "1"]),
        Shape(
            "15 x 20, --top-k 1000 --max-rules 0 (pyfim: all rules)",
            wholesale,
            [*explicit, "--top-k", "1000", "--max-rules", "0"],
            0.002,
        ),
        Shape(
            "60 x 60 identical + 5,000",
            ordinary_lines(5_000) + [",".join(f"W{i}" for i in range(60))] * 60,
            explicit,
            0.002,
        ),
        Shape(
            "15 x 200 identical + 5,000",
            ordinary_lines(5_000) + [",".join(f"W{i}" for i in range(200))] * 15,
            explicit,
            0.002,
        ),
        Shape(
            "1 basket of 5,000 items, min count 1",
            [",".join(f"i{i}" for i in range(5_000))],
            ["--min-support", "1", "--min-count", "1", "--max-p", "1"],
            1.0,
            1,
        ),
        Shape(
            "2,000 baskets sharing 25 of 28 items",
            medium,
            ["--min-support", "0.01", "--min-count", "10", "--max-p", "1"],
            0.01,
        ),
    ]


def measured(command: list[str], timeout: float, cap: bool = True) -> tuple[float, int, int, str]:
    """(seconds, peak MB, exit code, last output line) of a capped, timed process."""
    wrapped = ["prlimit", f"--as={CAP_BYTES}"] if cap else []
    wrapped += ["timeout", str(timeout)]
    wrapped += ["/usr/bin/time", "-f", "%M", *command]
    started = time.perf_counter()
    done = subprocess.run(wrapped, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    err_lines = [line for line in done.stderr.splitlines() if line.strip()]
    peak_kb = int(err_lines[-1]) if err_lines and err_lines[-1].isdigit() else 0
    errors = [line for line in err_lines if line.startswith("Error: ")]
    message = errors[-1] if errors else (done.stdout.strip().splitlines() or [""])[-1]
    return seconds, peak_kb // 1024, done.returncode, message


def count_threshold(shape: Shape, n: int) -> int:
    return max(math.ceil(round(shape.support * n, 9)), shape.min_count)


def run_shape(shape: Shape, folder: Path, timeout: float, pyfim: bool) -> None:
    path = folder / "baskets.csv"
    path.write_text("\n".join(shape.lines) + "\n", encoding="utf-8")
    out = folder / "rules.csv"
    ours = [sys.executable, "-m", "clustr_etl", "-q", "mine-rules", "--input", str(path)]
    ours += ["--format", "basket", "--no-load", "--output", str(out), *shape.options]
    seconds, peak, code, message = measured(ours, timeout)
    rules = _csv_rows(out) if code == 0 else 0
    status = {0: "", 3: "guard", 124: "timeout"}.get(code, f"exit {code}")
    print(f"| {shape.name} | ours | {seconds:.1f} | {peak:,} | {rules:,} | {status} |", flush=True)
    if code == 3:
        print(f"|  | ours' line: {message[:200]} | | | | |", flush=True)
    if pyfim:
        count = count_threshold(shape, len(shape.lines))
        theirs = [sys.executable, "-c", PYFIM, str(path), str(count)]
        theirs += [str(shape.confidence), str(shape.max_len)]
        seconds, peak, code, message = measured(theirs, timeout)
        status = {0: "", 124: "timeout"}.get(code, f"exit {code} (memory cap?)")
        rules_text = f"{int(message):,}" if code == 0 and message.isdigit() else "-"
        print(f"| {shape.name} | pyfim | {seconds:.1f} | {peak:,} | {rules_text} | {status} |")
    out.unlink(missing_ok=True)


def run_scale(case: str, folder: Path, pyfim: bool) -> None:
    """One large case: ours (whole mine-rules process) and pyfim on the same baskets."""
    out = folder / "rules.csv"
    ours = [sys.executable, "-m", "clustr_etl", "-q", "mine-rules", "--output", str(out)]
    if case in FILE_CASES:
        n, items, mean = FILE_CASES[case]
        path = basket_file(n, items, mean)
        _run_scale_pair(
            case,
            [[*ours, "--input", str(path), "--format", "basket", "--no-load"]],
            path,
            n,
            out,
            pyfim,
        )
        return
    dataset, options = DB_CASES[case]
    runs, path, n = [], None, 0
    for backend in ("postgresql", "sqlite"):
        url, data_dir = loaded_dataset(dataset, options, backend)
        runs.append([*ours, "--database-url", url, "--data-dir", str(data_dir), "--no-load"])
        if path is None:
            path = exported_baskets(url, data_dir)
            n = _lines(path)
    assert path is not None
    _run_scale_pair(case, runs, path, n, out, pyfim)


def _run_scale_pair(
    case: str, runs: list[list[str]], path: Path, n: int, out: Path, pyfim: bool
) -> None:
    for command in runs:
        source = (
            command[command.index("--database-url") + 1].split(":")[0]
            if "--database-url" in command
            else "file"
        )
        seconds, peak, code, message = measured(command, SCALE_TIMEOUT, cap=False)
        rules = _csv_rows(out) if code == 0 else 0
        status = "" if code == 0 else f"exit {code}: {message[:120]}"
        print(
            f"| {case} ({n:,} baskets) | ours, {source} | {seconds:.1f} | {peak:,} | {rules:,} | {status} |",
            flush=True,
        )
        out.unlink(missing_ok=True)
    if pyfim:
        count = max(math.ceil(round(0.001 * n, 9)), 10)
        theirs = [sys.executable, "-c", PYFIM, str(path), str(count), "0.1", "10"]
        seconds, peak, code, message = measured(theirs, SCALE_TIMEOUT, cap=False)
        rules_text = f"{int(message):,}" if code == 0 and message.isdigit() else "-"
        status = "" if code == 0 else f"exit {code}"
        print(
            f"| {case} ({n:,} baskets) | pyfim, file | {seconds:.1f} | {peak:,} | {rules_text} | {status} |",
            flush=True,
        )


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


def _csv_rows(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ordinary", type=int, default=1_000_000, help="baskets of the ordinary run"
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", help="run the shapes whose name contains this")
    parser.add_argument("--no-pyfim", action="store_true")
    parser.add_argument(
        "--scale", nargs="*", default=[], choices=[*FILE_CASES, *DB_CASES], help="large cases"
    )
    args = parser.parse_args()
    print("| shape | miner | seconds | peak MB | rules | stopped by |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for shape in shapes():
            if args.scale and not args.only:  # the large cases alone
                break
            if args.only and args.only not in shape.name:
                continue
            run_shape(shape, folder, args.timeout, not args.no_pyfim)
        if args.ordinary and not args.scale and (not args.only or "ordinary" in args.only):
            path = folder / "ordinary.csv"
            generate_basket_file(path, args.ordinary, 2_000)
            lines = path.read_text(encoding="utf-8").splitlines()
            name = f"{args.ordinary:,} ordinary baskets, defaults"
            run_shape(Shape(name, lines, []), folder, args.timeout, not args.no_pyfim)
        for case in args.scale:
            run_scale(case, folder, not args.no_pyfim)


if __name__ == "__main__":
    main()
