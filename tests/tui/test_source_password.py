"""A source that needs a password: the app asks for it when a step cannot connect, and runs the step again."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.widgets import DataTable

from tests.helpers import open_store
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.registration import InitRequest, init_migration
from voyager_tui.engine.sources import SourceType
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.password import PasswordScreen

SECRET = "Src-Pa55-7c1e"


@pytest.fixture
def password_source() -> Iterator[ConnectionParams]:
    """A private cluster that really demands a password (the machine's own service trusts everyone)."""
    base = Path(tempfile.mkdtemp(prefix="vt-pw-"))
    base.chmod(0o755)  # as root the server runs as `postgres`, which must reach this directory
    server = EmbeddedPostgres(base / "pg")
    server.start()
    try:
        admin = server.params("postgres")
        with psycopg.connect(host=admin.host, port=admin.port, user=admin.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"ALTER ROLE postgres PASSWORD '{SECRET}'")
            conn.execute("CREATE DATABASE shop")
        with psycopg.connect(host=admin.host, port=admin.port, user=admin.user, dbname="shop",
                             autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        hba = server.pgdata / "pg_hba.conf"
        hba.write_text(hba.read_text().replace("trust", "scram-sha-256"))
        with psycopg.connect(host=admin.host, port=admin.port, user=admin.user, dbname="postgres",
                             password=SECRET, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        yield server.params("shop")
    finally:
        server.destroy()
        shutil.rmtree(base, ignore_errors=True)


async def test_step_asks_for_the_source_password_and_reruns(password_source: ConnectionParams,
                                                            target_db: ConnectionParams, tmp_path: Path,
                                                            isolated_env: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=password_source.host, port=password_source.port, user="postgres", dbname="shop")
    monkeypatch.setenv("SOURCE_DB_PASSWORD", SECRET)  # init is run by someone who has the password
    rec = init_migration(InitRequest(migration_name="pw", source_type=SourceType.POSTGRESQL, source=password_source,
                                     source_schemas=["public"], target=target_db, export_dir=tmp_path / "export"))
    monkeypatch.delenv("SOURCE_DB_PASSWORD")
    app = VoyagerApp([target_db], config=AppConfig(poll_interval=0.2))
    async with app.run_test(size=(120, 50)) as pilot:
        app.open_migration(target_db.label, rec.migration_uuid)
        await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.step is not None,
                         what="migration screen")
        screen: Any = app.screen
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordScreen), timeout=30, what="password prompt")
        assert "Password for source postgresql" in str(app.screen.query_one("Label").render())
        await pilot.press(*SECRET, "enter")
        phases = screen.query_one("#phases", DataTable)
        await wait_until(pilot, lambda: str(phases.get_cell("export_schema", "Status")) == "COMPLETED",
                         timeout=60, what="export schema after the password")
    snap = open_store(target_db).snapshot(rec.migration_uuid)
    assert snap.phase(Phase.EXPORT_SCHEMA).status == PhaseStatus.COMPLETED
    with psycopg.connect(host=target_db.host, port=target_db.port, user=target_db.user, dbname=target_db.dbname) as c:
        dump = c.execute("SELECT string_agg(t::text, '') FROM ybvoyager.events t").fetchone()[0]
    assert SECRET not in dump
    for path in isolated_env.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="ignore")
