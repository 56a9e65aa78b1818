"""What the loader needs to know about the schema, derived from the ORM metadata only.

No SQL identifier ever comes from user input: table names given by users are looked up here and everything
else (columns, constraints, indexes) is read from ``Base.metadata``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Numeric,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy import Integer as IntegerType

from clustr_etl.errors import UnknownTableError
from clustr_etl.store.models import DATA_TABLES, Base, table


class Kind(Enum):
    """How a CSV field is parsed and checked."""

    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    DECIMAL = "decimal"
    DATE = "date"
    BOOL = "bool"
    STRING = "string"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: Kind
    nullable: bool
    precision: int = 0  # DECIMAL: total digits
    scale: int = 0  # DECIMAL: digits after the point
    length: int | None = None  # STRING: maximum characters


@dataclass(frozen=True)
class ForeignKey:
    """One single-column foreign key ``child.column -> parent.parent_column``."""

    constraint: ForeignKeyConstraint
    child: str
    column: str
    parent: str
    parent_column: str


def column_spec(column: Column[object]) -> ColumnSpec:
    kind_type = column.type
    nullable = bool(column.nullable)
    if isinstance(kind_type, Boolean):
        return ColumnSpec(column.name, Kind.BOOL, nullable)
    if isinstance(kind_type, SmallInteger):
        return ColumnSpec(column.name, Kind.INT16, nullable)
    if isinstance(kind_type, BigInteger):
        return ColumnSpec(column.name, Kind.INT64, nullable)
    if isinstance(kind_type, IntegerType):
        return ColumnSpec(column.name, Kind.INT32, nullable)
    if isinstance(kind_type, Numeric):
        precision = kind_type.precision or 18
        scale = kind_type.scale if kind_type.scale is not None else 0
        return ColumnSpec(column.name, Kind.DECIMAL, nullable, precision=precision, scale=scale)
    if isinstance(kind_type, Date):
        return ColumnSpec(column.name, Kind.DATE, nullable)
    if isinstance(kind_type, String):
        return ColumnSpec(column.name, Kind.STRING, nullable, length=kind_type.length)
    raise TypeError(f"column {column.table.name}.{column.name} has an unsupported type {kind_type}")


def column_specs(name: str) -> dict[str, ColumnSpec]:
    return {column.name: column_spec(column) for column in table(name).columns}


def primary_key(name: str) -> str:
    (column,) = table(name).primary_key.columns
    return str(column.name)


def unique_columns(name: str) -> list[str]:
    """Single columns carrying a UNIQUE constraint (besides the primary key)."""
    return [str(column.name) for column in table(name).columns if column.unique]


def foreign_keys() -> list[ForeignKey]:
    """Foreign keys between the data tables (rule tables excluded)."""
    found = []
    for child in DATA_TABLES:
        for constraint in table(child).constraints:
            if isinstance(constraint, ForeignKeyConstraint):
                (element,) = constraint.elements
                found.append(
                    ForeignKey(
                        constraint=constraint,
                        child=child,
                        column=str(element.parent.name),
                        parent=str(element.column.table.name),
                        parent_column=str(element.column.name),
                    )
                )
    return found


def resolve_tables(names: Sequence[str] | None) -> tuple[str, ...]:
    """The data tables to load, in dependency order; unknown names raise UnknownTableError."""
    if names is None:
        return DATA_TABLES
    unknown = [name for name in names if name not in DATA_TABLES]
    if unknown:
        raise UnknownTableError(
            f"unknown table {', '.join(repr(name) for name in unknown)}",
            f"valid tables: {', '.join(DATA_TABLES)}",
        )
    wanted = set(names)
    return tuple(name for name in DATA_TABLES if name in wanted)


def schema_table(name: str) -> Table:
    """Any table of the schema (data or rules) by name, or UnknownTableError."""
    tables = Base.metadata.tables
    if name not in tables:
        raise UnknownTableError(
            f"unknown table {name!r}", f"valid tables: {', '.join(sorted(tables))}"
        )
    return tables[name]
