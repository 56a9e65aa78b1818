"""``import --append``: a later export becomes a batch whose natural keys keep the ids already given.

The ids already given are read from the imported dataset (the base CSVs plus every batch): a product,
customer or invoice seen before keeps its id, a new one continues after the largest id, in the natural
order a plain import uses. Lines of invoices already imported are counted (``invoice_already_imported``),
not loaded again: exports often overlap. The batch holds the new products and customers only (known
ones keep the attributes they were imported with), the calendar days the dataset lacks (filling any gap
after its last day, so the calendar stays continuous), the new transactions and their sales lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from clustr_etl.dataset.batches import BATCHES_DIR, batch_folder, batch_name, find_batches
from clustr_etl.dataset.layout import IMPORT_REPORT_FILE, MANIFEST_FILE, TABLE_FILES
from clustr_etl.errors import InputFileError
from clustr_etl.importing import presets as p
from clustr_etl.importing.calendar import build_timeframe
from clustr_etl.importing.cleaning import REASONS, Filters, clean
from clustr_etl.importing.codes import relabel
from clustr_etl.importing.importer import (
    ImportOptions,
    ImportResult,
    _canonical_products,
    detected_report,
    layout_report,
    main_country,
    read_lines,
    resolve_preset,
)
from clustr_etl.importing.keys import Tables, build_tables, with_key
from clustr_etl.importing.reconciliation import import_report, realism_stats
from clustr_etl.importing.writer import arrow_tables, write_import
from clustr_etl.progress import NO_PROGRESS, Progress

ALREADY_IMPORTED = "invoice_already_imported"


@dataclass
class KnownKeys:
    """The ids an imported dataset has given (base plus batches)."""

    products: dict[str, int]  # sku -> product_id
    product_names: set[str]
    customers: dict[str, int]  # external_id -> customer_id
    invoices: frozenset[str]
    days: np.ndarray  # sorted distinct calendar days (datetime64[D])
    max_transaction_id: int
    max_sale_id: int


def _read(path: Path, columns: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    return pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            include_columns=columns, column_types=types, strings_can_be_null=True
        ),
    )


def _folders(raw_dir: Path) -> list[Path]:
    return [raw_dir, *(batch.path for batch in find_batches(raw_dir))]


def read_known_keys(raw_dir: Path) -> KnownKeys:
    """Every natural key and id in ``raw_dir``'s CSVs and its batches."""
    products: dict[str, int] = {}
    names: set[str] = set()
    customers: dict[str, int] = {}
    invoices: set[str] = set()
    days: list[np.ndarray] = []
    max_transaction = max_sale = 0
    text, integer = pa.string(), pa.int64()
    for folder in _folders(raw_dir):
        if (path := folder / TABLE_FILES["products"]).is_file():
            table = _read(path, ["product_id", "sku", "name"], {"sku": text, "name": text})
            for sku, pid in zip(
                table["sku"].to_pylist(), table["product_id"].to_pylist(), strict=True
            ):
                if sku is not None:
                    products[sku] = pid
            names.update(name for name in table["name"].to_pylist() if name is not None)
        if (path := folder / TABLE_FILES["customers"]).is_file():
            table = _read(path, ["customer_id", "external_id"], {"external_id": text})
            ids = table["customer_id"].to_pylist()
            customers.update(
                (key, cid)
                for key, cid in zip(table["external_id"].to_pylist(), ids, strict=True)
                if key
            )
        if (path := folder / TABLE_FILES["transactions"]).is_file():
            table = _read(path, ["transaction_id", "invoice_no"], {"invoice_no": text})
            invoices.update(key for key in table["invoice_no"].to_pylist() if key is not None)
            max_transaction = max(max_transaction, pc.max(table["transaction_id"]).as_py() or 0)
        if (path := folder / TABLE_FILES["sales"]).is_file():
            table = _read(path, ["sale_id"], {"sale_id": integer})
            max_sale = max(max_sale, pc.max(table["sale_id"]).as_py() or 0)
        if (path := folder / TABLE_FILES["timeframe"]).is_file():
            table = _read(path, ["date"], {"date": pa.date32()})
            days.append(table["date"].to_numpy().astype("datetime64[D]"))
    return KnownKeys(
        products=products,
        product_names=names,
        customers=customers,
        invoices=frozenset(invoices),
        days=np.unique(np.concatenate(days)) if days else np.array([], dtype="datetime64[D]"),
        max_transaction_id=max_transaction,
        max_sale_id=max_sale,
    )


def check_imported(raw_dir: Path) -> None:
    if (raw_dir / IMPORT_REPORT_FILE).is_file():
        return
    if (raw_dir / MANIFEST_FILE).is_file():
        raise InputFileError(
            f"{raw_dir} holds a generated dataset, not an imported one",
            "import --append adds a later export to an import; use generate --next-days here",
        )
    raise InputFileError(
        f"{raw_dir} holds no imported dataset to append to",
        "run clustr-etl import without --append first",
    )


def _new_ids(keys: list[str], known: dict[str, int], start: int) -> np.ndarray:
    """Each key's id: the known one, else the next free one (in the given, natural order)."""
    ids = np.empty(len(keys), dtype=np.int64)
    next_id = start
    for position, key in enumerate(keys):
        found = known.get(key)
        if found is None:
            next_id += 1
            found = next_id
        ids[position] = found
    return ids


def _remap(tables: Tables, known: KnownKeys) -> Tables:
    """Give the batch's rows the dataset's ids; keep only products and customers new to it."""
    products, customers = tables.products, tables.customers
    transactions, sales = tables.transactions, tables.sales
    # Batch ids are 1..n in natural order: position i holds the row with id i + 1.
    product_ids = _new_ids(
        products["sku"].tolist(), known.products, max(known.products.values(), default=0)
    )
    customer_ids = _new_ids(
        customers["external_id"].tolist(), known.customers, max(known.customers.values(), default=0)
    )
    transaction_ids = np.arange(1, len(transactions) + 1) + known.max_transaction_id
    new_products = ~products["sku"].isin(known.products).to_numpy()
    products = products.assign(product_id=product_ids)[new_products].reset_index(drop=True)
    products["name"] = _distinct_from(products["name"], products["sku"], known.product_names)
    new_customers = ~customers["external_id"].isin(known.customers).to_numpy()
    customers = customers.assign(customer_id=customer_ids)[new_customers].reset_index(drop=True)
    kinds = np.where(customers["segment"].to_numpy() == "guest", "guest", "customer")
    customers["email"] = [
        f"{kind}-{cid}@import.invalid"
        for kind, cid in zip(kinds, customers["customer_id"].tolist(), strict=True)
    ]
    transactions = transactions.assign(
        transaction_id=transaction_ids[transactions["transaction_id"].to_numpy() - 1],
        customer_id=customer_ids[transactions["customer_id"].to_numpy() - 1],
    )
    sales = sales.assign(
        sale_id=sales["sale_id"].to_numpy() + known.max_sale_id,
        transaction_id=transaction_ids[sales["transaction_id"].to_numpy() - 1],
        product_id=product_ids[sales["product_id"].to_numpy() - 1],
    )
    return Tables(products, customers, transactions, sales, tables.guest_customers)


def _distinct_from(names: pd.Series, skus: pd.Series, taken: set[str]) -> pd.Series:
    """A new product named like a known one gets its key appended, as a plain import does."""
    clash = names.isin(taken).to_numpy()
    if not clash.any():
        return names
    names = names.copy()
    names[clash] = [
        with_key(name, sku) for name, sku in zip(names[clash], skus[clash], strict=True)
    ]
    return names


def _missing_days(
    dates: pd.Series, known: KnownKeys, country: str | None
) -> tuple[pa.Table, str | None]:
    """Calendar rows for the batch's days the dataset lacks, and for any gap next to them."""
    bounds = [pd.Timestamp(dates.min()), pd.Timestamp(dates.max())]
    if known.days.size:
        bounds += [pd.Timestamp(known.days[0]), pd.Timestamp(known.days[-1])]
    calendar, code = build_timeframe(pd.Series(bounds), country)
    days = calendar.column("date").to_numpy().astype("datetime64[D]")
    return calendar.filter(pa.array(~np.isin(days, known.days))), code


def _spelled_as_known(skus: pd.Series, known: KnownKeys) -> pd.Series:
    """A key that differs from a known one only in case takes the known spelling (and its id)."""
    folded = {sku.upper(): sku for sku in known.products}

    def respelled(sku: str) -> str:
        return sku if sku in known.products else folded.get(sku.upper(), sku)

    return relabel(skus, lambda labels: labels.map(respelled))


def _nothing_new(lines: pd.DataFrame, known: KnownKeys) -> bool:
    invoices = lines[p.INVOICE]
    return bool(invoices.notna().all() and invoices.isin(known.invoices).all())


def append_import(
    options: ImportOptions, raw_dir: Path, *, progress: Progress = NO_PROGRESS
) -> tuple[Path | None, ImportResult]:
    """Import a later export as the next batch of ``raw_dir``; (its folder or None, the report)."""
    preset, mapping = resolve_preset(options)
    check_imported(raw_dir)
    with progress.task("read", total=None):
        known = read_known_keys(raw_dir)
        read = read_lines(options, preset, mapping)
    if _nothing_new(read.lines, known):
        rows = len(read.lines)
        nothing: dict[str, Any] = {"batch": None, "source_rows": rows, "loaded_rows": 0}
        nothing["dropped"] = {ALREADY_IMPORTED: rows}
        return None, ImportResult(report=nothing, files={})
    with progress.task("clean and key", total=None):
        filters = Filters(options.countries, options.since, options.until, known.invoices)
        cleaned = clean(read.lines, filters, preset.credit_note_prefix)
        quirks = _canonical_products(cleaned, read.lines)
        cleaned.lines[p.PRODUCT] = _spelled_as_known(cleaned.lines[p.PRODUCT], known)
        tables = _remap(build_tables(cleaned.lines, preset.is_non_merchandise), known)
        country = main_country(cleaned.lines)
        timeframe, holiday_code = _missing_days(tables.transactions["date"], known, country)
    report = import_report(
        options=options,
        preset=preset,
        encoding=read.encoding,
        cleaned=cleaned,
        tables=tables,
        timeframe=timeframe,
        calendar={"main_country": country, "holiday_country": holiday_code},
        notes={
            **quirks,
            **read.notes,
            "known_products_reused": len(set(cleaned.lines[p.PRODUCT]) & known.products.keys()),
            "new_products": len(tables.products),
            "new_customers": len(tables.customers),
        },
        reasons={reason: REASONS[reason] for reason in cleaned.dropped},
    )
    report["detected"] = detected_report(read.found)
    report["layout"] = layout_report(options, preset, mapping)
    dates = tables.transactions["date"]
    report["realism"] = realism_stats(tables, build_timeframe(dates, country)[0])
    first, last = pd.Timestamp(dates.min()).date(), pd.Timestamp(dates.max()).date()
    batches = find_batches(raw_dir)
    number = batches[-1].number + 1 if batches else 1
    target = raw_dir / BATCHES_DIR / batch_name(number, first, last)
    report["batch"] = target.name
    with progress.task("write", total=None):
        files = _write_batch(target, tables, timeframe, report)
    return target, ImportResult(report=report, files=files)


def _write_batch(
    target: Path, tables: Tables, timeframe: pa.Table, report: dict[str, Any]
) -> dict[str, int]:
    """The batch's non-empty tables and its report, written in a hidden folder renamed at the end."""
    arrow = {
        name: table for name, table in arrow_tables(tables, timeframe).items() if table.num_rows
    }
    with batch_folder(target) as work:
        files = write_import(work, arrow, dict(report), force=True)
    return files
