"""One bench_miner.py contestant in its own process: mine a basket file, write rules, report itself.

    python bench/miner_run.py CONTESTANT BASKETS OUT.csv MIN_SUPPORT MIN_CONFIDENCE

Contestants: ours, pyfim, mlxtend (single-item consequents); ours-tested (ours with --max-p 0.05
and --prune-redundant); ours-k3 and mlxtend-k3 (consequents of up to 3 items).

Prints one JSON line: wall seconds inside the process and peak RSS (MB) from getrusage. Every
contestant writes at least the columns antecedents, consequents, rule_count, antecedent_count,
consequent_count (keys sorted, joined by "|"), so bench_miner.py can compare the rule sets.
"""

from __future__ import annotations

import csv
import json
import math
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

MAX_LEN = 10
COMPARE_COLUMNS = [
    "antecedents",
    "consequents",
    "rule_count",
    "antecedent_count",
    "consequent_count",
]


def run_ours(
    baskets: Path,
    out: Path,
    min_support: float,
    min_confidence: float,
    **options: Any,
) -> int:
    from clustr_etl.mining import RuleThresholds, mine_rules, read_basket_file, write_rules_csv

    plain = {"min_count": 1, "max_p": 1.0}  # as pyfim and mlxtend: no floor, no test
    thresholds = RuleThresholds(
        min_support, min_confidence, min_lift=0.0, min_len=2, max_len=MAX_LEN, **(plain | options)
    )
    rules = mine_rules(read_basket_file(baskets), thresholds)
    write_rules_csv(rules, out)
    return len(rules)


def _read_lists(baskets: Path) -> list[list[str]]:
    with baskets.open(encoding="utf-8") as handle:
        return [
            sorted({x.strip() for x in line.split(",")} - {""}) for line in handle if line.strip()
        ]


def _write(out: Path, rows: list[tuple[str, str, int, int, int]]) -> int:
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COMPARE_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def run_pyfim(baskets: Path, out: Path, min_support: float, min_confidence: float) -> int:
    import fim

    tracts = _read_lists(baskets)
    min_count = math.ceil(round(min_support * len(tracts), 9))
    rules = fim.fpgrowth(
        tracts,
        target="r",
        supp=-min_count,
        conf=min_confidence * 100,
        zmin=2,
        zmax=MAX_LEN,
        report="abh",
        mode="o",
    )
    rows = [("|".join(sorted(body)), head, a, b, h) for head, body, a, b, h in rules]
    return _write(out, rows)


def run_mlxtend(
    baskets: Path, out: Path, min_support: float, min_confidence: float, max_consequent_len: int = 1
) -> int:
    import numpy as np
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from scipy import sparse

    tracts = _read_lists(baskets)
    labels = sorted({item for basket in tracts for item in basket})
    code = {label: i for i, label in enumerate(labels)}
    indptr = np.cumsum([0] + [len(b) for b in tracts])
    indices = np.fromiter(
        (code[x] for b in tracts for x in b), dtype=np.int32, count=int(indptr[-1])
    )
    matrix = sparse.csr_matrix(
        (np.ones(indices.size, dtype=bool), indices, indptr), shape=(len(tracts), len(labels))
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix, columns=labels)
    n = len(tracts)
    min_count = math.ceil(round(min_support * n, 9))
    itemsets = fpgrowth(
        onehot, min_support=(min_count - 0.5) / n, use_colnames=True, max_len=MAX_LEN
    )
    rules = association_rules(
        itemsets, num_itemsets=n, metric="confidence", min_threshold=min_confidence - 1e-12
    )
    rules = rules[rules["consequents"].map(len) <= max_consequent_len]
    rows = [
        ("|".join(sorted(a)), "|".join(sorted(c)), round(s * n), round(sa * n), round(sc * n))
        for a, c, s, sa, sc in zip(
            rules["antecedents"],
            rules["consequents"],
            rules["support"],
            rules["antecedent support"],
            rules["consequent support"],
            strict=True,
        )
    ]
    return _write(out, rows)


RUNNERS: dict[str, Callable[[Path, Path, float, float], int]] = {
    "ours": run_ours,
    "pyfim": run_pyfim,
    "mlxtend": run_mlxtend,
    "ours-tested": partial(run_ours, max_p=0.05, prune_redundant=True),
    "ours-k3": partial(run_ours, max_consequent_len=3),
    "mlxtend-k3": partial(run_mlxtend, max_consequent_len=3),
}


def main() -> None:
    name, baskets, out, min_support, min_confidence = sys.argv[1:6]
    started = time.perf_counter()
    n_rules = RUNNERS[name](Path(baskets), Path(out), float(min_support), float(min_confidence))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rules": n_rules, "inner_seconds": seconds, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
