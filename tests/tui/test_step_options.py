"""`o` on the Migration screen: run the next step with options chosen in a form."""

from __future__ import annotations

from pathlib import Path

import psycopg
from textual.widgets import DataTable, Input, Label

from tests.conftest import connect_kwargs
from tests.data_fixtures import copy_schema
from tests.helpers import complete, open_store, register
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.phases import Phase
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.step_options import StepOptionsScreen


async def test_o_runs_export_data_with_a_chosen_batch_size(source_db: ConnectionParams, target_db: ConnectionParams,
                                                           tmp_path: Path) -> None:
    with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
        conn.execute("INSERT INTO public.customers SELECT i, 'c' || i FROM generate_series(1, 5000) i")
        conn.execute("ANALYZE")
    copy_schema(source_db, target_db)
    rec = register(source_db, target_db)
    store = open_store(target_db)
    store.conn.execute("UPDATE ybvoyager.migrations SET export_dir = %s", (str(tmp_path / "export"),))
    complete(store, rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA)
    (tmp_path / "export").mkdir()
    app = VoyagerApp([target_db], config=AppConfig(poll_interval=0.2))
    async with app.run_test(size=(120, 50)) as pilot:
        app.open_migration(target_db.label, rec.migration_uuid)
        await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.step is not None
                         and app.screen.step.phase == Phase.EXPORT_DATA, what="export data is next")
        screen = app.screen
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, StepOptionsScreen), what="options form")
        batch = app.screen.query_one("#opt-batch_size", Input)
        batch.value = "zero"
        await pilot.click("#run")
        assert "--batch-size must be a whole number" in str(app.screen.query_one("#options-error", Label).render())
        batch.value = "1000"
        await pilot.click("#run")
        phases = screen.query_one("#phases", DataTable)
        await wait_until(pilot, lambda: str(phases.get_cell("export_data", "Status")) == "COMPLETED", timeout=60,
                         what="export with options")
    chunks = store.conn.execute("SELECT count(*) FROM ybvoyager.export_chunks WHERE table_name = 'customers'")
    assert chunks.fetchone()[0] >= 5  # 5,000 rows in chunks of at most 1,000
