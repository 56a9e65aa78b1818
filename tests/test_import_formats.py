"""Real exports as they come: the same invoice lines written in many locales and layouts import to the
same bytes as their canonical twin, with no preset and no number or date option given."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from import_fixtures import invoke, write_online_retail, write_workbook
from shared_data import shared_file

TABLES = ("products", "customers", "timeframe", "transactions", "sales")
# invoice, sku, name, quantity, timestamp, price, customer, country
LINES = [
    ("1001", "85123A", "Café crème", 6, dt.datetime(2023, 11, 1, 8, 15), 2.55, "17850", "Germany"),
    (
        "1001",
        "71053",
        "Großes Glas",
        1200,
        dt.datetime(2023, 11, 1, 8, 15),
        1234.56,
        "17850",
        "Germany",
    ),
    ("1002", "22633", "Hand warmer", 3, dt.datetime(2023, 11, 25, 18, 5), 3.95, "", "Germany"),
    ("1003", "85123A", "Café crème", 2, dt.datetime(2023, 12, 2, 9, 0), 0.85, "12583", "France"),
]
ENGLISH = ["Order ID", "SKU", "Product Name", "Quantity", "Date", "Price", "Customer ID", "Country"]
GERMAN = [
    "Beleg",
    "Artikel",
    "Bezeichnung",
    "Menge",
    "Datum",
    "Einzelpreis",
    "Kundennummer",
    "Land",
]
FRENCH = [
    "Facture",
    "Référence",
    "Désignation",
    "Quantité",
    "Date",
    "Prix unitaire",
    "N° client",
    "Pays",
]
SPANISH = ["Factura", "Código", "Descripción", "Cantidad", "Fecha", "Precio", "Cliente", "País"]
DUTCH = ["Bon", "Artikelcode", "Omschrijving", "Aantal", "Datum", "Prijs", "Klantnummer", "Land"]


def grouped(value: float, thousands: str, decimal: str, places: int = 2) -> str:
    """``value`` written with the given separators (1234.56 -> 1.234,56)."""
    text = f"{value:,.{places}f}" if places else f"{value:,.0f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


@dataclass(frozen=True)
class Style:
    headers: list[str]
    delimiter: str
    encoding: str
    price: Callable[[float], str]
    quantity: Callable[[int], str]
    when: str  # strftime layout
    above: str = ""  # lines above the header (a title, a blank line)
    trailing: bool = False  # a delimiter after the last field of every line


STYLES = {
    "canonical": Style(ENGLISH, ",", "utf-8", lambda v: f"{v:.2f}", str, "%Y-%m-%d %H:%M"),
    "german-excel": Style(
        GERMAN,
        ";",
        "cp1252",
        lambda v: grouped(v, ".", ","),
        lambda q: grouped(q, ".", ",", 0),
        "%d.%m.%Y %H:%M",
    ),
    "utf8-bom": Style(ENGLISH, ",", "utf-8-sig", lambda v: f"{v:.2f}", str, "%Y-%m-%d %H:%M:%S"),
    "excel-unicode-text": Style(
        ENGLISH, "\t", "utf-16", lambda v: f"{v:.2f}", str, "%d/%m/%Y %H:%M"
    ),
    "us-ampm-dollars": Style(
        ENGLISH,
        ",",
        "utf-8",
        lambda v: "$" + grouped(v, ",", "."),
        lambda q: grouped(q, ",", ".", 0),
        "%m/%d/%Y %I:%M %p",
    ),
    "french-nbsp-euro": Style(
        FRENCH,
        ";",
        "utf-8",
        lambda v: grouped(v, "\u202f", ",") + "\u00a0€",
        lambda q: grouped(q, "\u00a0", ",", 0),
        "%d/%m/%Y %H:%M:%S",
    ),
    "space-thousands-latin1": Style(
        FRENCH, ";", "latin-1", lambda v: grouped(v, " ", ","), str, "%d-%m-%Y %H:%M"
    ),
    "swiss-apostrophe": Style(
        GERMAN,
        ";",
        "utf-8",
        lambda v: grouped(v, "'", "."),
        lambda q: grouped(q, "'", ".", 0),
        "%d.%m.%y %H:%M",
    ),
    "spanish-pipe-eur-code": Style(
        SPANISH, "|", "utf-8", lambda v: f"EUR {v:.2f}", str, "%d/%m/%Y %H:%M", trailing=True
    ),
    "pound-sign": Style(ENGLISH, ",", "utf-8", lambda v: f"£{v:,.2f}", str, "%Y-%m-%dT%H:%M"),
    "title-above-header": Style(
        DUTCH,
        ";",
        "utf-8",
        lambda v: grouped(v, ".", ","),
        str,
        "%d-%m-%Y %H:%M",
        above="Kassa-export filiaal 12;;;;;;;\n\n",
    ),
}


def write_export(path: Path, style: Style) -> Path:
    def quoted(cell: str) -> str:
        return f'"{cell}"' if style.delimiter in cell or '"' in cell else cell

    rows = [style.headers]
    for invoice, sku, name, quantity, when, price, customer, country in LINES:
        cells = [invoice, sku, name, style.quantity(quantity), when.strftime(style.when)]
        rows.append([*cells, style.price(price), customer, country])
    text = style.above + "".join(
        style.delimiter.join(quoted(cell) for cell in row)
        + (style.delimiter if style.trailing else "")
        + "\r\n"
        for row in rows
    )
    path.write_bytes(text.encode(style.encoding))
    return path


def imported(source: Path, data: Path, *options: str) -> dict[str, bytes]:
    code, output = invoke("import", str(source), "--data-dir", str(data), *options)
    assert code == 0, output
    return {name: (data / "raw" / f"{name}.csv").read_bytes() for name in TABLES}


def report_of(data: Path) -> dict[str, object]:
    result: dict[str, object] = json.loads((data / "raw" / "import_report.json").read_bytes())
    return result


@pytest.fixture
def canonical(tmp_path: Path) -> dict[str, bytes]:
    return imported(write_export(tmp_path / "canonical.csv", STYLES["canonical"]), tmp_path / "c")


@pytest.mark.parametrize("name", [name for name in STYLES if name != "canonical"])
def test_each_format_imports_like_its_canonical_twin(
    tmp_path: Path, canonical: dict[str, bytes], name: str
) -> None:
    source = write_export(tmp_path / f"{name}.csv", STYLES[name])
    assert imported(source, tmp_path / "d") == canonical
    assert "Großes Glas" in (tmp_path / "d/raw/products.csv").read_text(encoding="utf-8")


def test_what_was_found_is_reported_and_pinnable(
    tmp_path: Path, canonical: dict[str, bytes]
) -> None:
    source = write_export(tmp_path / "de.csv", STYLES["german-excel"])
    code, output = invoke("import", str(source), "--data-dir", "d")
    assert code == 0, output
    summary = "delimiter ';', cp1252, decimal ',', thousands '.', dates day-first %d.%m.%Y %H:%M"
    assert f"detected: {summary}" in output
    report = report_of(Path("d"))
    assert report["detected"] == {
        "encoding": "cp1252",
        "delimiter": ";",
        "decimal": ",",
        "thousands": ".",
        "dates": "day-first",
        "date_format": "%d.%m.%Y %H:%M",
        "summary": summary,
    }
    assert report["layout"] == {
        "preset": "lines",
        "how": "proposed from its headers",
        "columns": dict(
            zip(
                [
                    "invoice",
                    "product",
                    "product_name",
                    "quantity",
                    "timestamp",
                    "unit_price",
                    "customer",
                    "country",
                ],
                GERMAN,
                strict=True,
            )
        ),
        "mapping_file": str(Path("d/raw/mapping.toml")),
    }
    assert "unit_price = 'Einzelpreis'" in output
    # the mapping written pins what was found: the same bytes again through --mapping
    pinned = Path("d/raw/mapping.toml").read_text(encoding="utf-8")
    assert 'delimiter = ";"' in pinned
    assert "dayfirst = true" in pinned
    Path("pinned.toml").write_text(pinned, encoding="utf-8")
    assert imported(source, tmp_path / "p", "--mapping", "pinned.toml") == canonical


def test_excel_serial_dates_and_typed_numbers_in_a_workbook(
    tmp_path: Path, canonical: dict[str, bytes]
) -> None:
    epoch = dt.datetime(1899, 12, 30)
    rows: list[list[object]] = [DUTCH]
    for invoice, sku, name, quantity, when, price, customer, country in LINES:
        serial = (when - epoch).total_seconds() / 86400
        rows.append(
            [
                invoice,
                sku,
                name,
                quantity,
                serial,
                price,
                int(customer) if customer else None,
                country,
            ]
        )
    source = write_workbook(tmp_path / "kassa.xlsx", {"Blad1": rows})
    assert imported(source, tmp_path / "d") == canonical
    assert report_of(tmp_path / "d")["detected"]["dates"] == "Excel serial"  # type: ignore[index]


def test_options_decide_what_the_data_cannot(tmp_path: Path, canonical: dict[str, bytes]) -> None:
    """Dates that are all ambiguous import with --dayfirst; a mapping's [options] do the same."""
    lines = [line for line in LINES if line[4].day <= 12]
    style = STYLES["german-excel"]
    source = tmp_path / "ambiguous.csv"
    rows = [";".join(style.headers)] + [
        ";".join([i, s, n, str(q), w.strftime("%d.%m.%Y %H:%M"), style.price(p), c, k])
        for i, s, n, q, w, p, c, k in lines
    ]
    source.write_text("\n".join(rows) + "\n", encoding="cp1252")
    code, output = invoke("import", str(source), "--data-dir", "a")
    assert code != 0
    assert "dayfirst" in output
    assert imported(source, tmp_path / "b", "--dayfirst")["transactions"].count(b"2023-11-01") == 1
    mapping = tmp_path / "m.toml"
    columns = zip(
        ["invoice", "product", "product_name", "quantity", "timestamp", "unit_price", "customer"],
        GERMAN,
        strict=False,
    )
    mapping.write_text(
        "[columns]\n"
        + "".join(f'{k} = "{v}"\n' for k, v in columns)
        + '[options]\ndayfirst = true\ndecimal = ","\ndelimiter = ";"\n',
        encoding="utf-8",
    )
    assert imported(source, tmp_path / "m", "--mapping", str(mapping))["sales"].count(b"\n") == 4


def test_a_known_layout_is_recognised_by_its_headers(tmp_path: Path) -> None:
    source = write_online_retail(tmp_path / "retail.csv")
    with_preset = imported(source, tmp_path / "a", "--preset", "online-retail")
    code, output = invoke("import", str(source), "--data-dir", str(tmp_path / "b"))
    assert code == 0, output
    assert "layout: online-retail (recognised by its headers)" in output
    assert imported(source, tmp_path / "c", "--force") == with_preset
    assert not (tmp_path / "b/raw/mapping.toml").exists()


def test_online_retail_without_preset_gives_the_same_bytes(tmp_path: Path) -> None:
    source = shared_file("online_retail.csv.gz")
    with_preset = imported(source, tmp_path / "a", "--preset", "online-retail")
    assert imported(source, tmp_path / "b") == with_preset
    assert report_of(tmp_path / "b")["layout"] == {
        "preset": "online-retail",
        "how": "recognised by its headers",
    }


BAD = [
    # (name, text, expected pieces of the one line)
    (
        "two decimal styles in one column",
        "Beleg;Artikel;Bezeichnung;Menge;Datum;Einzelpreis;Kunde\n"
        "1;A;Kaffee;1;2023-11-01;3,95;7\n2;B;Tee;1;2023-11-01;1,234.56;7\n",
        ["line 3, column Einzelpreis", "'1,234.56'", "two number styles"],
    ),
    (
        "dates ambiguous in every row",
        "Beleg;Artikel;Bezeichnung;Menge;Datum;Einzelpreis;Kunde\n"
        "1;A;Kaffee;1;01.02.2023;3,95;7\n2;B;Tee;1;03.04.2023;3,95;7\n",
        ["line 2, column Datum", "'01.02.2023'", "dayfirst"],
    ),
    (
        "a currency column holding two currencies",
        "Order ID,SKU,Name,Qty,Date,Price,Customer\n"
        "1,A,Coffee,1,2023-11-01,EUR 3.95,7\n2,B,Tea,1,2023-11-01,USD 4.00,7\n",
        ["line 3, column Price", "'USD 4.00'", "EUR"],
    ),
    (
        "a numeric column holding text",
        "Order ID,SKU,Name,Qty,Date,Price,Customer\n"
        "1,A,Coffee,1,2023-11-01,3.95,7\n2,B,Tea,two,2023-11-01,4.00,7\n",
        ["line 3, column Qty", "'two' is not a number"],
    ),
    (
        "the same column name twice",
        "Order ID,SKU,Name,Qty,Date,Price,Customer,Qty\n1,A,Coffee,1,2023-11-01,3.95,7,1\n",
        ["export.csv", "'Qty' twice", "columns 4 and 8"],
    ),
    ("an empty file", "", ["export.csv is empty"]),
    (
        "a header only",
        "Order ID,SKU,Name,Qty,Date,Price,Customer\n",
        ["export.csv has a header but no lines"],
    ),
    (
        "a required column that cannot be placed",
        "Order ID,Thing,Name,Qty,When,Price,Customer\n1,A,Coffee,1,2023-11-01,3.95,7\n",
        ["no column looks like product, timestamp", "headers found: Order ID, Thing"],
    ),
    (
        "no header row",
        "1,A,Coffee,1,2023-11-01,3.95,\n2,B,Tea,1,2023-11-01,3.95,\n",
        ["no header row found"],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD, ids=[case[0] for case in BAD])
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    source = tmp_path / "export.csv"
    source.write_text(text, encoding="utf-8")
    assert_refused([str(source)], expected)


def assert_refused(args: list[str], expected: list[str]) -> None:
    code, output = invoke("import", *args, "--data-dir", "d")
    assert code != 0, output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) <= 3, output  # one line (wrapped by the terminal)
    flat = " ".join(output.split())
    for text in expected:
        assert " ".join(text.split()) in flat, output
    assert not Path("d/raw").exists() or not any(Path("d/raw").iterdir())


def test_utf16_without_a_byte_order_mark_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "export.txt"
    source.write_bytes("Order ID\tSKU\n1\tA\n".encode("utf-16-le"))
    assert_refused([str(source)], ["export.txt looks like UTF-16 text without a byte-order mark"])


def test_a_mapping_naming_a_missing_column(tmp_path: Path) -> None:
    source = write_export(tmp_path / "export.csv", STYLES["canonical"])
    mapping = tmp_path / "m.toml"
    columns = dict(
        zip(
            [
                "invoice",
                "product",
                "product_name",
                "quantity",
                "timestamp",
                "unit_price",
                "customer",
            ],
            ENGLISH,
            strict=False,
        )
    )
    columns["customer"] = "Client"
    mapping.write_text(
        "[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in columns.items()), encoding="utf-8"
    )
    assert_refused(
        [str(source), "--mapping", str(mapping)],
        ["export.csv has no column 'Client'", "found: Order ID"],
    )


def test_a_batch_folder_of_another_name_is_never_skipped_in_silence(
    tmp_path: Path, db_url: str
) -> None:
    data = tmp_path / "data"
    where = ["--data-dir", str(data), "--database-url", db_url]
    imported(write_export(tmp_path / "base.csv", STYLES["canonical"]), data)
    stray = data / "raw" / "batches" / "2024-03-price-update"
    stray.mkdir(parents=True)
    (stray / "products.csv").write_bytes((data / "raw" / "products.csv").read_bytes())
    (data / "raw" / "batches" / ".0001-2024-03-01_2024-03-31.123.tmp").mkdir()  # a work folder
    assert invoke("--quiet", "init-db", *where)[0] == 0
    for command in (["load"], ["load", "--append"]):
        code, output = invoke(*command, *where)
        assert code == 0, output
        flat = " ".join(output.replace("│", " ").split())
        assert "2024-03-price-update is not loaded" in flat, output
        assert "rename it, e.g. 0001-YYYY-MM-DD_YYYY-MM-DD" in flat, output
        assert ".tmp" not in flat
        assert "every batch folder is loaded" not in flat
    code, output = invoke("status", "--json", *where)
    waiting = json.loads(output)["batches_not_loaded"]
    assert len(waiting) == 1
    assert "2024-03-price-update is not loaded" in waiting[0]


def test_online_retail_ii_workbook_and_instacart_folder_are_recognised(tmp_path: Path) -> None:
    from test_import_presets import II_HEADER, write_instacart

    row = [
        "489434",
        "85048",
        "GLASS BALL",
        12,
        dt.datetime(2009, 12, 1, 7, 45),
        6.95,
        13085.0,
        "UK",
    ]
    later = [*row[:4], dt.datetime(2010, 12, 1, 7, 45), *row[5:]]
    book = write_workbook(
        tmp_path / "online_retail_II.xlsx",
        {"Year 2009-2010": [II_HEADER, row], "Year 2010-2011": [II_HEADER, later]},
    )
    code, output = invoke("import", str(book), "--data-dir", "ii")
    assert code == 0, output
    assert report_of(Path("ii"))["layout"]["preset"] == "online-retail-ii"  # type: ignore[index]
    assert report_of(Path("ii"))["source_rows"] == 2  # both sheets
    folder = write_instacart(tmp_path / "instacart")
    code, output = invoke("import", str(folder), "--data-dir", "ic")
    assert code == 0, output
    assert "layout: instacart (recognised by its headers)" in output


def test_command_line_options_fix_what_is_found(
    tmp_path: Path, canonical: dict[str, bytes]
) -> None:
    source = write_export(tmp_path / "gbp.csv", STYLES["pound-sign"])
    assert_refused([str(source), "--currency", "EUR"], ["'£2.55' is in GBP", "EUR"])
    assert imported(source, tmp_path / "g", "--currency", "£", "--delimiter", ",") == canonical
    # "1.200" is a thousand and two hundred only when the decimal mark is the comma
    german = write_export(tmp_path / "de.csv", STYLES["german-excel"])
    assert imported(german, tmp_path / "de", "--decimal", ",", "--thousands", ".") == canonical
    assert_refused(
        [str(german), "--decimal", "."], ["column Einzelpreis", "'2,55' is not a number"]
    )
    code, output = invoke("import", str(german), "--decimal", ";", "--data-dir", "x")
    assert code == 2
    assert "decimal ';' is not '.' or ','" in output


def test_a_later_export_appends_without_a_preset(tmp_path: Path) -> None:
    data = tmp_path / "data"
    base = write_export(tmp_path / "base.csv", STYLES["german-excel"])
    imported(base, data)
    later = tmp_path / "later.csv"
    text = (
        base.read_bytes()
        .decode("cp1252")
        .replace("1003;", "1004;")
        .replace("02.12.2023", "04.12.2023")
    )
    later.write_bytes(text.encode("cp1252"))
    code, output = invoke("import", str(later), "--append", "--data-dir", str(data))
    assert code == 0, output
    (batch,) = (data / "raw" / "batches").iterdir()
    assert batch.name == "0001-2023-12-04_2023-12-04"
    report = json.loads((batch / "import_report.json").read_bytes())
    assert report["detected"]["decimal"] == ","


def test_a_workbook_with_a_title_above_the_header(
    tmp_path: Path, canonical: dict[str, bytes]
) -> None:
    rows: list[list[object]] = [["Kassa-export filiaal 12"], [], DUTCH]
    for invoice, sku, name, quantity, when, price, customer, country in LINES:
        rows.append([invoice, sku, name, quantity, when, price, customer or None, country])
    source = write_workbook(tmp_path / "kassa.xlsx", {"Blad1": rows})
    assert imported(source, tmp_path / "d") == canonical
