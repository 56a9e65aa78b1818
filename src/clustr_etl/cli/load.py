"""`clustr-etl load`: replace tables from the raw CSVs, or append batches."""

from __future__ import annotations

from typing import Annotated

import typer

from clustr_etl.cli.options import (
    DatabaseUrl,
    DataDir,
    LockTimeout,
    progress_for,
    settings_from,
    show_results,
    wait_notice,
)


def load(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None,
        typer.Argument(
            help="tables to replace (default: all, in dependency order); "
            "with --append: the batch folder to add"
        ),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="let a CSV with no rows replace a table that has rows"),
    ] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            help="add rows instead of replacing tables: the given batch folder, or every batch "
            "under <data dir>/raw/batches/ not loaded yet",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    lock_timeout: LockTimeout = None,
) -> None:
    """Load the CSV files into the database: all tables, or only the named ones (base + batches).

    Example: clustr-etl load sales transactions
    """
    from clustr_etl.run.commands import append_data, load_data

    settings = settings_from(ctx, "tables", "allow_empty", "append")
    progress, on_wait = progress_for(ctx), wait_notice(ctx)
    if append:
        results = append_data(settings, tables or [], progress=progress, on_wait=on_wait)
    else:
        results = [
            load_data(settings, tables, allow_empty=allow_empty, progress=progress, on_wait=on_wait)
        ]
    show_results(ctx, results)
