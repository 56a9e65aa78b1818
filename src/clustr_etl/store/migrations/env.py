"""Alembic environment: migrations always run on a connection handed over by clustr_etl.store.schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from clustr_etl.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "run clustr-etl migrations with `clustr-etl migrate`, not the alembic command"
    )

# Batch mode: SQLite rebuilds a table to alter it, PostgreSQL alters in place; the same script runs on both.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
