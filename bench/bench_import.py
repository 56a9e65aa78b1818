"""`clustr-etl import` speed and memory, side by side with pandas reading the same files.

    .venv/bin/python bench/bench_import.py                       # whole Online Retail, 50k-row xlsx
    .venv/bin/python bench/bench_import.py --xlsx-rows 10000 --repeat 1

Each measurement runs in its own child process (fresh interpreter, imports done before the clock
starts); the child reports wall seconds, CPU seconds and its peak RSS. Rows:

* ``pandas.read_csv``: the anchor, reading ../shared/data/online_retail.csv.gz into a DataFrame;
* ``import (csv.gz)``: the whole import (read, clean, key, calendar, realism statistics, five CSVs
  and the report written), ``--preset online-retail``;
* ``import, all given``: the same with the preset, encoding and delimiter given (the least detection);
* ``import, all found``: the same with nothing given (layout recognised by the headers, encoding,
  delimiter and formats found by looking at the data): the cost of detection against the row above;
* ``import, European copy``: the file rewritten as a German Excel export (``;``, cp1252, ``2,55``,
  ``01.12.2010 08:26``) and imported with nothing given (the per-distinct-value parsers);
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
from clustr_etl.importing.formats import Formats
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
    "import, all given": "import_dataset(ImportOptions((Path({path!r}),), 'online-retail', "
    "encoding='utf-8', formats=Formats(delimiter=',')), Path({out!r}), force=True)",
    "import, all found": "import_dataset(ImportOptions((Path({path!r}),), None), "
    "Path({out!r}), force=True)",
    "import, European copy": "import_dataset(ImportOptions((Path({european!r}),), None), "
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


def make_european(path: Path) -> None:
    """Online Retail as a German Excel export: ';', cp1252, decimal comma, day-first dates."""
    import gzip

    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    frame["UnitPrice"] = frame["UnitPrice"].str.replace(".", ",", regex=False)
    when = pd.to_datetime(frame["InvoiceDate"])
    frame["InvoiceDate"] = when.dt.strftime("%d.%m.%Y %H:%M")
    text = frame.to_csv(sep=";", index=False)
    path.write_bytes(gzip.compress(text.encode("cp1252", errors="replace"), compresslevel=1))


def main() -> None:
    if sys.argv[1:2] == ["--make"]:
        make_european(Path(sys.argv[2]))
        if len(sys.argv) > 3:
            make_workbook(Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per row")
    parser.add_argument("--csv-only", action="store_true", help="skip the xlsx rows")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} not found: the benchmark needs ../shared/data/online_retail.csv.gz")
    with tempfile.TemporaryDirectory() as folder:
        xlsx = Path(folder) / "online_retail.xlsx"
        european = Path(folder) / "online_retail_de.csv.gz"
        # Made in child processes: a child's peak RSS starts at its parent's (Linux keeps the
        # high-water mark across exec), so the parent stays small.
        made = [sys.executable, __file__, "--make", str(european)]
        subprocess.run(made, check=True)
        if not args.csv_only:
            made += [str(xlsx), str(args.xlsx_rows)]
            subprocess.run(made, check=True)
        names = {"path": str(DATA), "xlsx": str(xlsx), "out": str(Path(folder) / "raw")}
        names["european"] = str(european)
        results = {}
        for label, template in TASKS.items():
            if args.csv_only and ("xlsx" in label or "excel" in label):
                continue
            runs = [measure(template.format(**names)) for _ in range(args.repeat)]
            results[label] = min(runs, key=lambda run: run["seconds"])
    anchor = results["pandas.read_csv"]["seconds"]
    excel_anchor = results.get("read_excel openpyxl", {"seconds": float("nan")})["seconds"]
    print(f"{'task':<24}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}  ratio")
    for label, run in results.items():
        on_excel = "xlsx" in label or "excel" in label
        base, anchor_name = (excel_anchor, "openpyxl") if on_excel else (anchor, "read_csv")
        print(
            f"{label:<24}{run['seconds']:>9.2f}{run['cpu']:>8.2f}{run['peak_mb']:>9.0f}"
            f"  {run['seconds'] / base:.2f}x {anchor_name}"
        )
    print(f"(xlsx: {args.xlsx_rows:,} rows; best of {args.repeat}; a shared, loaded machine)")


if __name__ == "__main__":
    main()
