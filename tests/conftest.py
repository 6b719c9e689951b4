"""Shared fixtures: isolated app dirs, and uniquely named databases on the real PostgreSQL service."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from voyager_tui.engine.connections import ConnectionParams

PG_HOST = "127.0.0.1"
PG_PORT = 5432
START_HINT = "start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start"


def pg_params(dbname: str = "postgres") -> ConnectionParams:
    return ConnectionParams(host=PG_HOST, port=PG_PORT, user="postgres", dbname=dbname, sslmode="disable")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config/data dirs, no keyring, and no inherited connection settings."""
    home = tmp_path / "vt-home"
    monkeypatch.setenv("VOYAGER_TUI_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for var in ("TARGET_DB_PASSWORD", "SOURCE_DB_PASSWORD", "TARGET_DB_HOST", "TARGET_DB_PORT",
                "TARGET_DB_USER", "TARGET_DB_NAME", "TARGET_SSL_MODE", "PGPASSWORD", "PGSERVICE"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", autocommit=True,
                               connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not answering on {PG_HOST}:{PG_PORT} ({exc}); {START_HINT}", pytrace=False)
    yield conn
    conn.close()


@pytest.fixture
def make_db(pg_admin: psycopg.Connection) -> Iterator[Callable[[str], ConnectionParams]]:
    """Create uniquely named databases; they are dropped when the test ends."""
    created: list[str] = []

    def make(purpose: str) -> ConnectionParams:
        name = f"vt_{purpose}_{uuid.uuid4().hex[:10]}"
        pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return pg_params(name)

    yield make
    for name in created:
        pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def source_db(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    params = make_db("src")
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales; CREATE TABLE sales.orders (id bigint PRIMARY KEY, total numeric)")
        conn.execute("CREATE TABLE public.customers (id bigint PRIMARY KEY, name text)")
    return params


@pytest.fixture
def target_db(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    return make_db("tgt")


def connect_kwargs(params: ConnectionParams) -> dict[str, object]:
    return {"host": params.host, "port": params.port, "user": params.user, "dbname": params.dbname}


def target_cli_args(params: ConnectionParams) -> list[str]:
    return ["--target-db-host", params.host, "--target-db-port", str(params.port), "--target-db-user", params.user,
            "--target-db-name", params.dbname, "--target-ssl-mode", params.sslmode]


def source_cli_args(params: ConnectionParams) -> list[str]:
    return ["--source-db-type", "postgresql", "--source-db-host", params.host, "--source-db-port", str(params.port),
            "--source-db-user", params.user, "--source-db-name", params.dbname, "--source-ssl-mode", params.sslmode]
