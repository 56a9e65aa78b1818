"""Synthetic retail data: products, customers, calendar, transactions and sale lines as CSV files.

    from clustr_etl.simulate import GenerateOptions, generate_dataset
    rows = generate_dataset(GenerateOptions(seed=7), Path("data/raw"))

Same options and seed give byte-identical files whatever ``chunk_size`` and ``workers`` are.

The names are loaded on first use: a worker process that imports ``simulate.chunks`` to draw blocks
imports only the drawing modules (not the writer's, nor SQLAlchemy through the schema).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clustr_etl.simulate.generate import generate_dataset
    from clustr_etl.simulate.options import GenerateOptions

__all__ = ["GenerateOptions", "generate_dataset"]


def __getattr__(name: str) -> Any:
    if name == "generate_dataset":
        from clustr_etl.simulate.generate import generate_dataset

        return generate_dataset
    if name == "GenerateOptions":
        from clustr_etl.simulate.options import GenerateOptions

        return GenerateOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
