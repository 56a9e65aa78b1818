"""Helpers for the report tests: small datasets with rules, synthetic facts, the page's data."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from clustr_etl.config.settings import Settings, load_settings
from clustr_etl.dataset.rule_columns import REPORTED_COLUMNS as RULE_COLUMNS
from clustr_etl.report.facts import DatasetFacts, ReportFacts, RuleFacts

SMALL = {"customers": 300, "products": 120, "days": 120, "transactions": 3000}
SECTION_IDS = (
    "overview",
    "baskets",
    "time",
    "customers",
    "rules-scatter",
    "rules-matrix",
    "rules-graph",
    "rules-table",
    "planted",
    "evaluation",
    "alerts",
)


def small_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return load_settings(data_dir=data_dir, database_url=database_url, **SMALL)


def page_data(html: str) -> dict[str, Any]:
    """The JSON the page embeds for its charts and rules table."""
    found = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert found is not None, "no report-data element"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def synthetic_facts(rules: int, name_length: int = 20) -> ReportFacts:
    """Facts of a tiny dataset with ``rules`` synthetic rules over products named ``name_length``
    characters long (no database needed)."""
    names = [f"P{i:03d} " + "x" * max(0, name_length - 5) for i in range(1, 41)]
    products = pd.DataFrame(
        {
            "product_id": range(1, 41),
            "name": names,
            "category": "c",
            "unit_price": 2.5,
            "lines": [100 - 2 * i for i in range(40)],
        }
    )
    start = dt.date(2024, 1, 1)
    dataset = DatasetFacts(
        table_rows={
            "products": 40,
            "customers": 3,
            "timeframe": 30,
            "transactions": 90,
            "sales": 300,
        },
        basket_sizes=pd.DataFrame({"size": [1, 2, 5], "baskets": [30, 40, 20]}),
        products=products,
        days=pd.DataFrame(
            {"date": [start + dt.timedelta(days=i) for i in range(30)], "transactions": [3] * 30}
        ),
        customers=pd.DataFrame(
            {
                "customer_id": [1, 2, 3],
                "segment": ["loyal", "occasional", "loyal"],
                "transactions": [60, 20, 10],
                "lines": [200, 60, 40],
                "revenue": [500.0, 120.0, 0.0],
            }
        ),
        calendar_days=30,
        holidays=1,
        lines=300,
        quantity_one_lines=200,
        discounted_lines=30,
        revenue=620.0,
    )
    rows = [
        {
            "antecedents": f"{1 + i % 40}|{1 + (i // 40) % 40}",
            "consequents": str(1 + (i * 7) % 40),
            "antecedent_names": None,
            "consequent_names": None,
            "support": 0.001 + (i % 97) / 10_000,
            "confidence": 0.1 + (i % 89) / 100,
            "lift": 1.0 + (i % 500) / 10,
            "leverage": 0.0005,
            "conviction": None if i % 10 == 0 else 1.5,
            "rule_count": 5 + i % 50,
        }
        for i in range(rules)
    ]
    top = pd.DataFrame(rows, columns=list(RULE_COLUMNS)).sort_values(
        "lift", ascending=False, kind="stable"
    )
    facts = RuleFacts(
        total=rules,
        top=top.head(5_000),
        tiny_count_high_lift=0,
        min_rule_count=5,
        n_transactions=90,
    )
    return ReportFacts(dataset, facts, {"kind": "unknown"}, [], "synthetic facts")
