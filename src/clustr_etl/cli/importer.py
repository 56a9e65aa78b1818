"""`clustr-etl import`: a retailer's export into the raw CSVs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clustr_etl.cli.options import DataDir, progress_for, quiet, settings_from, show_results


def import_command(
    ctx: typer.Context,
    sources: Annotated[
        list[Path],
        typer.Argument(help="export files (or the Instacart folder)", show_default=False),
    ],
    preset: Annotated[
        str,
        typer.Option(
            help="online-retail, online-retail-ii, instacart or lines", show_default=False
        ),
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="TOML column mapping (--preset lines)")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="keep only lines of this country (repeatable)")
    ] = None,
    since: Annotated[str | None, typer.Option(help="keep lines from this day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="keep lines up to this day, YYYY-MM-DD")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="text encoding of CSV sources [default: UTF-8, else cp1252]")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite existing CSV files")] = False,
    append: Annotated[
        bool,
        typer.Option(
            help="add a later export as the next batch under raw/batches/ (known keys keep their ids)"
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import a retailer's export into <data dir>/raw/ (the CSVs `load` reads) and import_report.json.

    Example: clustr-etl import online_retail.csv.gz --preset online-retail --force
    """
    from clustr_etl.cli.console import stdout
    from clustr_etl.importing import ImportOptions, parse_day
    from clustr_etl.importing.summary import render_import_summary
    from clustr_etl.run.steps import import_step

    settings = settings_from(
        ctx,
        "sources",
        "preset",
        "mapping",
        "country",
        "since",
        "until",
        "encoding",
        "force",
        "append",
    )
    if append and force:
        raise typer.BadParameter("--append writes a new batch and never overwrites: drop --force")
    options = ImportOptions(
        sources=tuple(sources),
        preset=preset,
        mapping=mapping,
        countries=tuple(country or ()),
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        encoding=encoding,
    )
    result, details = import_step(
        settings, options, force=force, append=append, progress=progress_for(ctx)
    )
    if not quiet(ctx) and "totals" in details:
        render_import_summary(details, stdout)
    show_results(ctx, [result])
