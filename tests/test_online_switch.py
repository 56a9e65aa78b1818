"""Reloading while other sessions use the tables: a reader transaction held open on a real second
connection, what users hang on the tables (views, grants, comments), objects that cannot be carried over,
and leftovers of a killed load. PostgreSQL switches new tables in; SQLite readers read the last committed
snapshot (WAL), so there a held reader never delays a load."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assertions import one_error_line
from clustr_etl.run.status import collect_status
from ops_support import Sums, checksum, clean_env, cli
from test_online_readers import polling_reader

READER_APP = "analyst-notebook"


def pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def held_reader(url: str) -> Iterator[int]:
    """A session that read sales and keeps its transaction open (an analyst's long query); yields its pid."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sales").fetchone()
        try:
            yield 0
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(pg_dsn(url), application_name=READER_APP) as conn:
        conn.execute("SELECT count(*) FROM sales").fetchone()  # opens the transaction
        try:
            yield int(conn.info.backend_pid)
        finally:
            conn.rollback()


def start_load(db_url: str, data_dir: Path, cwd: Path, *extra: str) -> subprocess.Popen[str]:
    args = ["load", "--data-dir", str(data_dir), "--database-url", db_url, *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "clustr_etl", *args],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stderr_lines(process: subprocess.Popen[str]) -> tuple[list[str], threading.Event]:
    """Collect the process's stderr lines as they come; the event is set at the first 'waiting'."""
    lines: list[str] = []
    waiting = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "waiting" in line:
                waiting.set()

    threading.Thread(target=read, daemon=True).start()
    return lines, waiting


def test_held_reader_delays_the_switch_which_says_who_and_proceeds(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    postgres = not db_url.startswith("sqlite")
    with held_reader(db_url) as pid, polling_reader(db_url) as reads:
        load = start_load(db_url, data_dir, tmp_path, "--lock-timeout", "120")
        lines, waiting = stderr_lines(load)
        if postgres:
            assert waiting.wait(timeout=120), "".join(lines)
            time.sleep(3)  # new readers keep reading meanwhile
            assert load.poll() is None
        else:  # readers never hold up a SQLite load in WAL mode
            assert load.wait(timeout=120) == 0, "".join(lines)
    assert load.wait(timeout=120) == 0, "".join(lines)
    assert checksum(db_url) == good
    assert max(reads.seconds) < 2.0, sorted(reads.seconds)[-3:]
    assert not reads.errors
    assert set(reads.counts) == {good["sales"][0]}
    if postgres:
        notice = next(line for line in lines if "waiting" in line)
        assert f"pid {pid} (application_name '{READER_APP}', idle in transaction" in notice
        assert "--lock-timeout 120" in notice


def test_reader_held_past_lock_timeout_is_one_line_naming_it(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite readers (WAL) never hold up a load")
    with held_reader(db_url) as pid:
        done = cli(
            "load", "--data-dir", str(data_dir), "--database-url", db_url, "--lock-timeout", "3",
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    line = one_error_line(
        "\n".join(x for x in done.stderr.splitlines() if "waiting" not in x),
        f"pid {pid}",
        READER_APP,
        "within 3 s",
        "nothing was changed",
    )
    assert "password" not in line
    assert checksum(db_url) == good
    assert collect_status(db_url).leftover_tables == []


def test_ctrl_c_while_waiting_for_readers_changes_nothing(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite readers (WAL) never hold up a load")
    with held_reader(db_url):
        load = start_load(db_url, data_dir, tmp_path, "--lock-timeout", "120")
        lines, waiting = stderr_lines(load)
        try:
            assert waiting.wait(timeout=120), "".join(lines)
            load.send_signal(signal.SIGINT)
            assert load.wait(timeout=60) == 130
        finally:
            load.kill()
    assert checksum(db_url) == good
    assert collect_status(db_url).runs[0].status == "interrupted"


@contextmanager
def api_objects(db_url: str) -> Iterator[str]:
    """What an API team hangs on sales: a role with SELECT, views (one over another, one owned by
    that role), comments. Removed afterwards (the database is shared by the module)."""
    role = f"api_{uuid.uuid4().hex[:8]}"
    engine = create_engine(db_url)
    statements = [
        f"CREATE ROLE {role} NOLOGIN",
        "CREATE VIEW lines_per_product AS SELECT product_id, count(*) AS lines FROM sales "
        "GROUP BY product_id",
        "CREATE VIEW busy_products WITH (security_barrier = true) AS "
        "SELECT * FROM lines_per_product WHERE lines > 1",
        f"ALTER VIEW busy_products OWNER TO {role}",
        f"GRANT SELECT ON sales, lines_per_product TO {role}",
        "COMMENT ON TABLE sales IS 'one row per basket line'",
        "COMMENT ON COLUMN sales.quantity IS 'units sold'",
        "COMMENT ON VIEW lines_per_product IS 'for the dashboard'",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    try:
        yield role
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP VIEW IF EXISTS busy_products, lines_per_product"))
            conn.execute(text(f"REVOKE ALL ON sales FROM {role}"))
            conn.execute(text("COMMENT ON TABLE sales IS NULL"))
            conn.execute(text("COMMENT ON COLUMN sales.quantity IS NULL"))
            conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


def test_views_grants_and_comments_survive_a_reload(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite replaces rows in place: its views and comments are never touched")
    with api_objects(db_url) as role:
        for tables in ([], ["sales"], ["products"]):
            done = cli(
                "load", *tables, "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path
            )
            assert done.returncode == 0, done.stderr
        engine = create_engine(db_url)
        with engine.connect() as conn:
            facts = conn.execute(
                text(
                    "SELECT (SELECT sum(lines) FROM lines_per_product), "
                    "(SELECT count(*) FROM busy_products), "
                    "pg_get_userbyid((SELECT relowner FROM pg_class WHERE relname = 'busy_products')), "
                    "(SELECT reloptions FROM pg_class WHERE relname = 'busy_products'), "
                    f"has_table_privilege('{role}', 'sales', 'SELECT'), "
                    f"has_table_privilege('{role}', 'lines_per_product', 'SELECT'), "
                    "obj_description('sales'::regclass, 'pg_class'), "
                    "col_description('sales'::regclass, 4), "
                    "obj_description('lines_per_product'::regclass, 'pg_class'), "
                    "(SELECT bool_and(convalidated) FROM pg_constraint WHERE contype = 'f'), "
                    "(SELECT count(*) FROM pg_namespace WHERE nspname = 'clustr_shadow')"
                )
            ).one()
        engine.dispose()
    assert facts[0] == good["sales"][0]
    assert facts[1] > 0
    assert facts[2:] == (
        role,
        ["security_barrier=true"],
        True,
        True,
        "one row per basket line",
        "units sold",
        "for the dashboard",
        True,
        0,
    )
    assert checksum(db_url) == good


def test_an_object_that_cannot_be_carried_over_is_refused_before_loading(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite replaces rows in place: nothing hangs on a table it drops")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE MATERIALIZED VIEW sales_total AS SELECT count(*) FROM sales"))
    try:
        done = cli("load", "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP MATERIALIZED VIEW sales_total"))
        engine.dispose()
    assert done.returncode == 1
    one_error_line(done.stderr, "materialized view public.sales_total", "nothing was changed")
    assert checksum(db_url) == good


@contextmanager
def loader_and_view_owner(db_url: str) -> Iterator[tuple[str, str, str]]:
    """A non-superuser login role owning clustr-etl's tables (as a production loader would), another
    role owning a view over sales (as the API team's would): (the loader's URL, loader, view owner).
    Everything is given back to the superuser and both roles dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    loader, api = f"loader_{suffix}", f"api_{suffix}"
    database = make_url(db_url).database
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {loader} LOGIN"))
        conn.execute(text(f"CREATE ROLE {api} NOLOGIN"))
        conn.execute(text(f'GRANT CREATE ON DATABASE "{database}" TO {loader}'))
        conn.execute(text(f"GRANT CREATE ON SCHEMA public TO {loader}"))
        for (name,) in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ):
            conn.execute(text(f'ALTER TABLE "{name}" OWNER TO {loader}'))
        conn.execute(text(f"GRANT SELECT ON sales TO {api}"))
        conn.execute(text("CREATE VIEW api_sales AS SELECT sale_id, quantity FROM sales"))
        conn.execute(text(f"ALTER VIEW api_sales OWNER TO {api}"))
    try:
        url = make_url(db_url).set(username=loader, password=None)
        yield url.render_as_string(hide_password=False), loader, api
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP VIEW IF EXISTS api_sales"))
            for role in (loader, api):
                conn.execute(text(f"REVOKE CREATE ON SCHEMA public FROM {role}"))
                conn.execute(text(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


def test_a_view_owned_by_a_role_the_loader_cannot_act_for_is_refused_until_granted(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    """Giving the re-created view back to its owner needs the loading user to act for that role and
    the role to have CREATE on the schema: without either the load refuses before loading anything,
    naming the view, its owner and the fix; with both, the view comes back owned by its role and
    reading the new rows."""
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite replaces rows in place: its views are never touched")
    with loader_and_view_owner(db_url) as (loader_url, loader, api):
        load = ["load", "--data-dir", str(data_dir), "--database-url", loader_url]

        refused = cli(*load, cwd=tmp_path)
        assert refused.returncode == 1
        one_error_line(
            refused.stderr, "view public.api_sales", f"owned by role {api}", f"GRANT {api} TO"
        )
        assert checksum(db_url) == good

        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text(f"GRANT {api} TO {loader}"))
        refused = cli(*load, cwd=tmp_path)  # ALTER VIEW ... OWNER TO needs CREATE for that role
        assert refused.returncode == 1
        one_error_line(
            refused.stderr, "view public.api_sales", f"GRANT CREATE ON SCHEMA public TO {api}"
        )
        assert checksum(db_url) == good

        with engine.begin() as conn:
            conn.execute(text(f"GRANT CREATE ON SCHEMA public TO {api}"))
        done = cli(*load, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        with engine.connect() as conn:
            owner, lines = conn.execute(
                text(
                    "SELECT pg_get_userbyid(relowner), (SELECT count(*) FROM api_sales) "
                    "FROM pg_class WHERE relname = 'api_sales'"
                )
            ).one()
            table_owner = conn.execute(
                text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'sales'")
            ).scalar_one()
        engine.dispose()
        assert (owner, lines, table_owner) == (api, good["sales"][0], loader)
    assert checksum(db_url) == good


def test_leftover_shadow_tables_are_shown_and_dropped_by_the_next_load(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite builds nothing beside the live tables")
    engine = create_engine(db_url)
    with engine.begin() as conn:  # what a killed load of an older design could leave
        conn.execute(text("CREATE SCHEMA clustr_shadow"))
        conn.execute(text("CREATE TABLE clustr_shadow.sales AS SELECT * FROM sales"))
    engine.dispose()
    assert collect_status(db_url).leftover_tables == ["clustr_shadow.sales"]
    shown = cli("status", "--database-url", db_url, cwd=tmp_path)
    assert "leftover  clustr_shadow.sales" in shown.stdout
    done = cli("load", "sales", "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert collect_status(db_url).leftover_tables == []
    assert checksum(db_url) == good


def database_bytes(url: str) -> int:
    """PostgreSQL: pg_database_size; SQLite: the file plus its -wal."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        wal = path.with_name(path.name + "-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    engine = create_engine(url)
    with engine.connect() as conn:
        size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    engine.dispose()
    return size


def test_the_database_does_not_grow_reload_after_reload(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    sizes = []
    for _ in range(3):
        done = cli("load", "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        sizes.append(database_bytes(db_url))
    assert sizes[2] <= sizes[1] * 1.05, sizes
    assert checksum(db_url) == good
    assert collect_status(db_url).leftover_tables == []


def test_sqlite_stays_in_wal_mode_and_its_wal_is_truncated_after_a_load(
    good_db: tuple[str, Path, Sums], tmp_path: Path
) -> None:
    db_url, data_dir, good = good_db
    if not db_url.startswith("sqlite"):
        pytest.skip("the journal mode and -wal file are SQLite's")
    import sqlite3

    done = cli("load", "--data-dir", str(data_dir), "--database-url", db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = Path(make_url(db_url).database or "")
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
    assert checksum(db_url) == good
