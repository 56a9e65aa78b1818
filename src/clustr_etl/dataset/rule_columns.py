"""The columns of a mined rule, in ONE place: the miner, the rules CSV, the rules loader and the report.

Standard library only (the loader and the report read it without the miner's imports).

* ``REQUIRED`` columns come out of every miner and must be present to load rules;
* ``OPTIONAL`` ones are stored as NULL (or their default) when a frame lacks them
  (names need a product table; scope and window are added by the mining step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["key", "text", "float", "int", "date"]


@dataclass(frozen=True)
class RuleColumn:
    name: str
    kind: ColumnKind
    required: bool = True
    finite: bool = True  # floats: must be finite (conviction may be inf -> stored as NULL)
    reported: bool = False  # a column of the report's rule table


RULE_COLUMN_SPECS: tuple[RuleColumn, ...] = (
    RuleColumn("scope", "text", required=False),
    RuleColumn("antecedents", "key", reported=True),
    RuleColumn("consequents", "key", reported=True),
    RuleColumn("antecedent_names", "text", required=False, reported=True),
    RuleColumn("consequent_names", "text", required=False, reported=True),
    RuleColumn("support", "float", reported=True),
    RuleColumn("confidence", "float", reported=True),
    RuleColumn("lift", "float", reported=True),
    RuleColumn("leverage", "float", reported=True),
    RuleColumn("conviction", "float", finite=False, reported=True),
    RuleColumn("zhangs_metric", "float", required=False),
    RuleColumn("jaccard", "float", required=False),
    RuleColumn("certainty", "float", required=False),
    RuleColumn("kulczynski", "float", required=False),
    RuleColumn("antecedent_support", "float", required=False),
    RuleColumn("consequent_support", "float", required=False),
    RuleColumn("p_value", "float", required=False),
    RuleColumn("antecedent_count", "int"),
    RuleColumn("consequent_count", "int"),
    RuleColumn("rule_count", "int", reported=True),
    RuleColumn("n_transactions", "int"),
    RuleColumn("since", "date", required=False),
    RuleColumn("until", "date", required=False),
)

RULE_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in RULE_COLUMN_SPECS)
# What a miner returns (before the mining step adds names, scope and window).
MINED_COLUMNS: tuple[str, ...] = tuple(
    c.name
    for c in RULE_COLUMN_SPECS
    if c.name not in ("scope", "antecedent_names", "consequent_names", "since", "until")
)
# The columns of the bundle_rules table, in load order.
STORED_COLUMNS: tuple[str, ...] = ("rule_id", *RULE_COLUMN_NAMES)
# The columns of the report's rule table (extra measures of a newer schema are kept when present).
REPORTED_COLUMNS: tuple[str, ...] = tuple(c.name for c in RULE_COLUMN_SPECS if c.reported)
# The columns of the bundle_rule_items table (one row per item per side of a rule).
ITEM_COLUMNS: tuple[str, ...] = ("rule_id", "side", "item_key")
DEFAULT_SCOPE = "all"
ITEM_SEPARATOR = "|"  # between the product keys of an itemset ("12|40")


def ordered_columns(present: list[str]) -> list[str]:
    """``present`` in the documented rule-column order; unknown columns keep their order, last."""
    known = [name for name in RULE_COLUMN_NAMES if name in present]
    return known + [name for name in present if name not in RULE_COLUMN_NAMES]
