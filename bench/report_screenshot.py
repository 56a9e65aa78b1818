"""Screenshot a report page for the README (docs/report.png) with Debian's headless Chromium.

.venv/bin/clustr-etl run-all --report
.venv/bin/python bench/report_screenshot.py data/report.html docs/report.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from clustr_etl.report.headless import CHROMIUM, CHROMIUM_ARGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--sections", default="overview,rules-scatter", help="ids, top to bottom")
    args = parser.parse_args()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(args.page.resolve().as_uri())
        page.wait_for_timeout(1000)
        keep = set(args.sections.split(","))
        page.evaluate(
            "keep => document.querySelectorAll('main > section').forEach("
            "s => { if (!keep.includes(s.id)) s.style.display = 'none'; })",
            list(keep),
        )
        page.evaluate("window.dispatchEvent(new Event('resize'))")
        page.wait_for_timeout(500)
        page.screenshot(path=str(args.png), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
