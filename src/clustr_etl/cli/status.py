"""`clustr-etl status`: the database, its schema version, rows per table and the last runs."""

from __future__ import annotations

from typing import Annotated

import typer

from clustr_etl.cli.options import DatabaseUrl, DataDir, quiet, settings_from


def status(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object (stable keys) for scripts")
    ] = False,
    runs: Annotated[int, typer.Option(help="how many recent runs to show", min=0)] = 10,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Show the database, whether its schema is current, rows per table and the last runs.

    Exit code 0 when the database is reachable and its schema current, else 1. Never writes.

    Example: clustr-etl status --json
    """
    from clustr_etl.cli.console import print_error, stdout
    from clustr_etl.cli.status_view import render_status
    from clustr_etl.run.status import collect_status

    settings = settings_from(ctx, "as_json", "runs")
    found = collect_status(settings.database_url_value, last_runs=runs, raw_dir=settings.raw_dir)
    if as_json:
        import json

        typer.echo(json.dumps(found.to_json(), indent=2))
    elif not quiet(ctx):
        render_status(found, stdout)
    if found.exit_code and found.problem:
        print_error(found.problem)
    raise typer.Exit(found.exit_code)
