"""`clustr-etl init-db` and `clustr-etl migrate`: create or upgrade the schema."""

from __future__ import annotations

from typing import Annotated

import typer

from clustr_etl.cli.options import (
    DatabaseUrl,
    DataDir,
    LockTimeout,
    settings_from,
    show_results,
    wait_notice,
)


def init_db(
    ctx: typer.Context,
    drop: Annotated[
        bool, typer.Option(help="drop and recreate every table (deletes data)")
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Create the tables that are missing (all of them with --drop).

    Example: clustr-etl init-db --database-url postgresql+psycopg://user@host/db
    """
    from clustr_etl.run.commands import init_database

    settings = settings_from(ctx, "drop")
    show_results(ctx, [init_database(settings, drop=drop, on_wait=wait_notice(ctx))])


def migrate(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Upgrade the database schema to this release's, keeping the data (0.1.0 databases too).

    Example: clustr-etl migrate
    """
    from clustr_etl.run.commands import migrate_database

    settings = settings_from(ctx)
    show_results(ctx, [migrate_database(settings, on_wait=wait_notice(ctx))])
