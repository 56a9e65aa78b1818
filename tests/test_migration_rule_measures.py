"""Migration 0003_rule_measures: rules of an older database get scope 'all' and NULL new measures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from clustr_etl.dataset.rule_columns import RULE_COLUMN_SPECS
from test_migrations import SMALL, create_release_schema, fill_release_data, invoke

# Every optional rule column but the names (which 0.1.0 already had) is new in 0003.
NEW_COLUMNS = {c.name for c in RULE_COLUMN_SPECS if not c.required} - {
    "antecedent_names",
    "consequent_names",
}


def test_upgrade_adds_scope_measures_and_window_to_existing_rules(
    db_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "gen"
    assert invoke("generate", *SMALL, "--data-dir", str(data))[0] == 0
    create_release_schema(db_url)
    fill_release_data(db_url, data / "raw")

    code, output = invoke("migrate", "--database-url", db_url)

    assert code == 0, output
    engine = create_engine(db_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("bundle_rules")}
        assert columns >= NEW_COLUMNS
        indexes = {i["name"] for i in inspect(engine).get_indexes("bundle_rules")}
        assert "ix_bundle_rules_scope" in indexes
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT rule_id, scope, p_value, since, lift FROM bundle_rules ORDER BY rule_id"
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            (1, "all", None, None, 3.0),
            (2, "all", None, None, 9.0),
        ]
    finally:
        engine.dispose()
