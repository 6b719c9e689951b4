"""The environment pg_dump and psql get: our connection settings, the one password they need, and the rest of the
user's libpq settings untouched."""

from __future__ import annotations

import pytest

from voyager_tui.engine.connections import ConnectionParams, libpq_env

SOURCE = ConnectionParams(host="src.example", port=5433, user="reader", dbname="shop", sslmode="verify-full")


@pytest.fixture
def user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = {"PGSSLROOTCERT": "/etc/ca.pem", "PGSSLCERT": "/home/u/client.crt", "PGSSLKEY": "/home/u/client.key",
            "PGSSLCRL": "/etc/crl.pem", "PGSERVICEFILE": "/home/u/pg_service.conf", "PGSYSCONFDIR": "/etc/pg",
            "PGPASSFILE": "/home/u/.pgpass", "PGTZ": "UTC", "PATH": "/usr/bin"}
    replaced = {"PGHOST": "elsewhere", "PGPORT": "1", "PGUSER": "someone", "PGDATABASE": "other",
                "PGPASSWORD": "stale", "PGSSLMODE": "disable", "PGAPPNAME": "psql", "PGOPTIONS": "-c x=1",
                "PGSERVICE": "prod", "SOURCE_DB_PASSWORD": "source-secret", "TARGET_DB_PASSWORD": "target-secret"}
    for k, v in {**kept, **replaced}.items():
        monkeypatch.setenv(k, v)


@pytest.mark.usefixtures("user_env")
def test_tls_and_file_settings_are_kept() -> None:
    env = libpq_env(SOURCE, "pw", "voyager-tui-export-schema")
    for k, v in {"PGSSLROOTCERT": "/etc/ca.pem", "PGSSLCERT": "/home/u/client.crt", "PGSSLKEY": "/home/u/client.key",
                 "PGSSLCRL": "/etc/crl.pem", "PGSERVICEFILE": "/home/u/pg_service.conf", "PGSYSCONFDIR": "/etc/pg",
                 "PGPASSFILE": "/home/u/.pgpass", "PGTZ": "UTC", "PATH": "/usr/bin"}.items():
        assert env[k] == v, k


@pytest.mark.usefixtures("user_env")
def test_connection_settings_are_ours_and_only_the_needed_password_is_passed() -> None:
    env = libpq_env(SOURCE, "source-pw", "voyager-tui-export-schema", {"lock_timeout": "5s"})
    assert {k: env[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSSLMODE", "PGAPPNAME", "PGOPTIONS",
                                "PGPASSWORD")} == {
        "PGHOST": "src.example", "PGPORT": "5433", "PGUSER": "reader", "PGDATABASE": "shop",
        "PGSSLMODE": "verify-full", "PGAPPNAME": "voyager-tui-export-schema", "PGOPTIONS": "-c lock_timeout=5s",
        "PGPASSWORD": "source-pw"}
    assert not {"SOURCE_DB_PASSWORD", "TARGET_DB_PASSWORD", "PGSERVICE"} & set(env)
    assert "target-secret" not in env.values()


@pytest.mark.usefixtures("user_env")
def test_without_a_known_password_no_password_variable_is_inherited() -> None:
    env = libpq_env(SOURCE, None, "voyager-tui-export-schema")
    assert not {"PGPASSWORD", "PGOPTIONS", "SOURCE_DB_PASSWORD", "TARGET_DB_PASSWORD"} & set(env)
    assert env["PGPASSFILE"] == "/home/u/.pgpass"
