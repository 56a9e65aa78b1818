"""Migration 0005_rule_evaluations: an older database gains an empty rule_evaluations table and
`evaluate` then writes to it, every earlier row in place."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from test_migrations import SMALL, create_release_schema, fill_release_data, invoke, released_rows


def test_upgrade_adds_rule_evaluations_and_evaluate_writes_it(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "gen"
    assert invoke("generate", *SMALL, "--data-dir", str(data))[0] == 0
    create_release_schema(db_url)
    fill_release_data(db_url, data / "raw")
    before = released_rows(db_url)

    code, output = invoke("migrate", "--database-url", db_url)

    assert code == 0, output
    assert released_rows(db_url) == before
    engine = create_engine(db_url)
    try:
        assert "rule_evaluations" in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rule_evaluations")).scalar_one() == 0
        code, output = invoke(
            "evaluate",
            *("--test-days", "20", "--min-support", "0.01", "--max-p", "1"),
            *("--database-url", db_url, "--data-dir", str(tmp_path / "out")),
        )
        assert code == 0, output
        with engine.connect() as conn:
            methods = conn.execute(
                text("SELECT count(DISTINCT method) FROM rule_evaluations")
            ).scalar_one()
    finally:
        engine.dispose()
    assert methods == 5
    assert released_rows(db_url) == before
