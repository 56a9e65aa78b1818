"""Scratch PostgreSQL databases on the CLUSTR_TEST_DATABASE_URL server, created and dropped by tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Read once at import: an autouse fixture clears every CLUSTR_* variable before each test.
SERVER_URL = os.environ.get("CLUSTR_TEST_DATABASE_URL")


def server_url_or_skip() -> str:
    """The test server's URL; skip without one (a failure under CI=true, where it is required)."""
    server = SERVER_URL
    if not server:
        message = "CLUSTR_TEST_DATABASE_URL is not set: PostgreSQL tests need a server URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message)
    return server


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named ``<prefix>_<random>``; dropped (forcibly) afterwards."""
    server = make_url(server_url_or_skip()).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
