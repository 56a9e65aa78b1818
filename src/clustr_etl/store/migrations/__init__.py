"""Alembic migrations of the clustr-etl schema (run them with `clustr-etl migrate`).

``versions/0001_initial.py`` is the schema as released in 0.1.0; every later schema change adds one revision.
See :mod:`clustr_etl.store.schema` for the functions that run them.
"""
