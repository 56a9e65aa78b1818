"""`clustr-etl import` speed and memory, side by side with pandas reading the same files.

    .venv/bin/python bench/bench_import.py                       # whole Online Retail, 50k-row xlsx
    .venv/bin/python bench/bench_import.py --xlsx-rows 10000 --repeat 1

Each measurement runs in its own child process (fresh interpreter, imports done before the clock
starts); the child reports wall seconds, CPU seconds and its peak RSS. Rows:

* ``pandas.read_csv``: the anchor, reading ../shared/data/online_retail.csv.gz into a DataFrame;
* ``import (csv.gz)``: the whole import (read, clean, key, calendar, realism statistics, five CSVs
  and the report written);
* ``read_excel calamine`` vs ``read_excel openpyxl``: pandas reading an xlsx made here from the
  first ``--xlsx-rows`` lines (sheet "Online Retail", like the UCI original);
* ``import (xlsx)``: the import of that workbook (calamine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

SHARED = (
    os.environ.get("SHARED_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)
DATA = Path(SHARED) / "online_retail.csv.gz"

PRELUDE = """
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from clustr_etl.importing import ImportOptions, import_dataset
"""
EPILOGUE = """
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime - cpu0,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""
CLOCK = """
usage0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = usage0.ru_utime + usage0.ru_stime
start = time.perf_counter()
"""
TASKS = {
    "pandas.read_csv": "pd.read_csv({path!r})",
    "import (csv.gz)": "import_dataset(ImportOptions((Path({path!r}),), 'online-retail'), "
    "Path({out!r}), force=True)",
    "read_excel calamine": "pd.read_excel({xlsx!r}, engine='calamine')",
    "read_excel openpyxl": "pd.read_excel({xlsx!r}, engine='openpyxl')",
    "import (xlsx)": "import_dataset(ImportOptions((Path({xlsx!r}),), 'online-retail'), "
    "Path({out!r}), force=True)",
}


def measure(statement: str) -> dict[str, float]:
    code = PRELUDE + CLOCK + statement + EPILOGUE
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def make_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    frame = pd.read_csv(DATA, nrows=rows, dtype={"CustomerID": "Int64"})
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Online Retail")
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        sheet.append([None if pd.isna(value) else value for value in record])
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per row")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} not found: the benchmark needs ../shared/data/online_retail.csv.gz")
    with tempfile.TemporaryDirectory() as folder:
        xlsx = Path(folder) / "online_retail.xlsx"
        make_workbook(xlsx, args.xlsx_rows)
        names = {"path": str(DATA), "xlsx": str(xlsx), "out": str(Path(folder) / "raw")}
        results = {}
        for label, template in TASKS.items():
            runs = [measure(template.format(**names)) for _ in range(args.repeat)]
            results[label] = min(runs, key=lambda run: run["seconds"])
    anchor = results["pandas.read_csv"]["seconds"]
    excel_anchor = results["read_excel openpyxl"]["seconds"]
    print(f"{'task':<22}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}  ratio")
    for label, run in results.items():
        base = excel_anchor if "xlsx" in label or "excel" in label else anchor
        anchor_name = "openpyxl" if base == excel_anchor else "read_csv"
        print(
            f"{label:<22}{run['seconds']:>9.2f}{run['cpu']:>8.2f}{run['peak_mb']:>9.0f}"
            f"  {run['seconds'] / base:.2f}x {anchor_name}"
        )
    print(f"(xlsx: {args.xlsx_rows:,} rows; best of {args.repeat}; a shared, loaded machine)")


if __name__ == "__main__":
    main()
