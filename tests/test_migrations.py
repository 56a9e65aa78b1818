"""Schema migrations: a database made by clustr-etl 0.1.0 (its DDL kept as a fixture) upgrades with its data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from clustr_etl.cli.app import app
from clustr_etl.run.status import collect_status
from clustr_etl.store.models import Base
from clustr_etl.store.schema import HEAD_REVISION, RELEASE_0_1_0, head_revision, make_engine

FIXTURES = Path(__file__).with_name("fixtures")
SMALL = ["--customers", "200", "--products", "80", "--days", "60", "--transactions", "800"]
# The columns of each table as released in 0.1.0 (later releases may add more).
RELEASED_COLUMNS = {
    "products": ["product_id", "name", "category", "unit_price"],
    "customers": [
        "customer_id",
        "first_name",
        "last_name",
        "email",
        "city",
        "signup_date",
        "segment",
    ],
    "timeframe": [
        "date",
        "year",
        "quarter",
        "month",
        "day",
        "day_of_week",
        "week_of_year",
        "is_weekend",
        "is_holiday",
    ],
    "transactions": ["transaction_id", "customer_id", "date"],
    "sales": [
        "sale_id",
        "transaction_id",
        "product_id",
        "quantity",
        "unit_price",
        "discount",
        "line_total",
    ],
    "etl_runs": ["run_id", "command", "parameters", "status", "started_at", "steps", "host", "pid"],
    "bundle_rules": [
        "rule_id",
        "antecedents",
        "consequents",
        "support",
        "confidence",
        "lift",
        "leverage",
        "conviction",
        "antecedent_count",
        "consequent_count",
        "rule_count",
        "n_transactions",
        "run_id",
    ],
    "bundle_rule_items": ["rule_id", "side", "item_key"],
}
FIXTURE_RUNS = "AND command = 'run-all' "
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl")
    return result.exit_code, result.output


def backend(url: str) -> str:
    return make_url(url).get_backend_name()


def create_release_schema(url: str) -> None:
    """Run the 0.1.0 DDL exactly as that release created it."""
    ddl = (FIXTURES / f"schema_0_1_0.{backend(url)}.sql").read_text(encoding="utf-8")
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        if backend(url) == "sqlite":
            raw.driver_connection.executescript(ddl)  # type: ignore[union-attr]
        else:
            with raw.cursor() as cursor:
                cursor.execute(ddl)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def fill_release_data(url: str, raw_dir: Path) -> None:
    """Rows in every table of the 0.1.0 schema: a small generated dataset, a run and two rules."""
    frames = {
        name: pd.read_csv(raw_dir / f"{name}.csv", usecols=RELEASED_COLUMNS[name])
        for name in ("products", "customers", "timeframe", "transactions", "sales")
    }
    frames["timeframe"]["is_weekend"] = frames["timeframe"]["is_weekend"].astype(bool)
    frames["timeframe"]["is_holiday"] = frames["timeframe"]["is_holiday"].astype(bool)
    now = "2025-06-01 00:00:00"
    frames["etl_runs"] = pd.DataFrame(  # run_id 1 from the table's own sequence
        [["run-all", "{}", "succeeded", now, "[]", "host", 7]],
        columns=RELEASED_COLUMNS["etl_runs"][1:],
    )
    a, b, c = (str(v) for v in frames["products"]["product_id"].iloc[:3])
    frames["bundle_rules"] = pd.DataFrame(
        [
            [1, a, b, 0.01, 0.5, 3.0, 0.006, 1.9, 40, 30, 20, 2000, 1],
            [2, f"{a}|{b}", c, 0.005, 1.0, 9.0, 0.004, None, 20, 25, 10, 2000, 1],
        ],
        columns=RELEASED_COLUMNS["bundle_rules"],
    )
    frames["bundle_rule_items"] = pd.DataFrame(
        [
            [1, "antecedent", a],
            [1, "consequent", b],
            [2, "antecedent", a],
            [2, "antecedent", b],
            [2, "consequent", c],
        ],
        columns=RELEASED_COLUMNS["bundle_rule_items"],
    )
    engine = create_engine(url)
    with engine.begin() as conn:
        for name in RELEASED_COLUMNS:  # parents first
            frame = frames[name]
            columns = ", ".join(frame.columns)
            marks = ", ".join(f":{column}" for column in frame.columns)
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            conn.execute(text(f"INSERT INTO {name} ({columns}) VALUES ({marks})"), rows)
    engine.dispose()


def released_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """The rows of every 0.1.0 column (the runs of the fixture only: each command adds one)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {
            name: [
                tuple(row)
                for row in conn.execute(
                    text(
                        f"SELECT {', '.join(columns)} FROM {name} "
                        f"WHERE {columns[0]} IS NOT NULL {FIXTURE_RUNS if name == 'etl_runs' else ''}"
                        f"ORDER BY {', '.join(columns)}"
                    )
                )
            ]
            for name, columns in RELEASED_COLUMNS.items()
        }
    engine.dispose()
    return rows


@pytest.fixture
def release_db(db_url: str, tmp_path: Path) -> str:
    """A database made by clustr-etl 0.1.0, with data in every table."""
    data = tmp_path / "gen"
    assert invoke("generate", *SMALL, "--data-dir", str(data))[0] == 0
    create_release_schema(db_url)
    fill_release_data(db_url, data / "raw")
    return db_url


def test_migrate_upgrades_a_release_database_with_its_data(release_db: str) -> None:
    before = released_rows(release_db)
    assert sum(len(rows) for rows in before.values()) > 1000
    assert collect_status(release_db).revision is None

    code, output = invoke("migrate", "--database-url", release_db)

    assert code == 0, output
    assert "upgraded 0.1.0" in output
    assert released_rows(release_db) == before
    report = collect_status(release_db)
    assert (report.revision, report.schema) == (head_revision(), "current")
    assert report.missing_columns == {}
    # the upgraded database works with this release: mine and load rules from its sales
    code, output = invoke(
        "mine-rules",
        "--min-support",
        "0.005",
        "--max-p",
        "1",
        "--database-url",
        release_db,
        "--data-dir",
        "out",
    )
    assert code == 0, output
    engine = create_engine(release_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bundle_rules")).scalar_one() > 0
    engine.dispose()


def test_migrate_twice_changes_nothing(release_db: str) -> None:
    assert invoke("migrate", "--database-url", release_db)[0] == 0
    before = released_rows(release_db)
    code, output = invoke("migrate", "--database-url", release_db)
    assert code == 0, output
    assert f"already at {head_revision()}" in output
    assert released_rows(release_db) == before


def test_a_release_database_is_refused_until_migrated(release_db: str, tmp_path: Path) -> None:
    before = released_rows(release_db)
    code, output = invoke("load", "--database-url", release_db, "--data-dir", str(tmp_path / "gen"))
    assert code == 1
    assert "clustr-etl migrate" in output
    assert "Traceback" not in output
    assert released_rows(release_db) == before

    code, output = invoke("status", "--database-url", release_db)
    assert code == 1
    assert "run `clustr-etl migrate`" in output


def test_the_known_head_constant_is_alembics_head() -> None:
    """Commands check the stored revision against HEAD_REVISION with one query (no Alembic import)."""
    assert head_revision() == HEAD_REVISION


def test_a_database_at_an_older_revision_is_refused(db_url: str, tmp_path: Path) -> None:
    assert invoke("init-db", "--database-url", db_url)[0] == 0
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004_product_subcategory'"))
    engine.dispose()

    code, output = invoke("load", "--database-url", db_url, "--data-dir", str(tmp_path / "gen"))

    assert code == 1
    assert f"at revision 0004_product_subcategory, this clustr-etl needs {HEAD_REVISION}" in output
    assert "clustr-etl migrate" in output


def test_init_db_stamps_a_new_database_at_head(db_url: str) -> None:
    assert invoke("init-db", "--database-url", db_url)[0] == 0
    report = collect_status(db_url)
    assert (report.revision, report.schema) == (head_revision(), "current")


def test_migrate_creates_the_schema_in_an_empty_database(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:  # an existing, empty database (SQLite: the file exists)
        conn.execute(text("CREATE TABLE unrelated (x INTEGER)"))
        conn.execute(text("DROP TABLE unrelated"))
    engine.dispose()
    code, output = invoke("migrate", "--database-url", db_url)
    assert code == 0, output
    assert set(Base.metadata.tables) <= set(inspect(make_engine(db_url)).get_table_names())
    assert collect_status(db_url).revision == head_revision()


def test_migrate_without_a_database_file_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    code, output = invoke("migrate", "--database-url", url)
    assert code == 1
    assert "no database file" in output
    assert not (tmp_path / "absent.db").exists()


def test_a_failed_sqlite_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """SQLite stores rows that break a foreign key while its checks are off; the upgrade refuses them."""
    url = f"sqlite:///{tmp_path / 'release.db'}"
    data = tmp_path / "gen"
    assert invoke("generate", *SMALL, "--data-dir", str(data))[0] == 0
    create_release_schema(url)
    fill_release_data(url, data / "raw")
    engine: Engine = create_engine(url)
    with engine.begin() as conn:  # no PRAGMA foreign_keys here: SQLite does not check them
        conn.execute(
            text("INSERT INTO sales VALUES (999999, 424242, 1, 1, 1.00, 0, 1.00)")
        )  # a sale of a transaction that does not exist
    engine.dispose()
    before = released_rows(url)

    code, output = invoke("migrate", "--database-url", url)

    assert code == 1
    assert "broken foreign key" in output
    assert released_rows(url) == before
    assert collect_status(url).revision is None  # not even stamped


def test_release_revision_is_the_first(db_url: str) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from clustr_etl.store.schema import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    assert revisions[-1].revision == RELEASE_0_1_0
    assert revisions[-1].down_revision is None


def test_product_subcategory_migration_keeps_rows_and_loads_new_csvs(
    release_db: str, tmp_path: Path
) -> None:
    before = released_rows(release_db)
    assert invoke("migrate", "--database-url", release_db)[0] == 0
    engine = create_engine(release_db)
    with engine.connect() as conn:
        old = conn.execute(text("SELECT count(*), count(subcategory) FROM products")).one()
    assert tuple(old) == (len(before["products"]), 0)  # old rows kept, subcategory unknown
    code, output = invoke("load", "--database-url", release_db, "--data-dir", str(tmp_path / "gen"))
    assert code == 0, output
    with engine.connect() as conn:
        loaded = conn.execute(
            text("SELECT count(*), count(DISTINCT subcategory) FROM products")
        ).one()
    engine.dispose()
    assert loaded[0] == 80
    assert loaded[1] >= 20  # the generated catalog's subcategories
