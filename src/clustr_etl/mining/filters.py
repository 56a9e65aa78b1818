"""What a user can leave out of mining: baskets larger than ``--max-basket-size`` (wholesale
standing orders), and rules without ``--item`` or whose consequent is not ``--consequent``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clustr_etl.dataset.rule_columns import ITEM_SEPARATOR
from clustr_etl.errors import ConfigError
from clustr_etl.mining.baskets import Baskets
from clustr_etl.mining.thresholds import RuleThresholds


def without_large_baskets(baskets: Baskets, max_size: int) -> tuple[Baskets, int]:
    """The baskets of at most ``max_size`` items (0 keeps all) and how many were left out."""
    if not max_size:
        return baskets, 0
    sizes = np.diff(baskets.indptr)
    large = sizes > max_size
    if not large.any():
        return baskets, 0
    kept_sizes = sizes[~large]
    indptr = np.zeros(kept_sizes.size + 1, dtype=np.int64)
    np.cumsum(kept_sizes, out=indptr[1:])
    lines = np.repeat(~large, sizes)
    return Baskets(indptr, baskets.items[lines], baskets.labels), int(large.sum())


def check_items_exist(baskets: Baskets, thresholds: RuleThresholds) -> None:
    """A --consequent or --item that is in no basket is a typo: say so instead of mining for nothing."""
    wanted = [("--consequent", thresholds.consequent), ("--item", thresholds.item)]
    if all(key is None for _, key in wanted):
        return
    labels = set(baskets.labels)
    for flag, key in wanted:
        if key is not None and key not in labels:
            raise ConfigError(
                f"{flag} {key!r} is in no basket",
                "give an item key as it appears in the data (a product id for sales)",
            )


def rules_with_items(rules: pd.DataFrame, thresholds: RuleThresholds) -> pd.DataFrame:
    """The rules whose consequent is ``thresholds.consequent`` and that contain ``thresholds.item``."""
    keep = np.ones(len(rules), dtype=bool)
    if thresholds.consequent is not None:
        keep &= (rules["consequents"] == thresholds.consequent).to_numpy()
    if thresholds.item is not None:
        keep &= _contains(rules["antecedents"], thresholds.item) | _contains(
            rules["consequents"], thresholds.item
        )
    if keep.all():
        return rules
    return rules[keep].reset_index(drop=True)


def _contains(sides: pd.Series, item: str) -> np.ndarray:
    """Whether each ``key|key|...`` text has ``item`` as one of its keys."""
    padded = ITEM_SEPARATOR + sides.astype(str) + ITEM_SEPARATOR
    return padded.str.contains(ITEM_SEPARATOR + item + ITEM_SEPARATOR, regex=False).to_numpy()
