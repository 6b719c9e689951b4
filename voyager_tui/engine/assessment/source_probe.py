"""A quick look at a live PostgreSQL source before an assessment: can we connect, what is it, which schemas."""

from __future__ import annotations

from pydantic import BaseModel

from ..connections import ConnectionParams, connect_pg
from ..secrets import DbRole

# Schemas an assessment never wants: the catalogs, toast/temp namespaces and schemas owned by an extension.
_SCHEMAS_SQL = r"""
SELECT n.nspname,
       count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p')) AS tables
FROM pg_namespace n
LEFT JOIN pg_class c ON c.relnamespace = n.oid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
GROUP BY n.nspname
ORDER BY n.nspname
"""


class SchemaInfo(BaseModel):
    name: str
    tables: int


class SourceProbe(BaseModel):
    server_version: str
    """`SHOW server_version`, e.g. "15.8 (Debian 15.8-0+deb12u1)"."""
    database: str
    schemas: list[SchemaInfo]

    @property
    def summary(self) -> str:
        return f"PostgreSQL {self.server_version}, database {self.database}, {len(self.schemas)} schema(s)"


def probe_postgresql(params: ConnectionParams, password: str | None, *, connect_timeout: int = 5) -> SourceProbe:
    """Connect once (the product's password rules, no prompt) and read version and schemas.

    Raises ConnectionFailed with a one-line message; never includes the password.
    """
    with connect_pg(params, DbRole.SOURCE, password=password, connect_timeout=connect_timeout,
                    application_name="voyager-tui assessment") as conn:
        version_row = conn.execute("SELECT current_setting('server_version'), current_database()").fetchone()
        rows = conn.execute(_SCHEMAS_SQL).fetchall()
    version, database = (str(version_row[0]), str(version_row[1])) if version_row else ("?", params.dbname)
    return SourceProbe(server_version=version, database=database,
                       schemas=[SchemaInfo(name=str(r[0]), tables=int(r[1])) for r in rows])
