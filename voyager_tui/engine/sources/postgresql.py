"""PostgreSQL as a migration source."""

from __future__ import annotations

from psycopg import errors as pg_errors

from ..connections import ConnectionParams, connect_pg
from ..errors import VoyagerError
from ..secrets import DbRole, PasswordPrompt
from . import SourceInfo


def probe(params: ConnectionParams, schemas: list[str], *, prompt: PasswordPrompt | None = None) -> SourceInfo:
    with connect_pg(params, DbRole.SOURCE, prompt=prompt, application_name="voyager-tui-init") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        version = f"PostgreSQL {str(row[0]).split()[0]}" if row else "PostgreSQL"
        try:
            sysid_row = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
            cluster = f"sysid-{sysid_row[0]}" if sysid_row else None
        except pg_errors.InsufficientPrivilege:
            cluster = None
        if cluster is None:
            # Without pg_control_system() rights the server address is the next-best stable identity.
            addr = conn.execute("SELECT inet_server_addr()::text, inet_server_port()").fetchone()
            cluster = f"{addr[0] or params.host}:{addr[1] or params.port}" if addr else params.host
        present = {
            r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (schemas,))
        }
    missing = [s for s in schemas if s not in present]
    if missing:
        raise VoyagerError(f"schema(s) not found in source {params.label}: {', '.join(missing)}")
    return SourceInfo(version=version, identifier=f"postgresql:{cluster}/{params.dbname}", schemas=schemas)
