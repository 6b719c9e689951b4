"""PostgreSQL-protocol connections (sources and the target) with the product's password rules."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any, Literal

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from .errors import ConnectionFailed, one_line
from .secrets import DbRole, PasswordPrompt, env_password, keyring_password

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# libpq's wordings, and MySQL's "Access denied for user".
_NEEDS_PASSWORD = re.compile(r"no password supplied|password authentication failed|access denied", re.I)


class ConnectionParams(BaseModel):
    """Where a database is. Never holds a password."""

    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=5433, ge=1, le=65535)
    user: str = "yugabyte"
    dbname: str = "yugabyte"
    sslmode: SslMode = "prefer"

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    @property
    def keyring_account(self) -> str:
        return self.label


class TargetInfo(BaseModel):
    kind: Literal["yugabytedb", "postgresql"]
    version: str
    """`version()` of the server."""

    @property
    def short(self) -> str:
        m = re.search(r"-YB-([0-9.]+)", self.version)
        if m:
            return f"YugabyteDB {m.group(1)}"
        m = re.match(r"PostgreSQL ([0-9.]+)", self.version)
        return f"PostgreSQL {m.group(1)}" if m else self.version


def detect_target(conn: psycopg.Connection[Any]) -> TargetInfo:
    row = conn.execute("SELECT version()").fetchone()
    version = str(row[0]) if row else ""
    return TargetInfo(kind="yugabytedb" if "-YB-" in version else "postgresql", version=version)


def needs_password(message: str) -> bool:
    """Whether a connection error means a (different) password would help."""
    return bool(_NEEDS_PASSWORD.search(message))


def password_candidates(
    params: ConnectionParams, role: DbRole, prompt: PasswordPrompt | None, password: str | None = None
) -> Iterator[str | None]:
    """Passwords to try, lazily, in the product's order: explicit, `<ROLE>_DB_PASSWORD`, none (so libpq
    uses ~/.pgpass, service files or trust), the OS keyring, then an interactive prompt.

    A caller stops iterating as soon as a connection succeeds or fails for a reason other than auth.
    """
    given = password if password is not None else env_password(role)
    if given is not None:
        yield given
        return
    yield None
    stored = keyring_password(params.keyring_account)
    if stored:
        yield stored
    if prompt is not None:
        typed = prompt(f"Password for {role.value} {params.label}")
        if typed:
            yield typed


def connect_pg(
    params: ConnectionParams,
    role: DbRole,
    *,
    prompt: PasswordPrompt | None = None,
    password: str | None = None,
    application_name: str = "voyager-tui",
    connect_timeout: int = 5,
    autocommit: bool = True,
) -> psycopg.Connection[Any]:
    """Connect with the password rules of `password_candidates`.

    Raises ConnectionFailed with a one-line message that names the role and the endpoint.
    """
    last_error: Exception | None = None
    for pw in password_candidates(params, role, prompt, password):
        try:
            return _connect(params, pw, application_name, connect_timeout, autocommit)
        except psycopg.OperationalError as exc:
            last_error = exc
            if not _NEEDS_PASSWORD.search(str(exc)):
                break
    assert last_error is not None
    raise ConnectionFailed(describe_failure(params, role, last_error)) from None


def _connect(
    params: ConnectionParams,
    password: str | None,
    application_name: str,
    connect_timeout: int,
    autocommit: bool,
) -> psycopg.Connection[Any]:
    kwargs: dict[str, Any] = {
        "host": params.host,
        "port": params.port,
        "user": params.user,
        "dbname": params.dbname,
        "sslmode": params.sslmode,
        "application_name": application_name,
        "connect_timeout": connect_timeout,
        "autocommit": autocommit,
    }
    if password is not None:
        kwargs["password"] = password
    return psycopg.connect(**kwargs)


# What libpq_env must not pass on: the connection settings it sets itself, PGSERVICE (a service file's host would
# beat the PGHOST set here, while psycopg's explicit host beats the service) and the tool's password variables (the
# child gets only the one it needs, as PGPASSWORD). Every other PG* variable (PGSSLROOTCERT, PGSSLCERT, PGSSLKEY,
# PGSSLCRL, PGPASSFILE, PGSERVICEFILE, PGSYSCONFDIR, ...) is honoured by psycopg connections too, so the child
# keeps it and connects the same way.
_REPLACED_ENV = frozenset({
    "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSSLMODE", "PGAPPNAME", "PGOPTIONS",
    "PGCONNECT_TIMEOUT", "PGCLIENTENCODING", "PGSERVICE", *(role.env_var for role in DbRole),
})


def libpq_env(params: ConnectionParams, password: str | None, application_name: str,
              settings: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a libpq child (pg_dump, psql): connection as PG* variables, so nothing secret or
    specific goes in argv; the password only when one is known (else libpq reads ~/.pgpass itself)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPLACED_ENV}
    env.update(PGHOST=params.host, PGPORT=str(params.port), PGUSER=params.user, PGDATABASE=params.dbname,
               PGSSLMODE=params.sslmode, PGAPPNAME=application_name, PGCONNECT_TIMEOUT="10",
               PGCLIENTENCODING="UTF8")
    if settings:
        env["PGOPTIONS"] = " ".join(f"-c {k}={v.replace(' ', '')}" for k, v in settings.items())
    if password:
        env["PGPASSWORD"] = password
    return env


def describe_failure(params: ConnectionParams, role: DbRole, exc: Exception) -> str:
    text = one_line(exc)
    hint = ""
    if _NEEDS_PASSWORD.search(str(exc)):
        hint = f" (set {role.env_var}, add it to ~/.pgpass, or store it in the keyring)"
    return f"cannot connect to {role.value} {params.label}: {text}{hint}"
