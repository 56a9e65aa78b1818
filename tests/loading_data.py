"""Small, consistent CSV datasets for the loading tests, written with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from clustr_etl.loading.schema import ColumnSpec, Kind, column_specs
from clustr_etl.store.models import CSV_COLUMNS, table

Rows = list[list[str]]
START = dt.date(2024, 1, 1)


def make_dataset(
    *,
    products: int = 12,
    customers: int = 15,
    days: int = 20,
    transactions: int = 60,
    seed: int = 1,
) -> dict[str, Rows]:
    """Rows (as strings, header excluded) of every data table; sales average ~3 lines per transaction."""
    rng = random.Random(seed)
    data: dict[str, Rows] = {
        "products": [
            [
                str(i),
                f"Product {i}",
                f"Category {i % 3}",
                f"{rng.randint(100, 9999) / 100:.2f}",
                f"SKU-{i}" if i % 4 else "",  # natural keys: some empty (NULL), as generated data
                "false" if i % 5 == 0 else "true",
                f"Subcategory {i % 5}",
            ]
            for i in range(1, products + 1)
        ],
        "customers": [
            [
                str(i),
                f"First{i}",
                f"Last{i}",
                f"customer{i}@example.com",
                "Springfield",
                (START - dt.timedelta(days=i)).isoformat(),
                "regular",
                f"C{i}" if i % 2 else "",
            ]
            for i in range(1, customers + 1)
        ],
        "timeframe": [],
        "transactions": [],
        "sales": [],
    }
    for offset in range(days):
        day = START + dt.timedelta(days=offset)
        weekday = day.isoweekday()
        data["timeframe"].append(
            [
                day.isoformat(),
                str(day.year),
                str((day.month - 1) // 3 + 1),
                str(day.month),
                str(day.day),
                str(weekday),
                str(day.isocalendar().week),
                "true" if weekday >= 6 else "false",
                "false",
            ]
        )
    sale_id = 0
    for transaction_id in range(1, transactions + 1):
        day = START + dt.timedelta(days=rng.randrange(days))
        data["transactions"].append(
            [
                str(transaction_id),
                str(rng.randint(1, customers)),
                day.isoformat(),
                f"INV-{transaction_id}" if transaction_id % 3 else "",
            ]
        )
        for product_id in rng.sample(range(1, products + 1), rng.randint(1, min(5, products))):
            sale_id += 1
            quantity = rng.randint(1, 4)
            price = float(data["products"][product_id - 1][3])
            discount = rng.choice([0.0, 0.0, 0.1, 0.25])
            data["sales"].append(
                [
                    str(sale_id),
                    str(transaction_id),
                    str(product_id),
                    str(quantity),
                    f"{price:.2f}",
                    f"{discount:.3f}",
                    f"{quantity * price * (1 - discount):.2f}",
                ]
            )
    return data


def write_table(
    raw_dir: Path,
    table: str,
    rows: Rows,
    *,
    header: list[str] | None = None,
    bom: bool = False,
    line_ending: str = "\n",
) -> Path:
    """Write one CSV (csv module, minimal quoting) and return its path."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    path = raw_dir / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as out:
        writer = csv.writer(out, lineterminator=line_ending)
        writer.writerow(header if header is not None else CSV_COLUMNS[table])
        writer.writerows(rows)
    return path


def write_dataset(raw_dir: Path, data: dict[str, Rows]) -> Path:
    for name, rows in data.items():
        write_table(raw_dir, name, rows)
    return raw_dir


def expected_rows(table: str, rows: Rows) -> list[tuple[object, ...]]:
    """CSV rows as the typed values a SELECT returns (decimals quantized), ordered by primary key."""
    specs = column_specs(table)
    typed = [
        tuple(
            _typed(specs[name], field) for name, field in zip(CSV_COLUMNS[table], row, strict=True)
        )
        for row in rows
    ]
    return sorted(typed, key=lambda values: str(values[0]).zfill(20))


def database_rows(engine: Engine, table_name: str) -> list[tuple[object, ...]]:
    """All rows of a table, typed like ``expected_rows``."""
    specs = column_specs(table_name)
    schema_table = table(table_name)
    with engine.connect() as conn:
        result = conn.execute(select(schema_table)).all()
    typed = [
        tuple(
            _typed(specs[column.name], value)
            for column, value in zip(schema_table.columns, row, strict=True)
        )
        for row in result
    ]
    return sorted(typed, key=lambda values: str(values[0]).zfill(20))


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    return {name: database_rows(engine, name) for name in CSV_COLUMNS}


def _typed(spec: ColumnSpec, value: object) -> object:
    if spec.kind == Kind.DECIMAL:
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-spec.scale))
    if spec.kind == Kind.DATE:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if spec.kind == Kind.BOOL:
        return value if isinstance(value, bool) else str(value).lower() in ("true", "t", "1")
    if spec.kind == Kind.STRING:
        return None if spec.nullable and value in ("", None) else value
    return int(str(value))
