"""Options of ``clustr-etl generate``: the ``generation`` group of the settings model."""

from __future__ import annotations

from clustr_etl.config.settings import BLOCK_SIZE
from clustr_etl.config.settings import GenerationSettings as GenerateOptions

# Bump whenever the generator's output bytes change for the same options: `run-all` then regenerates
# CSVs that older code wrote (the version is recorded in the raw folder's manifest).
GENERATOR_VERSION = 2  # 2: coherent planted bundles (families, complements, seasonal)

__all__ = ["BLOCK_SIZE", "GENERATOR_VERSION", "GenerateOptions"]
