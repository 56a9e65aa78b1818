"""`clustr-etl report`: one self-contained HTML page about the dataset and its rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clustr_etl.cli.options import DatabaseUrl, DataDir, settings_from, show_results


def report(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option(help="HTML file to write (default <data dir>/report.html)")
    ] = None,
    top: Annotated[
        int,
        typer.Option(help="rules in the table, best first by lift (at most 5000)", min=0, max=5000),
    ] = 1000,
    input_dir: Annotated[
        Path | None,
        typer.Option(
            "--input", help="report the raw CSV folder (and --rules) instead of the database"
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(help="rules CSV read with --input (default <data dir>/baseline_rules.csv)"),
    ] = None,
    open_page: Annotated[
        bool, typer.Option("--open", help="open the page in the web browser when written")
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Write one self-contained HTML page about the dataset and its bundle rules (works offline).

    Example: clustr-etl report --open
    """
    from clustr_etl.run.steps import report_step

    settings = settings_from(ctx, "output", "top", "input_dir", "rules", "open_page")
    result = report_step(settings, output=output, top=top, input_dir=input_dir, rules_path=rules)
    show_results(ctx, [result])
    if open_page:
        import webbrowser

        webbrowser.open((output or settings.data_dir / "report.html").resolve().as_uri())
