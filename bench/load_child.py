"""One measured loader run, in its own process so that its peak RSS is its own (see bench_load.py).

    python bench/load_child.py ours   DATABASE_URL RAW_DIR [TABLE ...]
    python bench/load_child.py to_sql DATABASE_URL RAW_DIR ROWS_PER_TABLE
    python bench/load_child.py read_csv - RAW_DIR           (pandas.read_csv of every file, whole)

Prints one JSON line: {"seconds": ..., "rows": {table: rows}, "table_seconds": {table: seconds}}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

Timings = dict[str, float]
DATE_COLUMNS = {"customers": ("signup_date",), "timeframe": ("date",), "transactions": ("date",)}


def run_ours(url: str, raw_dir: Path, tables: list[str]) -> dict[str, int]:
    from clustr_etl.loading import load_tables
    from clustr_etl.store.schema import make_engine

    engine = make_engine(url)
    try:
        return load_tables(engine, raw_dir, tables or None)
    finally:
        engine.dispose()


def run_to_sql(url: str, raw_dir: Path, rows: int, timings: Timings) -> dict[str, int]:
    """pandas ``read_csv`` + ``DataFrame.to_sql`` (default method) of the first ``rows`` lines per table."""
    import pandas as pd

    from clustr_etl.loading import TABLE_FILES
    from clustr_etl.store.schema import make_engine

    engine = make_engine(url)
    loaded = {}
    try:
        for table, file_name in TABLE_FILES.items():
            start = time.perf_counter()
            frame = pd.read_csv(raw_dir / file_name, nrows=rows)
            for column in DATE_COLUMNS.get(table, ()):
                frame[column] = pd.to_datetime(frame[column]).dt.date
            frame.to_sql(table, engine, if_exists="append", index=False)
            loaded[table] = len(frame)
            timings[table] = time.perf_counter() - start
    finally:
        engine.dispose()
    return loaded


def run_read_csv(raw_dir: Path, timings: Timings) -> dict[str, int]:
    """What the naive approach holds in memory: every file read whole by pandas (one at a time)."""
    import pandas as pd

    from clustr_etl.loading import TABLE_FILES

    loaded = {}
    for table, file_name in TABLE_FILES.items():
        start = time.perf_counter()
        loaded[table] = len(pd.read_csv(raw_dir / file_name))
        timings[table] = time.perf_counter() - start
    return loaded


def main() -> None:
    mode, url, raw = sys.argv[1:4]
    timings: Timings = {}
    start = time.perf_counter()
    if mode == "ours":
        rows = run_ours(url, Path(raw), sys.argv[4:])
    elif mode == "to_sql":
        rows = run_to_sql(url, Path(raw), int(sys.argv[4]), timings)
    else:
        rows = run_read_csv(Path(raw), timings)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": rows, "table_seconds": timings}))


if __name__ == "__main__":
    main()
