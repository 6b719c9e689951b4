"""MySQL / MariaDB as a migration source (probing only; data movement comes with its own issue)."""

from __future__ import annotations

from typing import Any

import pymysql

from ..connections import ConnectionParams, describe_failure, password_candidates
from ..errors import ConnectionFailed, VoyagerError
from ..secrets import DbRole, PasswordPrompt
from . import SourceInfo

_ACCESS_DENIED = 1045


def probe(params: ConnectionParams, schemas: list[str], *, prompt: PasswordPrompt | None = None) -> SourceInfo:
    if schemas and schemas != [params.dbname]:
        raise VoyagerError("MySQL sources migrate one database: give --source-db-name, not --source-db-schema")
    conn = connect_mysql(params, prompt)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT @@version, @@hostname, @@port, @@server_id")
            version, hostname, port, server_id = cur.fetchone()
            uuid = None
            try:
                cur.execute("SELECT @@server_uuid")  # MySQL has it, MariaDB does not
                uuid = cur.fetchone()[0]
            except pymysql.err.MySQLError:
                pass
    finally:
        conn.close()
    flavor = "MariaDB" if "mariadb" in str(version).lower() else "MySQL"
    ident = uuid or f"{hostname}:{port}:{server_id}"
    return SourceInfo(version=f"{flavor} {version}", identifier=f"mysql:{ident}/{params.dbname}",
                      schemas=[params.dbname])


def connect_mysql(params: ConnectionParams, prompt: PasswordPrompt | None = None) -> Any:
    last: Exception | None = None
    for pw in password_candidates(params, DbRole.SOURCE, prompt):
        try:
            return pymysql.connect(host=params.host, port=params.port, user=params.user, password=pw or "",
                                   database=params.dbname, connect_timeout=5)
        except pymysql.err.OperationalError as exc:
            last = exc
            if not exc.args or exc.args[0] != _ACCESS_DENIED:
                break
    assert last is not None
    raise ConnectionFailed(describe_failure(params, DbRole.SOURCE, last)) from None
