"""The columns of a mined rule, in ONE place: the miner, the CSV writer and the rules loader use them.

Kept free of heavy imports (it is read by the loader and the CLI layer).

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


RULE_COLUMN_SPECS: tuple[RuleColumn, ...] = (
    RuleColumn("scope", "text", required=False),
    RuleColumn("antecedents", "key"),
    RuleColumn("consequents", "key"),
    RuleColumn("antecedent_names", "text", required=False),
    RuleColumn("consequent_names", "text", required=False),
    RuleColumn("support", "float"),
    RuleColumn("confidence", "float"),
    RuleColumn("lift", "float"),
    RuleColumn("leverage", "float"),
    RuleColumn("conviction", "float", finite=False),
    RuleColumn("zhangs_metric", "float", required=False),
    RuleColumn("jaccard", "float", required=False),
    RuleColumn("certainty", "float", required=False),
    RuleColumn("kulczynski", "float", required=False),
    RuleColumn("antecedent_support", "float", required=False),
    RuleColumn("consequent_support", "float", required=False),
    RuleColumn("p_value", "float", required=False),
    RuleColumn("antecedent_count", "int"),
    RuleColumn("consequent_count", "int"),
    RuleColumn("rule_count", "int"),
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
DEFAULT_SCOPE = "all"


def ordered_columns(present: list[str]) -> list[str]:
    """``present`` in the documented rule-column order; unknown columns keep their order, last."""
    known = [name for name in RULE_COLUMN_NAMES if name in present]
    return known + [name for name in present if name not in RULE_COLUMN_NAMES]
