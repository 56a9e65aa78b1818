"""Small export files in the layouts of the import presets, written by the tests."""

from __future__ import annotations

import gzip
from pathlib import Path

from typer.testing import CliRunner

from clustr_etl.cli.app import app

ONLINE_RETAIL_HEADER = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
)
ONLINE_RETAIL_LINES = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom",
    "536366,85123a, WHITE HANGING HEART T-LIGHT HOLDER ,2,2010-12-02 09:00,2.55,,United Kingdom",
    "536366,POST,POSTAGE,1,2010-12-02 09:00,18.00,,United Kingdom",
    "C536367,71053,WHITE METAL LANTERN,-1,2010-12-03 10:00,3.39,17850,United Kingdom",
    "536368,22633,HAND WARMER UNION JACK,3,2010-12-03 11:00,0.00,12583,France",
    '536369,22632,"HAND WARMER RED, POLKA DOT",4,2010-12-04 12:00,1.85,12583,France',
]
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), prog_name="clustr-etl")
    return result.exit_code, result.output


def write_online_retail(
    path: Path, lines: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    text = "\n".join([ONLINE_RETAIL_HEADER, *(ONLINE_RETAIL_LINES if lines is None else lines)])
    data = (text + "\n").encode(encoding)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path
