"""`clustr-etl report`: one self-contained HTML page about a dataset and its bundle rules."""

from __future__ import annotations

from clustr_etl.report.build import (
    DEFAULT_TOP,
    MAX_TOP,
    ReportError,
    ReportResult,
    build_report,
    default_output,
)

__all__ = [
    "DEFAULT_TOP",
    "MAX_TOP",
    "ReportError",
    "ReportResult",
    "build_report",
    "default_output",
]
