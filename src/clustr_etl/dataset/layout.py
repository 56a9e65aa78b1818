"""The names of what a data folder holds, in ONE place.

``<data dir>/raw/`` has one CSV per table (or one Parquet folder per table), the generator's planted
bundles and options manifest or the importer's report, and later batches under ``batches/`` (see
``batches.py``). The rules CSV and the HTML report sit in ``<data dir>`` itself (see ``Settings``).
"""

from __future__ import annotations

from clustr_etl.store.models import DATA_TABLES

# One file per data table, in load (dependency) order: products.csv, customers.csv, ...
TABLE_FILES: dict[str, str] = {name: f"{name}.csv" for name in DATA_TABLES}
# The generator's ground truth: the bundles it planted in the baskets.
PLANTED_FILE = "planted_bundles.csv"
PLANTED_COLUMNS = ("bundle_id", "product_ids", "strength", "kind", "theme")
# The options a generated dataset was made with (so `run-all` knows when to regenerate).
MANIFEST_FILE = "generate_options.json"
# What `clustr-etl import` read, kept and dropped; its presence marks a retailer's data (never regenerated).
IMPORT_REPORT_FILE = "import_report.json"
