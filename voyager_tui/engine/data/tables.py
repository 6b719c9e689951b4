"""What the data steps need to know about each source table."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, ConfigDict

# Binary COPY of arrays and composites embeds type OIDs, which differ between two databases for
# user-defined types; such tables travel in text format instead.
FIRST_USER_OID = 16384


class Column(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    type_name: str
    type_oid: int
    needs_text: bool
    """Array or composite of a user-defined type: binary COPY would carry source OIDs."""


class SourceTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_name: str
    table_name: str
    columns: list[Column]
    """Copyable columns (stored generated columns excluded), in table order."""
    pk: list[Column]
    estimated_rows: int
    size_bytes: int
    pages: int

    @property
    def qualified(self) -> str:
        return f"{self.schema_name}.{self.table_name}"

    @property
    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema_name), sql.Identifier(self.table_name))

    @property
    def column_list(self) -> sql.Composed:
        return sql.SQL(", ").join(sql.Identifier(c.name) for c in self.columns)

    @property
    def copy_format(self) -> str:
        return "text" if any(c.needs_text for c in self.columns) else "binary"


_TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname, greatest(c.reltuples, 0)::bigint, pg_relation_size(c.oid),
       -- relpages stays 0 until the first VACUUM or ANALYZE: count the pages the table really has
       pg_relation_size(c.oid) / current_setting('block_size')::int
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s) AND c.relkind = 'r'  -- plain tables and partition leaves; parents ('p') hold no rows
ORDER BY n.nspname, c.relname
"""

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid,
       (t.typcategory = 'A' AND et.oid >= %(first)s AND et.typtype <> 'd')
         OR (t.typtype = 'c') OR (bt.typtype = 'c')
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
WHERE a.attrelid = %(rel)s AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum
"""

_PK_SQL = """
SELECT a.attname FROM pg_index i
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.ord
"""


def list_source_tables(conn: psycopg.Connection[Any], schemas: list[str]) -> list[SourceTable]:
    """Every table holding rows in the given schemas: plain tables and partition leaves, not parents."""
    out = []
    for oid, nsp, rel, est, size, pages in conn.execute(_TABLES_SQL, (schemas,)).fetchall():
        cols = [Column(name=n, type_name=t, type_oid=o, needs_text=bool(txt))
                for n, t, o, txt in conn.execute(_COLUMNS_SQL, {"rel": oid, "first": FIRST_USER_OID}).fetchall()]
        by_name = {c.name: c for c in cols}
        pk = [by_name[r[0]] for r in conn.execute(_PK_SQL, (oid,)).fetchall() if r[0] in by_name]
        if est == 0 and pages > 0:
            # Never analyzed: estimate from the average tuple width rather than scanning the table.
            est = _estimate_rows(conn, nsp, rel, size)
        out.append(SourceTable(schema_name=nsp, table_name=rel, columns=cols, pk=pk, estimated_rows=int(est),
                               size_bytes=int(size), pages=int(pages)))
    return out


def _estimate_rows(conn: psycopg.Connection[Any], schema: str, table: str, size: int) -> int:
    ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    row = conn.execute(sql.SQL("SELECT count(*), coalesce(avg(pg_column_size(t.*)), 0) FROM "
                               "(SELECT * FROM {} TABLESAMPLE SYSTEM (1)) t").format(ident)).fetchone()
    if row and row[0]:
        return int(size / max(float(row[1]), 1.0))
    exact = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(ident)).fetchone()
    return int(exact[0]) if exact else 0
