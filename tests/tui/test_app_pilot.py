"""Pilot tests: the app against a real target, with state changed behind its back by other connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from textual.widgets import DataTable, Static

from tests.conftest import pg_params
from tests.helpers import open_store, register
from tests.tui.conftest import wait_until
from voyager_tui.engine import steps
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.models import MigrationSnapshot
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.state_store import TableProgressUpdate
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.history import HistoryScreen
from voyager_tui.tui.screens.home import HomeScreen
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.widgets.banner import TargetBanner
from voyager_tui.tui.widgets.timeline import Timeline

FAST = AppConfig(poll_interval=0.2)


def make_app(target: ConnectionParams, **kw: Any) -> VoyagerApp:
    return VoyagerApp([target], config=FAST, **kw)


def cell(table: DataTable, row: str, col: str) -> str:
    return str(table.get_cell(row, col))


def static_text(app: VoyagerApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.fixture
def migrated(source_db: ConnectionParams, target_db: ConnectionParams) -> tuple[ConnectionParams, Any]:
    return target_db, register(source_db, target_db, name="shop")


async def open_shop(pilot: Any, app: VoyagerApp) -> MigrationScreen:
    await wait_until(pilot, lambda: app.query_one("#active", DataTable).row_count == 1, what="home rows")
    app.query_one("#active", DataTable).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.snapshot is not None,
                     what="migration screen")
    assert isinstance(app.screen, MigrationScreen)
    return app.screen


async def test_home_lists_active_and_completed_migrations(source_db: ConnectionParams,
                                                          target_db: ConnectionParams) -> None:
    shop = register(source_db, target_db, name="shop", schemas=["public"])
    old = register(source_db, target_db, name="sales", schemas=["sales"])
    store = open_store(target_db)
    for phase in Phase:
        if phase == Phase.ASSESSMENT:
            store.set_phase_status(old.migration_uuid, phase, PhaseStatus.SKIPPED)
            continue
        store.set_phase_status(old.migration_uuid, phase, PhaseStatus.IN_PROGRESS)
        store.set_phase_status(old.migration_uuid, phase, PhaseStatus.COMPLETED)
    app = make_app(target_db)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        active, completed = app.query_one("#active", DataTable), app.query_one("#completed", DataTable)
        await wait_until(pilot, lambda: active.row_count == 1 and completed.row_count == 1, what="both tables")
        key = f"{target_db.label}|{shop.migration_uuid}"
        assert cell(active, key, "Migration") == "shop"
        assert cell(active, key, "Phase") == "Export Schema"
        assert cell(active, key, "Done") == "0/9"
        done_key = f"{target_db.label}|{old.migration_uuid}"
        assert cell(completed, done_key, "Migration") == "sales"
        assert cell(completed, done_key, "Done") == "9/9"
        assert "1 migration" not in static_text(app, "#targets")
        assert "2 migration(s)" in static_text(app, "#targets")


async def test_opening_a_migration_shows_its_timeline_and_next_step(migrated: Any) -> None:
    target, rec = migrated
    app = make_app(target)
    async with app.run_test(size=(110, 45)) as pilot:
        screen = await open_shop(pilot, app)
        assert screen.migration_uuid == rec.migration_uuid
        timeline = str(app.screen.query_one(Timeline).render())
        assert timeline.splitlines()[0].count("○") == 10
        assert "Analyze" in timeline and "Cutover" in timeline
        phases = app.screen.query_one("#phases", DataTable)
        assert phases.row_count == 10
        assert cell(phases, "export_schema", "Status") == "NOT_STARTED"
        assert "Run Export Schema" in static_text(app, "#next-title")
        assert "voyager-tui migrate export schema" in static_text(app, "#next-command")
        assert "enter runs it here" in static_text(app, "#next-note")


async def test_changes_by_another_connection_appear_without_a_keypress(migrated: Any) -> None:
    target, rec = migrated
    app = make_app(target)
    async with app.run_test(size=(110, 45)) as pilot:
        await open_shop(pilot, app)
        phases = app.screen.query_one("#phases", DataTable)
        store = open_store(target)  # another connection, as another process or machine would be
        store.set_phase_status(rec.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
        await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "INTERRUPTED",
                         what="interrupted export")
        assert "Resume Export Schema" in static_text(app, "#next-title")
        store.set_phase_status(rec.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.COMPLETED)
        await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "COMPLETED", what="completed")
        assert cell(phases, "export_schema", "Progress") == "100%"
        assert str(app.screen.query_one(Timeline).render()).startswith("○────────✓")
        assert "Run Analyze Schema" in static_text(app, "#next-title")
        store.write_table_progress(rec.migration_uuid, [TableProgressUpdate(
            schema_name="public", table_name="orders", phase=Phase.EXPORT_DATA, total_rows=400,
            completed_rows=100, status="IN_PROGRESS")])
        await wait_until(pilot, lambda: cell(phases, "export_data", "Progress") == "25%", what="table progress")


async def test_c_copies_the_exact_command(migrated: Any) -> None:
    target, _ = migrated
    app = make_app(target)
    async with app.run_test(size=(110, 45)) as pilot:
        screen = await open_shop(pilot, app)
        await pilot.press("c")
        assert screen.step is not None
        assert app.clipboard == screen.step.command
        assert app.clipboard.startswith("voyager-tui migrate export schema --migration-name shop --target-db-host")
        assert "password" not in app.clipboard.lower()


async def test_history_screen_grows_live(migrated: Any) -> None:
    target, rec = migrated
    app = make_app(target)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_shop(pilot, app)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history screen")
        events = app.screen.query_one("#events", DataTable)
        await wait_until(pilot, lambda: events.row_count == 1, what="first event")
        open_store(target).record_event(rec.migration_uuid, "note", "Checked the source with the DBA team")
        await wait_until(pilot, lambda: events.row_count == 2, what="new event")
        assert "Checked the source with the DBA team" in [str(c) for c in events.get_row_at(1)]
        await pilot.press("escape")
        assert isinstance(app.screen, MigrationScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_lost_target_shows_a_banner_and_recovers(migrated: Any, pg_admin: psycopg.Connection) -> None:
    target, _ = migrated
    db = sql.Identifier(target.dbname)
    app = make_app(target)
    try:
        async with app.run_test(size=(110, 45)) as pilot:
            await open_shop(pilot, app)
            banner = app.screen.query_one(TargetBanner)
            assert not banner.has_class("-visible")
            pg_admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(db))
            pg_admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                             (target.dbname,))
            await wait_until(pilot, lambda: banner.has_class("-visible"), what="banner")
            text = str(banner.render())
            assert target.label in text and "retrying in" in text
            phases = app.screen.query_one("#phases", DataTable)
            assert phases.row_count == 10  # the last known state stays on screen
            pg_admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(db))
            await wait_until(pilot, lambda: not banner.has_class("-visible"), timeout=30, what="recovery")
            open_store(target).set_phase_status(migrated[1].migration_uuid, Phase.EXPORT_SCHEMA,
                                                PhaseStatus.IN_PROGRESS)
            await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "INTERRUPTED",
                             what="polling resumed")
    finally:
        pg_admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(db))


class GatedExport:
    """A step for this test: reports progress, then waits for the test to let it finish."""

    phase = Phase.EXPORT_SCHEMA
    options = ()

    def __init__(self) -> None:
        self.release = threading.Event()

    def unavailable_reason(self, snapshot: MigrationSnapshot, options: Any) -> str | None:
        return None

    def run(self, ctx: steps.StepContext) -> dict[str, Any]:
        ctx.reporter.progress("exporting tables", 1, 2)
        while not self.release.wait(0.05):
            ctx.check_cancelled()
        return {"objects": 3}


@pytest.fixture
def gated_step() -> Iterator[GatedExport]:
    step = GatedExport()
    real = steps.registered_step(Phase.EXPORT_SCHEMA)
    steps.register_step(step)
    yield step
    step.release.set()
    if real is not None:
        steps.register_step(real)


async def start_gated_step(pilot: Any, app: VoyagerApp) -> DataTable:
    await open_shop(pilot, app)
    phases = app.screen.query_one("#phases", DataTable)
    await pilot.press("enter")
    await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "IN_PROGRESS", what="running")
    return phases


async def test_enter_runs_a_registered_step_under_a_lease(migrated: Any, gated_step: GatedExport) -> None:
    target, rec = migrated
    app = make_app(target)
    async with app.run_test(size=(110, 45)) as pilot:
        phases = await start_gated_step(pilot, app)
        assert "exporting tables (50%)" in static_text(app, "#step-status")
        snap = open_store(target).snapshot(rec.migration_uuid)
        assert snap.runner(Phase.EXPORT_SCHEMA) is not None  # the lease is visible to everyone
        gated_step.release.set()
        await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "COMPLETED", what="done")
        snap = open_store(target).snapshot(rec.migration_uuid)
        assert snap.phase(Phase.EXPORT_SCHEMA).metadata == {"objects": 3}
        assert snap.runners == []


async def test_x_cancels_a_running_step(migrated: Any, gated_step: GatedExport) -> None:
    app = make_app(migrated[0])
    async with app.run_test(size=(110, 45)) as pilot:
        phases = await start_gated_step(pilot, app)
        await pilot.press("x")
        await wait_until(pilot, lambda: cell(phases, "export_schema", "Status") == "FAILED", what="cancelled")
        assert "cancelled by the user" in static_text(app, "#next-why")
        assert "Step failed: cancelled by the user" in static_text(app, "#step-status")


async def test_home_without_targets_explains_how_to_start() -> None:
    app = VoyagerApp([], config=FAST)
    async with app.run_test(size=(110, 30)):
        assert "voyager-tui demo" in static_text(app, "#targets")


async def test_unreachable_target_at_start(pg_admin: psycopg.Connection) -> None:
    nowhere = pg_params("vt_does_not_exist_at_all")
    app = make_app(nowhere)
    async with app.run_test(size=(110, 30)) as pilot:
        banner = app.screen.query_one(TargetBanner)
        await wait_until(pilot, lambda: banner.has_class("-visible"), what="banner")
        assert 'database "vt_does_not_exist_at_all" does not exist' in str(banner.render())
        assert "unreachable" in static_text(app, "#targets")


async def test_keymap_from_config_remaps_a_binding(migrated: Any) -> None:
    target, _ = migrated
    app = VoyagerApp([target], config=AppConfig(poll_interval=0.2, keymap={"copy_command": "y"}))
    async with app.run_test(size=(110, 45)) as pilot:
        screen = await open_shop(pilot, app)
        await pilot.press("c")
        assert app.clipboard == ""
        await pilot.press("y")
        assert screen.step is not None and app.clipboard == screen.step.command


async def test_password_prompt_returns_the_typed_password() -> None:
    from voyager_tui.tui.screens.password import PasswordScreen

    app = VoyagerApp([], config=FAST)
    results: list[str | None] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(PasswordScreen("app@db:5433/shop"), results.append)
        await pilot.pause()
        await pilot.press(*"hunter2", "enter")
        await pilot.pause()
        app.push_screen(PasswordScreen("app@db:5433/shop"), results.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert results == ["hunter2", None]
