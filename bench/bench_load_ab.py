"""One load against another release's, alternating, with PostgreSQL's own build of the same end state.

    git archive 4bbcf4d src | tar -x -C /tmp/before    # the release to compare with
    .venv/bin/python bench/bench_load_ab.py --before /tmp/before/src --rounds 2

Each round: the load of ``--before`` (its ``src`` folder first on PYTHONPATH), then this tree's, each a
whole process into a fresh init-db database (bench/load_child.py ``ours``), then ``psql \\copy`` into the
tables stripped of keys followed by psql building them (bench_load's ``psql_copy_then_keys``). The dataset is
bench_load's (bench/.data/load/t<N>). Prints each time and the ratios to PostgreSQL's own build per round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from bench_load import (
    CHILD,
    DEFAULT_DATA,
    drop_database,
    ensure_dataset,
    fresh_database,
    measured,
    psql_copy_then_keys,
)

HERE = Path(__file__).resolve().parent


def one_load(server: str, label: str, src: Path, raw: Path) -> float:
    name = f"clustr_bench_ab_{label}_{os.getpid()}"
    url = fresh_database(server, name)
    try:
        env = dict(os.environ, PYTHONPATH=str(src))
        seconds, peak, out = measured([sys.executable, str(CHILD), "ours", url, str(raw)], env)
    finally:
        drop_database(server, name)
    inner = json.loads(out.strip().splitlines()[-1])["seconds"]
    print(f"{label}: {seconds:.1f} s whole process ({inner:.1f} s inside), peak {peak:.0f} MB")
    return seconds


def postgres_own(server: str, raw: Path) -> float:
    name = f"clustr_bench_ab_own_{os.getpid()}"
    url = fresh_database(server, name)
    try:
        copy, keys, _ = psql_copy_then_keys(url, raw)
    finally:
        drop_database(server, name)
    print(f"PostgreSQL's own build: {copy + keys:.1f} s (copy {copy:.1f} + keys {keys:.1f})")
    return copy + keys


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--before", type=Path, required=True, help="src folder of the other release"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CLUSTR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    raw = DEFAULT_DATA / f"t{args.transactions}"
    ensure_dataset(raw, args.transactions)
    times: dict[str, list[float]] = {"before": [], "this tree": [], "own": []}
    for _ in range(args.rounds):
        times["before"].append(one_load(args.pg_url, "before", args.before, raw))
        times["this tree"].append(one_load(args.pg_url, "this tree", HERE.parent / "src", raw))
        times["own"].append(postgres_own(args.pg_url, raw))
    for label in ("before", "this tree"):
        ratios = [ours / own for ours, own in zip(times[label], times["own"], strict=True)]
        mean = statistics.mean(times[label]) / statistics.mean(times["own"])
        shown = " ".join(f"{ratio:.2f}x" for ratio in ratios)
        print(f"{label} vs PostgreSQL's own build: {shown} (means: {mean:.2f}x)")


if __name__ == "__main__":
    main()
