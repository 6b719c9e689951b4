"""The demo's embedded PostgreSQL server, run for real with the machine's PostgreSQL binaries."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from voyager_tui.engine.demo.embedded_pg import (
    FALLBACK_SERVER_DIR,
    EmbeddedPostgres,
    find_pg_bin,
    server_dir_for,
)
from voyager_tui.engine.errors import VoyagerError

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def server_base() -> Iterator[Path]:
    # Not tmp_path: pytest makes /tmp/pytest-of-<user> mode 0700, which the `postgres` account (used when the
    # tests run as root) cannot traverse. A mkdtemp directory directly in the temp dir is reachable; the space
    # in its name checks that paths are quoted on their way through pg_ctl's shell.
    base = Path(tempfile.mkdtemp(prefix="vt epg-"))
    yield base
    server = EmbeddedPostgres(base)
    if server.initialized:
        server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _connect(server: EmbeddedPostgres, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    p = server.params(dbname)
    return psycopg.connect(
        host=p.host, port=p.port, user=p.user, dbname=p.dbname, sslmode=p.sslmode, connect_timeout=5, autocommit=True
    )


def test_find_pg_bin_has_server_binaries() -> None:
    bin_dir = find_pg_bin()
    for name in ("initdb", "pg_ctl", "postgres"):
        assert os.access(bin_dir / name, os.X_OK), name


def test_lifecycle(server_base: Path) -> None:
    server = EmbeddedPostgres(server_base)
    assert not server.initialized
    assert not server.is_running()

    server.ensure_initialized()
    assert server.initialized
    assert server.start() is True
    assert server.is_running()
    assert server.start() is False

    params = server.params("postgres")
    assert params.host == str(server_base / "run")
    assert Path(params.host).is_absolute()
    assert (params.port, params.user, params.sslmode) == (5432, "postgres", "disable")

    table = f"vt_persist_{uuid.uuid4().hex[:8]}"
    with _connect(server) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        # Socket only: a TCP listener could collide with (or impersonate) a real server on this machine.
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        conn.execute(f"CREATE TABLE {table} (id int)")
        conn.execute(f"INSERT INTO {table} VALUES (42)")

    server.stop()
    assert not server.is_running()
    server.stop()  # stopping a stopped server is not an error

    assert server.start() is True
    with _connect(server) as conn:
        assert conn.execute(f"SELECT id FROM {table}").fetchall() == [(42,)]

    server.destroy()
    assert not server_base.exists()
    assert not server.is_running()


def test_start_failure_names_log_and_reason(server_base: Path) -> None:
    server = EmbeddedPostgres(server_base)
    server.ensure_initialized()
    conf = server.pgdata / "postgresql.conf"
    original = conf.read_text()
    conf.write_text(original + "\nvt_not_a_setting = 1\n")

    with pytest.raises(VoyagerError) as excinfo:
        server.start()
    message = str(excinfo.value)
    assert str(server.log_file) in message
    assert "vt_not_a_setting" in message
    assert "\n" not in message
    assert not server.is_running()

    conf.write_text(original)
    assert server.start() is True


def test_server_dir_for_traversable_dir(server_base: Path) -> None:
    assert server_dir_for(server_base) == server_base


def test_server_dir_for_private_parent(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    preferred = private / "voyager-tui" / "demo"
    if IS_ROOT:
        assert server_dir_for(preferred) == FALLBACK_SERVER_DIR
    else:
        # The server runs as the current user, who can always reach their own directories.
        assert server_dir_for(preferred) == preferred
