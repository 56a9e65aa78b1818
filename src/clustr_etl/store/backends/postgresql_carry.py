"""PostgreSQL: what users hang on the replaced tables, carried over to the new tables at the switch.

Carried over: the views over the tables (also views over those views), read with ``pg_get_viewdef`` and
created again on the new tables with their options, owner, grants and comments; the tables' owner, grants
and table and column comments. Refused before anything is loaded, with one line naming the object: a
materialized view, a view whose owner the loading role cannot act for or that may not create in the
view's schema (PostgreSQL requires both to give the new view to that owner; a superuser needs neither),
and every other object that
depends on a replaced table (triggers, policies, rules, indexes or constraints that are not clustr-etl's,
foreign keys from other tables, columns clustr-etl does not know).

Statements are built with ``psycopg.sql`` from catalog names and values (quoted as identifiers and
literals), never from user input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from clustr_etl.errors import SchemaError
from clustr_etl.store.models import table as schema_table

Cursor = Any  # a psycopg cursor (typed loosely: rows are tuples of catalog values)

VIEW_OPTIONS = frozenset({"check_option", "security_barrier", "security_invoker"})

_DEPENDENT_VIEWS = """
WITH RECURSIVE views(oid, level) AS (
    SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid = ANY(%(tables)s) AND r.ev_class <> d.refobjid
    UNION ALL
    SELECT r.ev_class, v.level + 1 FROM views v
    JOIN pg_depend d ON d.refobjid = v.oid AND d.classid = 'pg_rewrite'::regclass
      AND d.refclassid = 'pg_class'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> v.oid
)
SELECT c.oid, n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner),
       pg_has_role(c.relowner, 'MEMBER'),
       has_schema_privilege(c.relowner, n.oid, 'CREATE')
           OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
       coalesce(c.reloptions, '{}'), max(v.level)
FROM views v JOIN pg_class c ON c.oid = v.oid JOIN pg_namespace n ON n.oid = c.relnamespace
GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.relowner, c.reloptions, n.oid
ORDER BY max(v.level), c.oid
"""

_OTHER_DEPENDENTS = """
SELECT pg_describe_object(d.classid, d.objid, d.objsubid), c.relname
FROM pg_depend d JOIN pg_class c ON c.oid = d.refobjid
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY(%(tables)s)
  AND d.deptype IN ('n', 'a')
  AND d.classid NOT IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass, 'pg_type'::regclass)
  AND NOT (d.classid = 'pg_constraint'::regclass
           AND (SELECT conname FROM pg_constraint WHERE oid = d.objid) = ANY(%(known)s))
  AND NOT (d.classid = 'pg_class'::regclass
           AND ((SELECT relname FROM pg_class WHERE oid = d.objid) = ANY(%(known)s)
                OR (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'))
  AND NOT (d.classid = 'pg_trigger'::regclass
           AND (SELECT tgisinternal FROM pg_trigger WHERE oid = d.objid))
ORDER BY 1
"""

_RULES_ON_TABLES = """
SELECT pg_describe_object('pg_rewrite'::regclass, r.oid, 0) FROM pg_rewrite r
WHERE r.ev_class = ANY(%(tables)s) ORDER BY 1
"""

_UNKNOWN_COLUMNS = """
SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE a.attrelid = ANY(%(tables)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""


@dataclass
class Relation:
    """One table or view as the catalog describes it, and the statements giving it back what it had."""

    oid: int
    schema: str
    name: str
    owner: str
    options: list[str] = field(default_factory=list)
    definition: str = ""
    columns: list[str] = field(default_factory=list)
    restore: list[sql.Composed] = field(default_factory=list)

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass
class Carried:
    """Everything to restore after the switch: the tables' extras and the views to create again."""

    tables: list[Relation]
    views: list[Relation]

    def drop_views(self) -> sql.Composed | None:
        if not self.views:
            return None
        return sql.SQL("DROP VIEW {}").format(sql.SQL(", ").join(v.identifier for v in self.views))

    def recreate(self) -> list[sql.Composed]:
        """Views in dependency order with their extras, then the tables' extras."""
        statements: list[sql.Composed] = []
        for view in self.views:
            statements.append(_create_view(view))
            statements += view.restore
        for relation in self.tables:
            statements += relation.restore
        return statements


def table_oids(cur: Cursor, schema: str, names: Sequence[str]) -> list[int]:
    cur.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s) AND c.relkind IN ('r', 'p')",
        (schema, list(names)),
    )
    return [int(row[0]) for row in cur.fetchall()]


def refuse_unknown(cur: Cursor, known: Iterable[str], schema: str, names: Sequence[str]) -> None:
    """SchemaError naming the first dependent object of a replaced table that cannot be carried over
    (``known``: the constraint and index names clustr-etl gives its tables)."""
    tables = table_oids(cur, schema, names)
    params = {"tables": tables, "known": sorted(known)}
    cur.execute(_DEPENDENT_VIEWS, params)
    for _oid, view_schema, view, kind, owner, member, creates, _opts, _level in cur.fetchall():
        what = f"{view_schema}.{view}"
        if kind != "v":
            _refuse(f"materialized view {what} depends on {', '.join(names)}", what)
        if not member:
            _refuse(
                f"view {what} is owned by role {owner}, which this database user cannot act for",
                what,
                f"GRANT {owner} TO the loading user, or drop the view and create it again after",
            )
        if not creates:  # giving the new view back to its owner needs that (but for a superuser)
            _refuse(
                f"view {what} is owned by role {owner}, which may not create in schema {view_schema}",
                what,
                f"GRANT CREATE ON SCHEMA {view_schema} TO {owner}, or drop the view and create it "
                "again after",
            )
    cur.execute(_OTHER_DEPENDENTS, params)
    for description, table in cur.fetchall():
        _refuse(f"{description} depends on table {table}", description)
    cur.execute(_RULES_ON_TABLES, params)
    for (description,) in cur.fetchall():
        _refuse(f"{description} is defined on a replaced table", description)
    cur.execute(_UNKNOWN_COLUMNS, params)
    for table, column in cur.fetchall():
        if column not in schema_table(table).c:
            _refuse(f"column {table}.{column} is not part of clustr-etl's schema", column)


def _refuse(message: str, what: str, hint: str | None = None) -> None:
    raise SchemaError(
        f"cannot reload safely: {message}; clustr-etl carries over views, grants and comments only",
        hint or f"drop {what} (and create it again after the load); nothing was changed",
    )


def read_carried(cur: Cursor, schema: str, names: Sequence[str]) -> Carried:
    """The live tables' extras and their dependent views (call with the tables locked)."""
    tables = table_oids(cur, schema, names)
    cur.execute(_DEPENDENT_VIEWS, {"tables": tables})
    views = [
        Relation(oid=int(oid), schema=s, name=n, owner=o, options=list(opts))
        for oid, s, n, _kind, o, _member, _creates, opts, _level in cur.fetchall()
    ]
    for view in views:
        cur.execute("SELECT pg_get_viewdef(%s::oid)", (view.oid,))
        view.definition = str(cur.fetchone()[0]).rstrip().rstrip(";")
        view.columns = _columns(cur, view.oid)
        view.restore = _extras(cur, view, kind="VIEW")
    cur.execute(
        "SELECT c.oid, c.relname, pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = ANY(%s)",
        (tables,),
    )
    relations = [Relation(oid=int(o), schema=schema, name=n, owner=w) for o, n, w in cur.fetchall()]
    for relation in relations:
        relation.restore = _extras(cur, relation, kind="TABLE")
    return Carried(tables=relations, views=views)


def _columns(cur: Cursor, oid: int) -> list[str]:
    cur.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        (oid,),
    )
    return [str(row[0]) for row in cur.fetchall()]


def _extras(cur: Cursor, relation: Relation, *, kind: str) -> list[sql.Composed]:
    """Owner, grants, and comments of a relation, as statements for its new copy (same name)."""
    target = relation.identifier
    statements: list[sql.Composed] = [
        sql.SQL("ALTER {} {} OWNER TO {}").format(
            sql.SQL(kind), target, sql.Identifier(relation.owner)
        )
    ]
    cur.execute(
        "SELECT a.privilege_type, a.grantee, pg_get_userbyid(a.grantee), a.is_grantable "
        "FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = %s AND a.grantee <> c.relowner",
        (relation.oid,),
    )
    for privilege, grantee_oid, grantee, grantable in cur.fetchall():
        role = sql.SQL("PUBLIC") if int(grantee_oid) == 0 else sql.Identifier(grantee)
        option = sql.SQL(" WITH GRANT OPTION") if grantable else sql.SQL("")
        statements.append(
            sql.SQL("GRANT {} ON {} TO {}{}").format(sql.SQL(privilege), target, role, option)
        )
    cur.execute(
        "SELECT d.objsubid, a.attname, d.description FROM pg_description d "
        "LEFT JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid "
        "WHERE d.objoid = %s AND d.classoid = 'pg_class'::regclass ORDER BY d.objsubid",
        (relation.oid,),
    )
    for subid, column, description in cur.fetchall():
        if int(subid) == 0:
            statements.append(
                sql.SQL("COMMENT ON {} {} IS {}").format(
                    sql.SQL(kind), target, sql.Literal(description)
                )
            )
        else:
            statements.append(
                sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    target, sql.Identifier(column), sql.Literal(description)
                )
            )
    return statements


def _create_view(view: Relation) -> sql.Composed:
    options = [option.split("=", 1) for option in view.options]
    known = [(k, v) for k, v in options if k in VIEW_OPTIONS and v.replace("_", "").isalnum()]
    with_options = (
        sql.SQL(" WITH ({})").format(
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.SQL(k), sql.Literal(v)) for k, v in known
            )
        )
        if known
        else sql.SQL("")
    )
    columns = sql.SQL(", ").join(sql.Identifier(column) for column in view.columns)
    # The definition is PostgreSQL's own deparsed text of a view that exists (pg_get_viewdef).
    return sql.SQL("CREATE VIEW {} ({}){} AS {}").format(
        view.identifier,
        columns,
        with_options,
        sql.SQL(view.definition),
    )
