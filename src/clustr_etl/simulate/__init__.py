"""Synthetic retail data: products, customers, calendar, transactions and sale lines as CSV files.

    from clustr_etl.simulate import GenerateOptions, generate_dataset
    rows = generate_dataset(GenerateOptions(seed=7), Path("data/raw"))

Same options and seed give byte-identical files whatever ``chunk_size`` and ``workers`` are.
"""

from clustr_etl.simulate.generate import generate_dataset
from clustr_etl.simulate.options import GenerateOptions

__all__ = ["GenerateOptions", "generate_dataset"]
