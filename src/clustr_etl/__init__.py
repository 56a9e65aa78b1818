"""clustr-etl: the data foundation of Clustr."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__`` is read from the installed metadata on first use (keeps startup light)."""
    if name != "__version__":
        raise AttributeError(f"module 'clustr_etl' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clustr-etl")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"
