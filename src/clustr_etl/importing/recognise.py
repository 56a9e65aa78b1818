"""`import FILE` without ``--preset``: the layout recognised by its headers, or a mapping proposed
from common column names in English, German, French, Spanish and Dutch."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from clustr_etl.errors import InputFileError
from clustr_etl.importing import presets as p
from clustr_etl.importing.dialect import sniff
from clustr_etl.importing.formats import Formats
from clustr_etl.importing.mapping import Mapping
from clustr_etl.importing.sources import kind_of, sheet_header_row

# Column names seen in till and shop exports, by canonical column, the more specific first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    p.INVOICE: (
        "InvoiceNo",
        "Invoice",
        "Invoice No",
        "Invoice Number",
        "Invoice ID",
        "Order ID",
        "Order No",
        "Order Number",
        "Order",
        "Receipt",
        "Receipt No",
        "Receipt ID",
        "Transaction ID",
        "Transaction",
        "Ticket",
        "Basket ID",
        "Beleg",
        "Belegnummer",
        "Beleg-Nr",
        "Belegnr",
        "Rechnungsnummer",
        "Rechnungsnr",
        "Rechnung",
        "Bon",
        "Bonnummer",
        "Bon-Nr",
        "Kassenbon",
        "Auftragsnummer",
        "Auftrag",
        "Facture",
        "N° facture",
        "Numéro de facture",
        "No facture",
        "Commande",
        "Ticket de caisse",
        "Factura",
        "Número de factura",
        "Nº factura",
        "Pedido",
        "Albarán",
        "Factuur",
        "Factuurnummer",
        "Bonnummer",
        "Kassabon",
        "Bestelling",
        "Ordernummer",
    ),
    p.PRODUCT: (
        "StockCode",
        "Stock Code",
        "SKU",
        "Product ID",
        "Product Code",
        "Item Code",
        "Item ID",
        "Item No",
        "Item",
        "Article No",
        "Article",
        "EAN",
        "Barcode",
        "Artikelnummer",
        "Artikel-Nr",
        "Artikelnr",
        "Art-Nr",
        "Artikel",
        "Produktnummer",
        "Référence",
        "Code article",
        "Code produit",
        "Réf",
        "Código",
        "Código de producto",
        "Referencia",
        "Artículo",
        "Artikelcode",
        "Productcode",
        "Artikelnummer",
    ),
    p.PRODUCT_NAME: (
        "Description",
        "Product Name",
        "Item Name",
        "Item Description",
        "Product",
        "Name",
        "Title",
        "Bezeichnung",
        "Artikelbezeichnung",
        "Beschreibung",
        "Produktname",
        "Artikelname",
        "Produkt",
        "Libellé",
        "Désignation",
        "Nom du produit",
        "Produit",
        "Descripción",
        "Nombre del producto",
        "Producto",
        "Nombre",
        "Omschrijving",
        "Productnaam",
        "Naam",
    ),
    p.QUANTITY: (
        "Quantity",
        "Qty",
        "Units",
        "Menge",
        "Anzahl",
        "Stück",
        "Stückzahl",
        "Quantité",
        "Qté",
        "Cantidad",
        "Cant",
        "Unidades",
        "Aantal",
        "Hoeveelheid",
    ),
    p.TIMESTAMP: (
        "InvoiceDate",
        "Invoice Date",
        "Order Date",
        "Transaction Date",
        "Datetime",
        "Timestamp",
        "Date",
        "Belegdatum",
        "Rechnungsdatum",
        "Datum",
        "Zeitpunkt",
        "Date facture",
        "Date de facture",
        "Fecha",
        "Fecha factura",
        "Factuurdatum",
    ),
    p.UNIT_PRICE: (
        "UnitPrice",
        "Unit Price",
        "Price",
        "Price Each",
        "Unit Cost",
        "Einzelpreis",
        "Stückpreis",
        "Preis",
        "VK-Preis",
        "Prix unitaire",
        "Prix",
        "PU",
        "Precio unitario",
        "Precio",
        "Stukprijs",
        "Eenheidsprijs",
        "Prijs",
    ),
    p.CUSTOMER: (
        "CustomerID",
        "Customer ID",
        "Customer No",
        "Customer Number",
        "Customer",
        "Client ID",
        "Client",
        "Member ID",
        "Kundennummer",
        "Kunden-Nr",
        "Kundennr",
        "Kunde",
        "N° client",
        "Numéro client",
        "Code client",
        "Cliente",
        "ID cliente",
        "Número de cliente",
        "Klantnummer",
        "Klant-ID",
        "Klant",
    ),
    p.CATEGORY: (
        "Category",
        "Department",
        "Kategorie",
        "Warengruppe",
        "Catégorie",
        "Rayon",
        "Categoría",
        "Departamento",
        "Categorie",
        "Afdeling",
    ),
    p.COUNTRY: ("Country", "Land", "Pays", "País"),
    p.CITY: ("City", "Stadt", "Ort", "Ville", "Ciudad", "Plaats", "Stad"),
}


def _key(name: str) -> str:
    """A header reduced to lower-case letters and digits without accents ("N° Facture" -> "nfacture")."""
    plain = unicodedata.normalize("NFKD", name.replace("°", "").replace("º", ""))
    return "".join(ch for ch in plain.lower() if ch.isalnum() and not unicodedata.combining(ch))


def source_headers(path: Path, *, encoding: str | None, formats: Formats) -> list[str]:
    """The column names of a source file (the first sheet of a workbook)."""
    if not path.is_file():
        raise InputFileError(f"{path} not found", "check the SOURCE argument")
    kind = kind_of(path)
    if kind == "xlsx":
        import pandas as pd

        try:
            header = sheet_header_row(path, 0, path.name)
            frame = pd.read_excel(path, nrows=0, engine="calamine", header=header)
        except InputFileError:
            raise
        except Exception as err:  # calamine raises its own error types for broken files
            raise InputFileError(f"cannot read {path} as a workbook: {err}") from None
        return [str(name).strip() for name in frame.columns]
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except (OSError, ValueError) as err:
            raise InputFileError(f"cannot read {path} as Parquet: {err}") from None
    return sniff(path, encoding=encoding, delimiter=formats.delimiter).header


def known_layout(sources: Sequence[Path], headers: list[str] | None) -> p.Preset | None:
    """The preset whose columns the file has (Instacart: a folder holding orders.csv)."""
    if len(sources) == 1 and sources[0].is_dir():
        return p.INSTACART if (sources[0] / "orders.csv").is_file() else None
    found = set(headers or ())
    for preset in (p.ONLINE_RETAIL, p.ONLINE_RETAIL_II):
        if set(preset.columns.values()) <= found:
            return preset
    return None


def propose_mapping(label: str, headers: list[str]) -> dict[str, str]:
    """Canonical column -> header, from the synonyms; refused when a required one has none."""
    by_key = {_key(header): header for header in reversed(headers)}
    columns: dict[str, str] = {}
    for canonical, names in SYNONYMS.items():
        for name in names:
            header = by_key.get(_key(name))
            if header is not None and header not in columns.values():
                columns[canonical] = header
                break
    missing = [name for name in p.REQUIRED if name not in columns]
    if missing:
        raise InputFileError(
            f"{label}: no column looks like {', '.join(missing)} "
            f"(headers found: {', '.join(headers)})",
            "write a mapping and pass --preset lines --mapping FILE (see README, Real data)",
        )
    return columns


def mapping_toml(mapping: Mapping, found: dict[str, str]) -> str:
    """The mapping as TOML, with the formats found as [options], ready to pin with --mapping."""
    lines = [
        "# proposed by clustr-etl import; pin it with --preset lines --mapping FILE",
        "[columns]",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in mapping.columns.items()]
    options = {
        name: found[name]
        for name in ("encoding", "delimiter", "decimal", "thousands", "currency")
        if name in found
    }
    lines += ["", "[options]"] + [f"{key} = {_toml(value)}" for key, value in options.items()]
    if found.get("dates") in ("day-first", "month-first"):
        lines.append(f"dayfirst = {str(found['dates'] == 'day-first').lower()}")
    return "\n".join(lines) + "\n"


def _toml(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'
