"""Property-based tests: values survive CSV -> database -> CSV unchanged through the real loader (unicode,
decimals at their bounds, dates at the range ends), and mined rules keep their invariants on random baskets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal
from fractions import Fraction
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from clustr_etl.errors import InputFileError
from clustr_etl.loading import load_rules, load_tables
from clustr_etl.mining import RuleThresholds, baskets_from_pairs, mine_rules
from clustr_etl.store.models import CSV_COLUMNS, DATA_TABLES, Base, BundleRule
from mining_support import arules

PER_BACKEND = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any character a UTF-8 CSV can carry and PostgreSQL can store (no surrogates, no NUL), newlines included.
TEXT_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


def text(max_size: int) -> st.SearchStrategy[str]:
    specials = st.sampled_from(["NULL", "NaN", "N/A", "nan", "None", "-", " ", '"', "a,b", "é\n\r"])
    return st.one_of(specials, st.text(TEXT_CHARS, min_size=1, max_size=max_size))


def money(places: int, high: str) -> st.SearchStrategy[Decimal]:
    low = Decimal(1).scaleb(-places)
    bounds = st.sampled_from([low, Decimal(high)])
    return st.one_of(bounds, st.decimals(low, Decimal(high), places=places, allow_nan=False))


DATES = st.one_of(
    st.sampled_from([dt.date.min, dt.date.max, dt.date(1970, 1, 1)]),
    st.dates(),
)
INT32 = st.integers(1, 2**31 - 1)


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    """All five tables, consistent keys; the values are the interesting part."""
    n_products = draw(st.integers(1, 6))
    product_ids = draw(st.lists(INT32, min_size=n_products, max_size=n_products, unique=True))
    names = draw(st.lists(text(200), min_size=n_products, max_size=n_products, unique=True))
    skus = draw(st.lists(text(100), min_size=n_products, max_size=n_products, unique=True))
    products = [
        [
            pid,
            name,
            draw(text(100)),
            draw(money(2, "99999999.99")),
            sku if draw(st.booleans()) else None,  # natural keys are nullable
            draw(st.booleans()),
            draw(text(100)),
        ]
        for pid, name, sku in zip(product_ids, names, skus, strict=True)
    ]
    day = draw(DATES)
    iso = day.isocalendar()
    timeframe = [
        [
            day,
            day.year,
            (day.month - 1) // 3 + 1,
            day.month,
            day.day,
            iso.weekday,
            iso.week,
            iso.weekday >= 6,
            draw(st.booleans()),
        ]
    ]
    customer_id = draw(INT32)
    customers = [
        [
            customer_id,
            draw(text(100)),
            draw(text(100)),
            draw(text(320)),
            draw(text(100)),
            draw(DATES),
            draw(text(50)),
            draw(st.none() | text(100)),
        ]
    ]
    transaction_id = draw(st.integers(1, 2**63 - 1))
    transactions = [[transaction_id, customer_id, day, draw(st.none() | text(100))]]
    n_sales = draw(st.integers(1, 6))
    sale_ids = draw(
        st.lists(st.integers(1, 2**63 - 1), min_size=n_sales, max_size=n_sales, unique=True)
    )
    sales = [
        [
            sid,
            transaction_id,
            draw(st.sampled_from(product_ids)),
            draw(INT32),
            draw(money(2, "99999999.99")),
            draw(
                st.sampled_from([Decimal("0.000"), Decimal("0.999")])
                | st.decimals(Decimal(0), Decimal("0.999"), places=3)
            ),
            draw(
                st.sampled_from([Decimal("0.00"), Decimal("9999999999.99")])
                | money(2, "9999999999.99")
            ),
        ]
        for sid in sale_ids
    ]
    return {
        "products": products,
        "customers": customers,
        "timeframe": timeframe,
        "transactions": transactions,
        "sales": sales,
    }


def field(value: Any) -> str:
    if value is None:
        return ""  # NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_text(table: str, rows: list[list[Any]], scales: dict[str, int]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # quotes \r and \n
    columns = CSV_COLUMNS[table]
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            f"{value:.{scales[c]}f}" if c in scales else field(value)
            for c, value in zip(columns, row, strict=True)
        )
    return out.getvalue()


def scales_of(table: str) -> dict[str, int]:
    columns = Base.metadata.tables[table].columns
    return {c.name: c.type.scale for c in columns if getattr(c.type, "scale", None) is not None}


@PER_BACKEND
@given(data=datasets())
def test_values_survive_csv_to_database_to_csv(
    engine: Engine, tmp_path: Path, data: dict[str, list[list[Any]]]
) -> None:
    raw = Path(tempfile.mkdtemp(dir=tmp_path))
    written = {}
    for table in DATA_TABLES:
        written[table] = csv_text(table, data[table], scales_of(table))
        (raw / f"{table}.csv").write_text(written[table], encoding="utf-8")
    counts = load_tables(engine, raw)
    assert counts == {table: len(data[table]) for table in DATA_TABLES}
    with engine.connect() as conn:
        for table in DATA_TABLES:
            schema_table = Base.metadata.tables[table]
            rows = conn.execute(
                select(schema_table).order_by(*schema_table.primary_key.columns)
            ).all()
            expected_order = sorted(data[table], key=lambda row: row[0])
            assert csv_text(table, [list(r) for r in rows], scales_of(table)) == csv_text(
                table, expected_order, scales_of(table)
            )


@st.composite
def random_baskets(draw: st.DrawFn) -> tuple[list[set[int]], RuleThresholds]:
    n_items = draw(st.integers(2, 7))
    baskets = draw(
        st.lists(
            st.sets(st.integers(0, n_items - 1), min_size=1, max_size=n_items),
            min_size=1,
            max_size=40,
        )
    )
    thresholds = arules(
        min_support=draw(st.sampled_from([0.01, 0.05, 0.1, 0.25, 0.5, 1.0])),
        min_confidence=draw(st.sampled_from([0.01, 0.1, 0.3, 0.5, 0.9, 1.0])),
        min_lift=draw(st.sampled_from([0.0, 0.5, 1.0, 1.5])),
        min_len=draw(st.integers(1, 3)),
        max_len=draw(st.integers(3, 5)),
    )
    return baskets, thresholds


def brute_force_rules(baskets: list[set[int]], t: RuleThresholds) -> set[tuple[str, str]]:
    """Every A => {c} (A non-empty) passing the thresholds, by counting; exact fractions."""
    n = len(baskets)
    items = sorted(set().union(*baskets))
    found = set()
    for size in range(t.min_len, t.max_len + 1):  # size 1: rules {} => {c}, as arules
        for itemset in combinations(items, size):
            together = sum(1 for b in baskets if set(itemset) <= b)
            if together == 0 or Fraction(together, n) < Fraction(str(t.support)):
                continue
            for c in itemset:
                a = tuple(i for i in itemset if i != c)
                a_count = sum(1 for b in baskets if set(a) <= b)
                c_count = sum(1 for b in baskets if c in b)
                if Fraction(together, a_count) < Fraction(str(t.min_confidence)):
                    continue
                if Fraction(together * n, a_count * c_count) <= Fraction(str(t.min_lift)):
                    continue
                found.add(("|".join(map(str, a)), str(c)))
    return found


def mine_sets(baskets: list[set[int]], thresholds: RuleThresholds) -> pd.DataFrame | None:
    """Mine python sets through the real miner; None when no basket has an item."""
    tids = [tid for tid, basket in enumerate(baskets) for _ in basket]
    keys = [item for basket in baskets for item in sorted(basket)]
    try:
        return mine_rules(baskets_from_pairs(np.array(tids), np.array(keys)), thresholds)
    except InputFileError:
        return None


@settings(max_examples=80, deadline=None)
@given(case=random_baskets())
def test_mined_rules_keep_their_invariants(case: tuple[list[set[int]], RuleThresholds]) -> None:
    baskets, thresholds = case
    rules = mine_sets(baskets, thresholds)
    if rules is None:
        return
    n = len(baskets)
    for rule in rules.itertuples():
        assert rule.n_transactions == n
        assert 0 < rule.support <= rule.confidence <= 1
        assert rule.support == rule.rule_count / n
        assert abs(rule.confidence - rule.rule_count / rule.antecedent_count) < 1e-12
        consequent_support = rule.consequent_count / n
        assert abs(rule.lift - rule.confidence / consequent_support) < 1e-9 * rule.lift
        antecedent = {int(k) for k in rule.antecedents.split("|") if k}
        consequent = {int(k) for k in rule.consequents.split("|")}
        assert rule.rule_count == sum(1 for b in baskets if antecedent | consequent <= b)
        assert rule.antecedent_count == sum(1 for b in baskets if antecedent <= b)
    mined = {(str(r.antecedents), str(r.consequents)) for r in rules.itertuples()}
    expected = {
        ("|".join(sorted(a.split("|"), key=str)), c)
        for a, c in brute_force_rules(baskets, thresholds)
    }
    assert mined == expected


@PER_BACKEND
@given(case=random_baskets())
def test_rule_metrics_survive_loading(
    engine: Engine, case: tuple[list[set[int]], RuleThresholds]
) -> None:
    baskets, thresholds = case
    rules = mine_sets(baskets, thresholds)
    if rules is None:
        return
    assert load_rules(engine, rules) == len(rules)
    with engine.connect() as conn:
        stored = conn.execute(
            select(
                BundleRule.antecedents, BundleRule.support, BundleRule.confidence, BundleRule.lift
            ).order_by(BundleRule.rule_id)
        ).all()
    assert [tuple(row) for row in stored] == list(
        zip(rules["antecedents"], rules["support"], rules["confidence"], rules["lift"], strict=True)
    )
