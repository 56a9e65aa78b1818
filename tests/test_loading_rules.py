"""load_rules replaces bundle_rules and bundle_rule_items atomically."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from clustr_etl.errors import DataValidationError
from clustr_etl.loading import load_rules
from clustr_etl.store.models import BundleRule, BundleRuleItem


def rules_frame(count: int = 3, *, names: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "antecedents": ["1", "1|2", "3,x"][:count],
            "consequents": ["2", "3", "4|5"][:count],
            "support": [0.1, 0.05, 0.02][:count],
            "confidence": [0.5, 1.0, 0.25][:count],
            "lift": [2.5, 4.0, 1.5][:count],
            "leverage": [0.06, 0.04, 0.007][:count],
            "conviction": [1.6, math.inf, 1.2][:count],
            "antecedent_count": [200, 100, 80][:count],
            "consequent_count": [200, 50, 40][:count],
            "rule_count": [100, 50, 20][:count],
            "n_transactions": [1000] * count,
        }
    )
    if names:
        frame["antecedent_names"] = ["Bread", "Bread|Milk", 'Odd "name", with comma'][:count]
        frame["consequent_names"] = ["Milk", "Eggs", "Tea|Jam"][:count]
    return frame


def stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        rules = conn.execute(
            select(
                BundleRule.rule_id,
                BundleRule.antecedents,
                BundleRule.consequents,
                BundleRule.antecedent_names,
                BundleRule.confidence,
                BundleRule.conviction,
                BundleRule.rule_count,
                BundleRule.created_at,
            ).order_by(BundleRule.rule_id)
        ).all()
        items = conn.execute(
            select(BundleRuleItem.rule_id, BundleRuleItem.side, BundleRuleItem.item_key).order_by(
                BundleRuleItem.rule_id, BundleRuleItem.side, BundleRuleItem.item_key
            )
        ).all()
    return [tuple(row) for row in rules], [tuple(row) for row in items]


def test_rules_and_items_are_stored(engine: Engine) -> None:
    assert load_rules(engine, rules_frame()) == 3
    rules, items = stored(engine)
    assert [row[:7] for row in rules] == [
        (1, "1", "2", "Bread", 0.5, 1.6, 100),
        (2, "1|2", "3", "Bread|Milk", 1.0, None, 50),
        (3, "3,x", "4|5", 'Odd "name", with comma', 0.25, 1.2, 20),
    ]
    assert all(row[7] is not None for row in rules)
    assert items == [
        (1, "antecedent", "1"),
        (1, "consequent", "2"),
        (2, "antecedent", "1"),
        (2, "antecedent", "2"),
        (2, "consequent", "3"),
        (3, "antecedent", "3,x"),
        (3, "consequent", "4"),
        (3, "consequent", "5"),
    ]


def test_loading_rules_replaces_the_previous_ones(engine: Engine) -> None:
    load_rules(engine, rules_frame())
    load_rules(engine, rules_frame(1, names=False))
    rules, items = stored(engine)
    assert [row[:4] for row in rules] == [(1, "1", "2", None)]
    assert items == [(1, "antecedent", "1"), (1, "consequent", "2")]
    assert load_rules(engine, rules_frame(0)) == 0
    assert stored(engine) == ([], [])


def test_bad_rules_change_nothing(engine: Engine) -> None:
    load_rules(engine, rules_frame())
    before = stored(engine)
    with pytest.raises(DataValidationError, match="lack column lift"):
        load_rules(engine, rules_frame().drop(columns=["lift"]))
    broken = rules_frame()
    broken.loc[2, "support"] = float("nan")
    with pytest.raises(DataValidationError, match="rule 3: column support"):
        load_rules(engine, broken)
    repeated = rules_frame()
    repeated.loc[1, "antecedents"] = "2|2"
    with pytest.raises(DataValidationError, match="rule 2: an item key appears twice"):
        load_rules(engine, repeated)
    out_of_range = rules_frame()
    out_of_range.loc[0, "confidence"] = 1.5  # only the database CHECK constraint knows this one
    with pytest.raises(DataValidationError, match="nothing was changed"):
        load_rules(engine, out_of_range)
    assert stored(engine) == before
