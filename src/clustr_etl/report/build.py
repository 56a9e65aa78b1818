"""`clustr-etl report`: gather the facts, draw the sections, write one self-contained HTML file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clustr_etl.config.settings import Settings
from clustr_etl.errors import ClustrError, InputFileError
from clustr_etl.report import alerts as alert_checks
from clustr_etl.report import dataset_charts, rule_charts, sections
from clustr_etl.report.evaluation_section import charts as evaluation_charts
from clustr_etl.report.evaluation_section import evaluation_section, read_evaluation
from clustr_etl.report.facts import ReportFacts
from clustr_etl.report.page import render_page
from clustr_etl.report.planted import bundle_results, read_planted
from clustr_etl.report.source_info import describe_source
from clustr_etl.report.stats import realism, segments

DEFAULT_TOP = 1_000
MAX_TOP = 5_000  # rules in the table; keeps the page under 10 MB even with long product names
MATRIX_RULES = 5_000  # best rules the grouped matrix summarises


def default_output(settings: Settings) -> Path:
    return settings.data_dir / "report.html"


class ReportError(ClustrError):
    """The report cannot be written (e.g. the output path is not writable)."""


@dataclass
class ReportResult:
    path: Path
    size: int  # bytes of the HTML file
    rules_total: int
    rules_shown: int


def gather_facts(
    settings: Settings,
    *,
    input_dir: Path | None = None,
    rules_path: Path | None = None,
    top: int = DEFAULT_TOP,
) -> ReportFacts:
    """Aggregated facts from the database (default) or from the raw CSV folder and a rules CSV."""
    cap = max(top, MATRIX_RULES)
    raw_dir = input_dir if input_dir is not None else settings.raw_dir
    planted = read_planted(raw_dir)
    if input_dir is not None:
        from clustr_etl.report.file_source import read_dataset_files, read_rules_file

        if not input_dir.is_dir():
            raise InputFileError(
                f"no folder {input_dir}", "pass the raw CSV folder, e.g. --input data/raw"
            )
        dataset = read_dataset_files(input_dir)
        rules = read_rules_file(rules_path or settings.rules_path, cap, planted)
        origin = f"the files in {input_dir}"
    else:
        from clustr_etl.report.db_source import RUN_ALL_HINT, read_dataset, read_rules, require_data
        from clustr_etl.store.schema import (
            check_connection,
            make_engine,
            mask_url,
            require_existing_database,
        )

        try:
            require_existing_database(settings.database_url_value)
        except ClustrError as err:
            raise ReportError(err.message, RUN_ALL_HINT) from None
        engine = make_engine(settings.database_url_value)
        try:
            check_connection(engine)
            require_data(engine)
            dataset = read_dataset(engine)
            rules = read_rules(engine, cap, planted)
        finally:
            engine.dispose()
        origin = f"the database {mask_url(settings.database_url_value)}"
    evaluation = read_evaluation(settings.data_dir)
    return ReportFacts(dataset, rules, describe_source(raw_dir), planted, origin, evaluation)


def render_report(
    facts: ReportFacts, *, min_support: float, top: int = DEFAULT_TOP
) -> tuple[str, int]:
    """The page's HTML and how many rules its table shows."""
    data = facts.dataset
    names = {
        str(k): str(v)
        for k, v in zip(data.products["product_id"], data.products["name"], strict=True)
    }
    view = rule_charts.rule_view(facts.rules.top, names)
    shown = min(top, view.count)
    planted = bundle_results(facts.planted, facts.rules.matches, names)
    found = alert_checks.alerts(facts, min_support, planted)
    segment_table = segments(data)
    lorenz, _gini = dataset_charts.lorenz_curve(data)
    charts: dict[str, Any] = {
        "basket-sizes": dataset_charts.basket_sizes(data),
        "item-frequency": dataset_charts.item_frequency(data),
        "popularity": dataset_charts.popularity(data),
        "per-day": dataset_charts.per_day(data),
        "per-weekday": dataset_charts.weekdays(data),
        "seasonality": dataset_charts.seasonality(data),
        "lorenz": lorenz,
        "segments": dataset_charts.segment_shares(segment_table),
    }
    covered = graph_shown = 0
    if view.count:
        charts["rules-scatter"] = rule_charts.scatter(view)
        charts["rules-matrix"], covered = rule_charts.matrix(view)
        charts["rules-graph"], graph_shown = rule_charts.graph(view)
    if planted:
        charts["planted"] = rule_charts.planted_chart(planted)
    charts.update(evaluation_charts(facts.evaluation))
    payload = {
        "charts": charts,
        "twoKey": rule_charts.two_key_visual_map(view),
        "rules": {
            "columns": list(rule_charts.TABLE_COLUMNS),
            "rows": view.rows[:shown],
            "total": facts.rules.total,
        },
    }
    total = facts.rules.total
    body = [
        sections.overview(facts, realism(data), facts.origin),
        sections.baskets(),
        sections.time(),
        sections.customers(segment_table),
        sections.rules_scatter(total, view.count),
        sections.rules_matrix(total, covered),
        sections.rules_graph(total, graph_shown),
        sections.rules_table(total, shown),
        sections.planted(planted, facts.source.get("kind")),
        evaluation_section(facts.evaluation),
        sections.alerts(found),
    ]
    subtitle = f"{data.baskets:,} baskets, {data.items:,} products, {total:,} bundle rules; from {facts.origin}"
    warnings = sum(a.level == "warning" for a in found)
    return render_page("Clustr dataset and bundle report", subtitle, body, payload, warnings), shown


def write_report(text: str, path: Path) -> int:
    """Write the page atomically (a temporary file renamed into place); return its size in bytes."""
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise ReportError(
            f"cannot write the report to {path}: {err.strerror or err}",
            "choose a writable --output path",
        ) from None
    return len(data)


def build_report(
    settings: Settings,
    output: Path,
    *,
    top: int = DEFAULT_TOP,
    input_dir: Path | None = None,
    rules_path: Path | None = None,
) -> ReportResult:
    top = max(0, min(top, MAX_TOP))
    facts = gather_facts(settings, input_dir=input_dir, rules_path=rules_path, top=top)
    text, shown = render_report(facts, min_support=settings.mining.support, top=top)
    size = write_report(text, output)
    return ReportResult(output, size, facts.rules.total, shown)
