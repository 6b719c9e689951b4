"""The demo's sample database, migrated end to end by pressing the next-step key through every phase."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import psycopg
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.conftest import connect_kwargs
from tests.helpers import open_store
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.sample_db import EXPECTED_ROW_COUNTS, create_sample_source
from voyager_tui.engine.models import MigrationRecord
from voyager_tui.engine.phases import PHASE_ORDER, Phase, PhaseStatus
from voyager_tui.engine.registration import InitRequest, init_migration
from voyager_tui.engine.sources import SourceType
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.tables import TableProgressScreen


def sample_migration(source_db: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> MigrationRecord:
    with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
        create_sample_source(conn)
    return init_migration(InitRequest(migration_name="shop", source_type=SourceType.POSTGRESQL, source=source_db,
                                      source_schemas=["public"], target=target_db, export_dir=tmp_path / "export"))


async def open_migration_screen(app: VoyagerApp, pilot: Pilot[None], target_db: ConnectionParams,
                                migration_uuid: UUID) -> MigrationScreen:
    app.open_migration(target_db.label, migration_uuid)
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.step is not None,
                     what="migration screen")
    assert isinstance(app.screen, MigrationScreen)
    return app.screen


async def test_enter_through_every_phase_migrates_the_sample_database(
        make_db: Callable[[str], ConnectionParams], target_db: ConnectionParams, tmp_path: Path) -> None:
    rec = sample_migration(make_db("demo_src"), target_db, tmp_path)
    app = VoyagerApp([target_db], config=AppConfig(poll_interval=0.2))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_migration_screen(app, pilot, target_db, rec.migration_uuid)
        pressed = []
        while screen.step is not None and screen.step.kind != "done":
            phase = screen.step.phase
            assert phase is not None and screen.step.can_run_here, screen.step
            pressed.append(phase)
            await pilot.press("enter")
            await wait_until(pilot, lambda p=phase: screen.snapshot is not None and not screen.running and
                             screen.snapshot.phase(p).status == PhaseStatus.COMPLETED and
                             (screen.step is None or screen.step.phase != p), timeout=120, what=f"{phase} done")
            if phase == Phase.IMPORT_DATA:
                await pilot.press("t")  # the table progress screen, fed by the real import just done
                await wait_until(pilot, lambda: isinstance(app.screen, TableProgressScreen), what="tables screen")
                table = app.screen.query_one(DataTable)
                await wait_until(pilot, lambda t=table: t.row_count == len(EXPECTED_ROW_COUNTS), what="table rows")
                orders = [str(c) for c in table.get_row("public.orders")]
                assert "COMPLETED" in orders and any("5,000" in c for c in orders)
                await pilot.press("escape")
        assert pressed == [p for p in PHASE_ORDER if p != Phase.ASSESSMENT]
        assert "Migration complete" in str(screen.query_one("#next-title", Static).render())
    snap = open_store(target_db).snapshot(rec.migration_uuid)
    assert snap.migration.is_complete
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        for table, count in EXPECTED_ROW_COUNTS.items():
            assert conn.execute(f"SELECT count(*) FROM ONLY {table}").fetchone()[0] == count, table


async def test_run_all_key_runs_every_step_up_to_verify_then_stops_for_cutover(
        make_db: Callable[[str], ConnectionParams], target_db: ConnectionParams, tmp_path: Path) -> None:
    rec = sample_migration(make_db("demo_run_src"), target_db, tmp_path)
    app = VoyagerApp([target_db], config=AppConfig(poll_interval=0.2))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_migration_screen(app, pilot, target_db, rec.migration_uuid)
        await pilot.press("R")
        await wait_until(pilot, lambda: screen.running, what="the run to start")
        await wait_until(pilot, lambda: not screen.running and screen.step is not None
                         and screen.step.phase == Phase.CUTOVER, timeout=180, what="the run to reach cutover")
        status = str(screen.query_one("#step-status", Static).render())
        assert status.startswith("Ran Export Schema, Analyze Schema, Import Schema"), status
        assert "Verify Data" in status
        assert screen.check_action("run_to_verify", ()) is None  # cutover is a decision: R is not offered
    snap = open_store(target_db).snapshot(rec.migration_uuid)
    assert snap.statuses[Phase.VERIFY] == PhaseStatus.COMPLETED
    assert snap.statuses[Phase.CUTOVER] == PhaseStatus.NOT_STARTED
