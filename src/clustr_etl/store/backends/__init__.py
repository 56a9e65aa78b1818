"""Everything that differs between database systems, one module per backend behind one interface.

``backend_for(url_or_engine)`` returns the :class:`~clustr_etl.store.backends.base.Backend` for a URL (text or
parsed) or an engine. A new backend is a module with a ``Backend`` subclass, registered in ``BACKENDS``
(imported on first use: a SQLite command never imports psycopg).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib import import_module

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from clustr_etl.errors import ConfigError
from clustr_etl.store.backends.base import Backend
from clustr_etl.store.backends.scrub import driver_error_line, mask_url, remember_password, scrub
from clustr_etl.store.backends.types import (
    LockWait,
    OnWait,
    RowCounts,
    Step,
    TableSource,
    ignore_wait,
)

# URL backend name -> (module, class)
BACKENDS: dict[str, tuple[str, str]] = {
    "sqlite": ("clustr_etl.store.backends.sqlite", "SqliteBackend"),
    "postgresql": ("clustr_etl.store.backends.postgresql", "PostgresqlBackend"),
}


def backend_class(name: str) -> type[Backend] | None:
    """The Backend subclass for a URL's backend name (its module imported now), None if unsupported."""
    where = BACKENDS.get(name)
    if where is None:
        return None
    backend: type[Backend] = getattr(import_module(where[0]), where[1])
    return backend


__all__ = [
    "BACKENDS",
    "Backend",
    "LockWait",
    "OnWait",
    "RowCounts",
    "Step",
    "TableSource",
    "backend_class",
    "backend_for",
    "driver_error_line",
    "lock_is_held",
    "mask_url",
    "parse_database_url",
    "scrub",
    "writer_lock",
]


def parse_database_url(raw: str | URL) -> URL:
    """Parse and normalise a database URL of a supported backend (``postgresql://`` means psycopg 3)."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "CLUSTR_DATABASE_URL is not a valid database URL",
            "use e.g. sqlite:///data/clustr.db or postgresql+psycopg://user:pass@host:5432/db",
        ) from None
    remember_password(url)
    backend = backend_class(url.get_backend_name())
    if backend is None:
        raise ConfigError(
            f"database backend {url.get_backend_name()!r} is not supported",
            "use a sqlite:/// or postgresql+psycopg:// URL",
        )
    return backend.normalise_url(url)


def backend_for(url_or_engine: str | URL | Engine) -> Backend:
    """The backend of a database URL or engine."""
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else url_or_engine
    parsed = parse_database_url(url)
    backend = backend_class(parsed.get_backend_name())
    assert backend is not None  # parse_database_url refused the others
    return backend(parsed)


def writer_lock(
    url: str | URL, timeout: float, *, on_wait: OnWait = ignore_wait
) -> AbstractContextManager[None]:
    """Hold the database's writer lock for the block; wait up to ``timeout`` seconds for it.

    ``on_wait(message)`` is called once if another process holds the lock. Raises LockTimeoutError
    when the lock is still taken after ``timeout`` seconds. Readers never take it.
    """
    return backend_for(url).writer_lock(timeout, on_wait)


def lock_is_held(url: str | URL) -> bool:
    """Whether some process holds the writer lock now (read-only probe, never waits)."""
    return backend_for(url).lock_is_held()
