"""One self-contained HTML page: styles, the chart library and the data inlined exactly once."""

from __future__ import annotations

import json
import math
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from clustr_etl.report.sections import SECTION_IDS, TITLES

CHART_LIBRARY = "echarts.min.js"  # Apache ECharts 5.6.0, Apache-2.0 (see assets/ECHARTS-LICENSE)


@cache
def asset(name: str) -> str:
    return files("clustr_etl.report").joinpath("assets", name).read_text(encoding="utf-8")


def _script(text: str) -> str:
    """Inline JavaScript; a literal ``</script`` inside it would end the element early."""
    return text.replace("</script", "<\\/script")


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as null."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def data_json(payload: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> element (no ``<`` can close it)."""
    text = json.dumps(_plain(payload), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(
    title: str, subtitle: str, sections: list[str], payload: dict[str, Any], warnings: int
) -> str:
    badge = f' <span class="badge">{warnings}</span>' if warnings else ""
    nav = "".join(
        f'<a href="#{sid}">{escape(TITLES[sid])}{badge if sid == "alerts" else ""}</a>'
        for sid in SECTION_IDS
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{asset('report.css')}</style></head><body>"
        f'<header class="top"><h1>{escape(title)}</h1><p>{escape(subtitle)}</p><nav class="sections">{nav}</nav></header>'
        f"<main>{''.join(sections)}</main>"
        "<footer>Written by clustr-etl report. Charts: Apache ECharts 5.6.0 (Apache License 2.0), inlined.</footer>"
        f'<script type="application/json" id="report-data">{data_json(payload)}</script>'
        f"<script>{_script(asset(CHART_LIBRARY))}</script>"
        f"<script>{_script(asset('report.js'))}</script>"
        "</body></html>\n"
    )
