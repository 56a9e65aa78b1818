"""Loading CSVs and mined rules into the database: validated first, atomic, fast (COPY on PostgreSQL)."""

from clustr_etl.loading.rules import load_rule_chunks, load_rule_rows, load_rules, rules_frame
from clustr_etl.loading.tables import (
    append_frame,
    load_customers,
    load_products,
    load_sales,
    load_tables,
    load_timeframe,
    load_transactions,
    truncate_table,
    upsert_frame,
)

__all__ = [
    "append_frame",
    "load_customers",
    "load_products",
    "load_rule_chunks",
    "load_rule_rows",
    "load_rules",
    "load_sales",
    "load_tables",
    "load_timeframe",
    "load_transactions",
    "rules_frame",
    "truncate_table",
    "upsert_frame",
]
