"""The report in a real browser: Debian's headless Chromium driven by playwright, network off.

Without /usr/bin/chromium (or playwright) the tests skip with the reason; under CI=true that is a
failure (`.ci/run` installs chromium with apt)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clustr_etl.report.build import render_report, write_report
from clustr_etl.report.headless import CHROMIUM, CHROMIUM_ARGS
from clustr_etl.run import steps as pipeline
from report_support import SECTION_IDS, small_settings, synthetic_facts

MIN_PIXEL_VARIANCE = 50.0  # a blank (one-colour) screenshot has 0

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable("no /usr/bin/chromium: install it with `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: `pip install -e '.[dev]'`")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


class OfflinePage:
    """A page that records console errors and refuses (and records) every non-file request."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


def pixel_variance(png: bytes) -> float:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    return float(ImageStat.Stat(image).var[0])


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated dataset, loaded, mined and evaluated on SQLite, reported from the database."""
    data = tmp_path_factory.mktemp("browser") / "data"
    settings = small_settings(data)
    with pipeline.open_run(settings, "run-all") as run:
        pipeline.run_all(run, evaluate=True, report=True)
    return data / "report.html"


def test_every_section_renders_offline(browser: Any, report_page: Path, tmp_path: Path) -> None:
    view = OfflinePage(browser, report_page)
    try:
        page = view.page
        for section_id in SECTION_IDS:
            section = page.locator(f"#{section_id}")
            assert section.count() == 1, section_id
            charts = section.locator(".chart[data-chart]")
            for index in range(charts.count()):
                chart = charts.nth(index)
                assert chart.get_attribute("data-rendered") == "true", section_id
                assert chart.locator("svg path").count() > 5, f"{section_id}: empty chart"
            png = section.screenshot(path=str(tmp_path / f"{section_id}.png"))
            assert pixel_variance(png) > MIN_PIXEL_VARIANCE, f"{section_id}: blank screenshot"
        assert page.locator("#rules-grid tbody tr").count() > 0
        assert page.locator("#planted td.found").count() > 0
        assert page.locator("#evaluation [data-chart='evaluation-hr10'] svg path").count() > 5
        assert "popularity" in page.locator("#evaluation .verdict").inner_text()
        assert page.locator("#evaluation table.data tbody tr").count() == 5
        assert view.errors == []
        assert view.remote == []
    finally:
        view.close()


def test_rules_table_filters_sorts_and_downloads(
    browser: Any, report_page: Path, tmp_path: Path
) -> None:
    view = OfflinePage(browser, report_page)
    try:
        page = view.page
        rows = page.locator("#rules-grid tbody tr")
        everything = page.locator("#rules-table-count").inner_text()
        best = float(page.locator("#rules-grid tbody tr td:nth-child(5)").first.inner_text())
        page.fill("#filter-lift", f"{best - 0.005:.3f}")
        lifts = [
            float(cell)
            for cell in page.locator("#rules-grid tbody tr td:nth-child(5)").all_inner_texts()
        ]
        assert lifts
        assert min(lifts) >= best - 0.01
        assert page.locator("#rules-table-count").inner_text() != everything
        page.fill("#filter-lift", "0")
        first_name = page.locator("#rules-grid tbody tr td:nth-child(2)").first.inner_text()
        page.fill("#filter-search", first_name.lower())
        assert rows.count() >= 1
        for text in page.locator("#rules-grid tbody tr").all_inner_texts():
            assert first_name in text
        page.fill("#filter-search", "")
        page.click("#rules-grid th[data-column='3']")  # confidence, high to low
        confidences = [
            float(c) for c in page.locator("#rules-grid tbody tr td:nth-child(4)").all_inner_texts()
        ]
        assert confidences == sorted(confidences, reverse=True)
        page.fill("#filter-confidence", "0.5")
        with page.expect_download() as download:
            page.click("#rules-download")
        saved = tmp_path / "rules.csv"
        download.value.save_as(saved)
        lines = saved.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("antecedent,consequent,support,confidence,lift")
        matching = page.locator("#rules-table-count").inner_text().split(" of ")[0]
        assert len(lines) - 1 == int(matching.replace(",", ""))
        assert all(float(line.split(",")[-6]) >= 0.5 for line in lines[1:] if '"' not in line)
        page.click("[data-scatter-view='two-key']")
        assert page.get_attribute("[data-scatter-view='two-key']", "aria-pressed") == "true"
        assert "rule length" in page.locator("#rules-scatter").inner_text()
        assert view.errors == []
        assert view.remote == []
    finally:
        view.close()


@pytest.mark.parametrize(("rules", "name_length"), [(0, 20), (1, 100)])
def test_edge_cases_render_without_errors(
    browser: Any, tmp_path: Path, rules: int, name_length: int
) -> None:
    html, _shown = render_report(synthetic_facts(rules, name_length), min_support=0.001)
    path = tmp_path / "edge.html"
    write_report(html, path)
    view = OfflinePage(browser, path)
    try:
        assert view.page.locator("[data-chart='basket-sizes'] svg path").count() > 5
        if rules:
            assert view.page.locator("[data-chart='rules-graph'] svg path").count() > 0
            assert view.page.locator("#rules-grid tbody tr").count() == 1
        else:
            assert "No rules yet" in view.page.locator("#rules-table").inner_text()
        assert view.errors == []
        assert view.remote == []
    finally:
        view.close()
