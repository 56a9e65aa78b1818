"""Importing real retail exports (Online Retail, Online Retail II, Instacart, any invoice-line file)
into the five CSVs that `load` reads."""

from clustr_etl.importing.append import append_import
from clustr_etl.importing.importer import ImportOptions, ImportResult, import_dataset, parse_day
from clustr_etl.importing.presets import PRESETS

__all__ = [
    "PRESETS",
    "ImportOptions",
    "ImportResult",
    "append_import",
    "import_dataset",
    "parse_day",
]
