"""DDL statements built from the ORM metadata (never from user strings), compiled for one dialect.

``AddConstraint`` gets ``isolate_from_table=False``: by default it marks the shared metadata's constraint as
"added later", and every CREATE TABLE after that (init-db in the same process) would silently omit it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Engine,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropIndex,
    ExecutableDDLElement,
)

from clustr_etl.store.models import Base, table


def links_touching(names: Iterable[str]) -> list[ForeignKeyConstraint]:
    """Foreign keys of the schema whose child or parent table is one of ``names``."""
    wanted = set(names)
    return [
        constraint
        for child in Base.metadata.sorted_tables
        for constraint in sorted(child.foreign_key_constraints, key=lambda c: str(c.name))
        if child.name in wanted or constraint.referred_table.name in wanted
    ]


def compile_ddl(engine: Engine, element: ExecutableDDLElement) -> str:
    return str(element.compile(dialect=engine.dialect))


def quoted_table(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.format_table(table(name)))


def quoted_columns(engine: Engine, name: str, columns: Iterable[str]) -> str:
    """A column list for ``name``; every column is looked up in the metadata first."""
    schema_table = table(name)
    preparer = engine.dialect.identifier_preparer
    return ", ".join(preparer.format_column(schema_table.c[column]) for column in columns)


def _unique_constraints(schema_table: Table) -> list[UniqueConstraint]:
    return [c for c in schema_table.constraints if isinstance(c, UniqueConstraint)]


def _indexes(schema_table: Table) -> list[Index]:
    return sorted(schema_table.indexes, key=lambda index: str(index.name))


def drop_foreign_key(engine: Engine, link: ForeignKeyConstraint) -> str:
    return compile_ddl(engine, DropConstraint(link, if_exists=True))


def add_foreign_key(engine: Engine, link: ForeignKeyConstraint) -> str:
    return compile_ddl(engine, AddConstraint(link, isolate_from_table=False))


def quoted_name(engine: Engine, name: str) -> str:
    """A fixed identifier of ours (never user input), quoted for the dialect."""
    return str(engine.dialect.identifier_preparer.quote(name))


def drop_keys_and_indexes(engine: Engine, name: str, *, primary_key: bool) -> list[str]:
    """PostgreSQL: drop the secondary indexes, unique constraints (and the primary key) of a table."""
    schema_table = table(name)
    statements = [
        compile_ddl(engine, DropIndex(index, if_exists=True)) for index in _indexes(schema_table)
    ]
    for constraint in _unique_constraints(schema_table):
        statements.append(compile_ddl(engine, DropConstraint(constraint, if_exists=True)))
    if primary_key:
        pk: PrimaryKeyConstraint = schema_table.primary_key
        statements.append(compile_ddl(engine, DropConstraint(pk, if_exists=True)))
    return statements


def add_keys_and_indexes(engine: Engine, name: str, *, primary_key: bool) -> list[str]:
    """The statements re-creating what ``drop_keys_and_indexes`` dropped, primary key first."""
    schema_table = table(name)
    statements = []
    if primary_key:
        statements.append(
            compile_ddl(engine, AddConstraint(schema_table.primary_key, isolate_from_table=False))
        )
    for constraint in _unique_constraints(schema_table):
        statements.append(compile_ddl(engine, AddConstraint(constraint, isolate_from_table=False)))
    statements += [compile_ddl(engine, CreateIndex(index)) for index in _indexes(schema_table)]
    return statements


def drop_indexes(engine: Engine, name: str) -> list[str]:
    """SQLite: the secondary indexes of a table (unique constraints are part of the table there)."""
    return [
        compile_ddl(engine, DropIndex(index, if_exists=True)) for index in _indexes(table(name))
    ]


def create_indexes(engine: Engine, name: str) -> list[str]:
    return [compile_ddl(engine, CreateIndex(index)) for index in _indexes(table(name))]


def create_table(engine: Engine, name: str) -> list[str]:
    """CREATE TABLE for a table of the schema, then its primary key and unique constraints dropped:
    keys, indexes and foreign keys are added after loading (``add_keys_and_indexes``). Every statement
    names the new table only, never an index by itself (an unqualified index name could be another
    schema's)."""
    schema_table = table(name)
    statements = [
        compile_ddl(engine, CreateTable(schema_table, include_foreign_key_constraints=[]))
    ]
    for constraint in [*_unique_constraints(schema_table), schema_table.primary_key]:
        statements.append(compile_ddl(engine, DropConstraint(constraint)))
    return statements


def own_object_names(engine: Engine) -> set[str]:
    """Names of every constraint and index the schema gives its tables, as the database stores them."""
    preparer = engine.dialect.identifier_preparer
    names: set[str] = set()
    for schema_table in Base.metadata.sorted_tables:
        for item in [*schema_table.constraints, *schema_table.indexes]:
            rendered = preparer.format_constraint(item)  # type: ignore[arg-type]
            if rendered:
                names.add(str(rendered).strip('"'))
    return names
