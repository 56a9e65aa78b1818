"""Rules built as numbers and streamed in chunks give the rules of the one-frame reference.

The reference is the pandas path: every rule's names joined, then ``rules_frame``'s sort on the
measures and the name strings. The streamed path sorts numeric keys (name ranks) and names only
the rows of each chunk; these tests pin that both give the same rows, bytes and loaded rows.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from clustr_etl.errors import DataValidationError
from clustr_etl.loading import load_rule_chunks, load_rule_rows, load_rules
from clustr_etl.loading import rules_frame as loader_rules_frame
from clustr_etl.mining import (
    Baskets,
    RuleThresholds,
    mine_rules,
    write_rule_chunks,
    write_rule_text,
    write_rules_csv,
)
from clustr_etl.mining.budget import mine_within_budget
from clustr_etl.mining.quality import apply_quality_filters, filter_rule_set
from clustr_etl.mining.rule_rows import with_names
from clustr_etl.mining.rules import RuleSet, build_rule_set, rules_frame
from clustr_etl.mining.scopes import ScopedRules, ScopeTable
from clustr_etl.store.models import BundleRule, BundleRuleItem

# Labels whose joined names sort differently from their tuples ("1|2" > "10" but ("1", "2") <
# ("10",)), so ties on the measures are broken by the name strings as the reference does.
LABELS = ["1", "10", "2", "1a", "a", "A", "b|"[:1], "Z9", "z", "100"]


def random_baskets(seed: int, n: int = 300) -> Baskets:
    rng = random.Random(seed)
    rows = [rng.sample(range(len(LABELS)), rng.randint(1, 6)) for _ in range(n)]
    rows += [[0, 2, 4, 6]] * 12 + [[1, 9]] * 8  # identical baskets: many ties on every measure
    indptr = np.cumsum([0] + [len(row) for row in rows]).astype(np.int64)
    items = np.asarray([code for row in rows for code in sorted(row)], dtype=np.int32)
    return Baskets(indptr, items, list(LABELS))


def built(baskets: Baskets, thresholds: RuleThresholds) -> RuleSet:
    fitted = mine_within_budget(baskets, thresholds)
    return build_rule_set(fitted.itemsets, baskets.labels, fitted.thresholds)


def reference_order(rules: RuleSet) -> pd.DataFrame:
    """The one-frame path: every rule named, shuffled, then sorted as ``rules_frame`` does."""
    frame = rules.to_frame().sample(frac=1.0, random_state=3)
    return rules_frame(
        frame["antecedents"].to_numpy(),
        frame["consequents"].to_numpy(),
        frame["rule_count"].to_numpy(),
        frame["antecedent_count"].to_numpy(),
        frame["consequent_count"].to_numpy(),
        int(frame["n_transactions"].iloc[0]),
    )


THRESHOLDS = [
    RuleThresholds(min_support=0.01, min_count=3, min_confidence=0.1, max_p=1.0),
    RuleThresholds(
        min_support=0.01, min_count=2, min_confidence=0.01, max_consequent_len=3, max_p=1.0
    ),
    RuleThresholds(min_support=0.02, min_count=2, min_len=1, max_len=3, max_p=1.0),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("thresholds", THRESHOLDS)
def test_numeric_order_is_the_reference_order(seed: int, thresholds: RuleThresholds) -> None:
    rules = built(random_baskets(seed), thresholds)
    assert len(rules) > 20
    pd.testing.assert_frame_equal(rules.to_frame(), reference_order(rules))


@pytest.mark.parametrize("chunk_rows", [1, 7, 64, 10_000])
def test_chunks_join_into_the_whole_table_and_the_same_csv_bytes(
    chunk_rows: int, tmp_path: Path
) -> None:
    baskets = random_baskets(4)
    rules = built(baskets, THRESHOLDS[0])
    whole = mine_rules(baskets, THRESHOLDS[0])
    chunks = list(rules.frames(chunk_rows))
    assert len(chunks) == max(1, -(-len(rules) // chunk_rows))
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    write_rules_csv(whole, tmp_path / "whole.csv")
    write_rule_chunks(rules.frames(chunk_rows), tmp_path / "chunks.csv")
    assert (tmp_path / "chunks.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_no_rules_still_gives_the_header(tmp_path: Path) -> None:
    strict = RuleThresholds(min_support=0.01, min_count=3, min_confidence=1.0, min_lift=1000.0)
    rules = built(random_baskets(5), strict)
    assert len(rules) == 0
    write_rule_chunks(rules.frames(10), tmp_path / "none.csv")
    write_rules_csv(mine_rules(random_baskets(5), strict), tmp_path / "reference.csv")
    assert (tmp_path / "none.csv").read_bytes() == (tmp_path / "reference.csv").read_bytes()
    assert (tmp_path / "none.csv").read_text().count("\n") == 1


@pytest.mark.parametrize(
    "thresholds",
    [
        RuleThresholds(min_support=0.01, min_count=3, min_confidence=0.1, max_p=0.05),
        RuleThresholds(min_support=0.01, min_count=3, max_p=0.2, p_adjust="fdr"),
        RuleThresholds(min_support=0.01, min_count=3, max_p=1.0, prune_redundant=True),
        RuleThresholds(min_support=0.01, min_count=2, max_p=0.5, prune_redundant=True),
        RuleThresholds(
            min_support=0.01,
            min_count=2,
            min_len=1,
            max_consequent_len=2,
            max_p=1.0,
            prune_redundant=True,
        ),
    ],
)
def test_numeric_quality_filters_keep_the_reference_rules(thresholds: RuleThresholds) -> None:
    rules = built(random_baskets(6), thresholds)
    kept, counts = filter_rule_set(rules, thresholds)
    expected, expected_counts = apply_quality_filters(rules.to_frame(), thresholds)
    assert counts == expected_counts
    pd.testing.assert_frame_equal(kept.to_frame(), expected)


@pytest.mark.parametrize(
    "wanted", [{"consequent": "2"}, {"item": "1"}, {"item": "10", "consequent": "100"}]
)
def test_numeric_item_filters_keep_the_reference_rules(wanted: dict[str, str]) -> None:
    thresholds = RuleThresholds(min_support=0.01, min_count=2, max_consequent_len=2, **wanted)
    rules = built(random_baskets(7), thresholds)
    frame = rules.to_frame()
    keep = np.ones(len(frame), dtype=bool)
    if "consequent" in wanted:
        keep &= (frame["consequents"] == wanted["consequent"]).to_numpy()
    if "item" in wanted:
        sides = ("|" + frame["antecedents"] + "|", "|" + frame["consequents"] + "|")
        needle = "|" + wanted["item"] + "|"
        keep &= (
            sides[0].str.contains(needle, regex=False) | sides[1].str.contains(needle, regex=False)
        ).to_numpy()
    assert 0 < keep.sum() < len(frame)
    pd.testing.assert_frame_equal(
        rules.with_items(thresholds).to_frame(), frame[keep].reset_index(drop=True)
    )


def stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        rules = conn.execute(
            select(
                BundleRule.rule_id,
                BundleRule.antecedents,
                BundleRule.consequents,
                BundleRule.lift,
                BundleRule.conviction,
                BundleRule.p_value,
                BundleRule.rule_count,
            ).order_by(BundleRule.rule_id)
        ).all()
        items = conn.execute(
            select(BundleRuleItem.rule_id, BundleRuleItem.side, BundleRuleItem.item_key).order_by(
                BundleRuleItem.rule_id, BundleRuleItem.side, BundleRuleItem.item_key
            )
        ).all()
    return [tuple(row) for row in rules], [tuple(row) for row in items]


def test_rules_load_in_batches_as_in_one_piece(engine: Engine) -> None:
    rules = built(random_baskets(8), THRESHOLDS[1])
    assert len(rules) > 50
    assert load_rules(engine, rules.to_frame()) == len(rules)
    whole = stored(engine)
    assert load_rule_chunks(engine, lambda: rules.frames(7), total=len(rules)) == len(rules)
    assert stored(engine) == whole
    assert [row[0] for row in whole[0]] == list(range(1, len(rules) + 1))
    assert len(whole[1]) == sum(
        len(a.split("|")) * bool(a) + len(c.split("|")) for _, a, c, *_ in whole[0]
    )


def test_a_bad_chunk_leaves_the_previous_rules(engine: Engine) -> None:
    rules = built(random_baskets(9), THRESHOLDS[0])
    load_rules(engine, rules.to_frame())
    before = stored(engine)

    def broken() -> list[pd.DataFrame]:
        chunks = list(rules.frames(5))
        chunks[3].loc[chunks[3].index[2], "lift"] = np.nan  # rule 18
        return chunks

    with pytest.raises(DataValidationError, match="rule 18: column lift is not a finite number"):
        load_rule_chunks(engine, lambda: iter(broken()))
    assert stored(engine) == before


def csv_module_bytes(frame: pd.DataFrame) -> str:
    """The reference: every field formatted on its own and written by the ``csv`` module."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow(
            [
                ""
                if value is None or (isinstance(value, float) and math.isnan(value))
                else repr(value)
                if isinstance(value, float)
                else str(value)
                for value in row
            ]
        )
    return buffer.getvalue()


def test_chunk_text_is_what_the_csv_module_writes(tmp_path: Path) -> None:
    frame = mine_rules(random_baskets(10), THRESHOLDS[0]).head(40)
    frame.insert(0, "scope", "all")
    frame.insert(3, "antecedent_names", [f'Odd "name", {i}' for i in range(len(frame))])
    frame.insert(4, "consequent_names", ["Tea\nJam", None, "", "plain"] * 10)
    frame["since"] = dt.date(2024, 1, 2)
    frame["until"] = None
    frame.loc[5, "lift"] = 99.5  # no longer a function of the counts: formatted per row
    frame.loc[7, "conviction"] = math.inf
    write_rules_csv(frame, tmp_path / "rules.csv")
    assert (tmp_path / "rules.csv").read_text() == csv_module_bytes(frame)
    lone = pd.DataFrame({"antecedents": ["", "a,b", ""]})
    write_rules_csv(lone, tmp_path / "lone.csv")
    assert (tmp_path / "lone.csv").read_text() == csv_module_bytes(lone)


# Keys and names the CSV must quote or encode: commas, quotes, line breaks, non-ASCII.
TRICKY = ["a,b", 'say "hi"', "é", "line\nbreak", "plain", "日本", "x\r", "zz"]


def tricky_baskets(seed: int) -> Baskets:
    rng = random.Random(seed)
    rows = [rng.sample(range(len(TRICKY)), rng.randint(1, 5)) for _ in range(200)]
    rows += [[0, 1, 2, 3]] * 9
    indptr = np.cumsum([0] + [len(row) for row in rows]).astype(np.int64)
    items = np.asarray([code for row in rows for code in sorted(row)], dtype=np.int32)
    return Baskets(indptr, items, list(TRICKY))


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_column_wise_csv_is_the_frame_csv_byte_for_byte(
    tmp_path: Path, seed: int, named: bool
) -> None:
    """The chunked column-wise writer (numbers to bytes) writes the file of the frame writer."""
    thresholds = RuleThresholds(min_support=0.01, min_count=2, min_len=1, max_p=1.0)
    rules = built(tricky_baskets(seed), thresholds)
    assert len(rules) > 100
    names = {key: f'Name of {key}, ünïcode "q"' for key in TRICKY[:-1]} if named else None
    tables = [
        ScopeTable(rules, 'north, "x"', dt.date(2024, 1, 2), None),
        ScopeTable(rules.take(np.arange(0)), "empty"),
        ScopeTable(rules.take(np.arange(len(rules))[::3]), "thirds", None, dt.date(2024, 3, 4)),
    ]
    scoped = ScopedRules(tables)
    fast = tmp_path / "fast.csv"
    reference = tmp_path / "reference.csv"
    write_rule_text(scoped.csv_chunks(17, names), fast)
    frames = (f if names is None else with_names(f, names) for f in scoped.frames(17))
    write_rule_chunks(frames, reference)
    assert fast.read_bytes() == reference.read_bytes()
    read = pd.read_csv(fast, keep_default_na=False)
    assert len(read) == len(rules) + len(rules.take(np.arange(len(rules))[::3]))
    assert set(read["scope"]) == {'north, "x"', "thirds"}


def every_row(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    rules = [c for c in BundleRule.__table__.columns if c.name != "created_at"]
    items = BundleRuleItem.__table__.columns
    with engine.connect() as conn:
        rule_rows = conn.execute(select(*rules).order_by(BundleRule.rule_id)).all()
        item_rows = conn.execute(select(*items).order_by(*items)).all()
    return [tuple(row) for row in rule_rows], [tuple(row) for row in item_rows]


@pytest.mark.parametrize("named", [False, True])
def test_rows_made_from_numbers_load_as_the_frames_do(engine: Engine, named: bool) -> None:
    """bundle_rules and bundle_rule_items made from the itemset numbers (COPY text on PostgreSQL,
    row batches on SQLite) hold exactly the rows the frame path loads."""
    rules = built(
        tricky_baskets(3), RuleThresholds(min_support=0.01, min_count=2, min_len=1, max_p=1.0)
    )
    names = {key: f'Name of {key}, "q"' for key in TRICKY[:-1]} if named else None
    scoped = ScopedRules(
        [
            ScopeTable(rules, 'north, "x"', dt.date(2024, 1, 2), None),
            ScopeTable(rules.take(np.arange(len(rules))[::3]), "thirds", None, dt.date(2024, 3, 4)),
        ]
    )
    frames = (f if names is None else with_names(f, names) for f in scoped.frames(13))
    chunks = list(frames)
    assert load_rule_chunks(engine, lambda: iter(chunks), total=len(scoped)) == len(scoped)
    reference = every_row(engine)
    made = scoped.stored(loader_rules_frame, names, None)
    assert made is not None
    made = dataclasses.replace(made, chunk_rows=11)
    loaded = load_rule_rows(
        engine,
        (made.rule_csv, made.rule_batches),
        (made.item_csv, made.item_batches),
        total=len(scoped),
    )
    assert loaded == len(scoped)
    assert every_row(engine) == reference
    assert len(reference[0]) == len(scoped)
    assert len(reference[1]) > len(scoped)
