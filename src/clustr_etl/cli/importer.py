"""`clustr-etl import`: a retailer's export into the raw CSVs."""

from __future__ import annotations

from typing import Annotated

import typer

from clustr_etl.cli.options import (
    Countries,
    Currency,
    DataDir,
    DateFormat,
    DayFirst,
    DecimalMark,
    Delimiter,
    Encoding,
    ImportAppend,
    ImportSources,
    MappingFile,
    Preset,
    SinceText,
    Thousands,
    UntilText,
    progress_for,
    quiet,
    settings_from,
    show_results,
)

NOT_SETTINGS = (
    *("sources", "preset", "mapping", "country", "since", "until", "encoding", "force", "append"),
    *("delimiter", "decimal", "thousands", "currency", "dayfirst", "date_format"),
)


def import_command(
    ctx: typer.Context,
    sources: ImportSources,
    preset: Preset = None,
    mapping: MappingFile = None,
    country: Countries = None,
    since: SinceText = None,
    until: UntilText = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
    decimal: DecimalMark = None,
    thousands: Thousands = None,
    currency: Currency = None,
    dayfirst: DayFirst = None,
    date_format: DateFormat = None,
    force: Annotated[bool, typer.Option(help="overwrite existing CSV files")] = False,
    append: ImportAppend = False,
    data_dir: DataDir = None,
) -> None:
    """Import a retailer's export into <data dir>/raw/ (the CSVs `load` reads) and import_report.json.

    Example: clustr-etl import online_retail.csv.gz --force
    """
    from clustr_etl.cli.console import stdout
    from clustr_etl.importing import ImportOptions, parse_day
    from clustr_etl.importing.formats import Formats, checked
    from clustr_etl.importing.summary import render_import_summary
    from clustr_etl.run.steps import import_step

    settings = settings_from(ctx, *NOT_SETTINGS)
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
        formats=checked(
            Formats(delimiter, decimal, thousands, currency, dayfirst, date_format), "options"
        ),
    )
    result, details = import_step(
        settings, options, force=force, append=append, progress=progress_for(ctx)
    )
    if not quiet(ctx) and "totals" in details:
        render_import_summary(details, stdout)
    show_results(ctx, [result])
