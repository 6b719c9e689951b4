"""Pilot tests of the live table progress screen, fed by table_progress rows written from other connections
(as an export or import running in another process, or on another machine, would write them)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from textual.widgets import DataTable, Input, ProgressBar, Static

from tests.helpers import open_store, register
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.lease import RunnerIdentity
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.state_store import StateStore, TableProgressUpdate
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.tables import TableProgressScreen

FAST = AppConfig(poll_interval=0.2)


def progress(table: str, total: int | None, done: int, status: str, rate: float | None = None, *,
             errored: int = 0, schema: str = "public", phase: Phase = Phase.EXPORT_DATA) -> TableProgressUpdate:
    return TableProgressUpdate(schema_name=schema, table_name=table, phase=phase, total_rows=total,
                               completed_rows=done, status=status, rate_per_second=rate, errored_delta=errored)


def cell(table: DataTable, row: str, col: str) -> str:
    return str(table.get_cell(row, col))


def keys(table: DataTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


def cursor_key(table: DataTable) -> str:
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


def text_of(screen: TableProgressScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.fixture
def migrated(source_db: ConnectionParams, target_db: ConnectionParams) -> tuple[ConnectionParams, UUID, StateStore]:
    rec = register(source_db, target_db, name="shop")
    return target_db, rec.migration_uuid, open_store(target_db)  # another connection: the "runner"


async def open_tables(pilot: Any, app: VoyagerApp, uid: UUID) -> tuple[TableProgressScreen, DataTable]:
    await wait_until(pilot, lambda: bool(app.polls), what="first poll")
    app.open_migration(next(iter(app.targets)), uid)
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.snapshot is not None,
                     what="migration screen")
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(app.screen, TableProgressScreen) and app.screen.snapshot is not None,
                     what="tables screen")
    screen = app.screen
    assert isinstance(screen, TableProgressScreen)
    return screen, screen.query_one("#tables", DataTable)


SIX = [
    progress("orders", 400, 100, "IN_PROGRESS", 50.0),
    progress("customers", 200, 200, "COMPLETED", 80.0),
    progress("line_items", 1000, 900, "IN_PROGRESS", 300.0, errored=4),
    progress("invoices", 600, 150, "FAILED", 10.0),
    progress("products", 300, 0, "NOT_STARTED"),
    progress("regions", 10, 10, "COMPLETED", schema="sales"),
]


async def test_rows_cells_and_overall_update_live_without_a_keypress(migrated: Any) -> None:
    target, uid, store = migrated
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_tables(pilot, app, uid)
        assert table.row_count == 0
        assert "No table progress reported for Export Data yet" in text_of(screen, "#tables-summary")
        assert not screen.query_one("#tables-overall").display

        store.write_table_progress(uid, [progress("orders", 400, 100, "IN_PROGRESS", 50.0),
                                         progress("customers", 200, 0, "NOT_STARTED")])
        await wait_until(pilot, lambda: table.row_count == 2, what="two rows")
        assert keys(table) == ["public.customers", "public.orders"]
        assert cell(table, "public.orders", "Status") == "IN_PROGRESS"
        assert cell(table, "public.orders", "Rows (done / total)") == "100 / 400"
        assert cell(table, "public.orders", "Rate") == "50/s"
        assert cell(table, "public.orders", "ETA") == "6s"  # 300 rows left at 50 rows/s
        assert cell(table, "public.orders", "Progress") == "██░░░░░░░░  25%"
        assert cell(table, "public.customers", "ETA") == "-"
        bar = screen.query_one("#overall-bar", ProgressBar)
        assert (bar.progress, bar.total) == (100, 600)
        summary = text_of(screen, "#tables-summary")
        assert "2 tables: 1 running · 1 not started" in summary
        assert "Rows 100 / 600 · 0 errored · rate 50 rows/s · ETA 10s" in summary

        table.focus()
        await pilot.press("down")  # the cursor on public.orders, the row that is about to change
        assert cursor_key(table) == "public.orders"
        store.write_table_progress(uid, [TableProgressUpdate(
            schema_name="public", table_name="orders", phase=Phase.EXPORT_DATA, completed_delta=200,
            errored_delta=3, rate_per_second=100.0)])
        await wait_until(pilot, lambda: cell(table, "public.orders", "Rows (done / total)") == "300 / 400",
                         what="orders updated in place")
        assert keys(table) == ["public.customers", "public.orders"]  # same position
        assert cursor_key(table) == "public.orders" and table.cursor_row == 1  # same cursor
        assert cell(table, "public.orders", "Errored") == "3"
        assert cell(table, "public.orders", "ETA") == "1s"
        assert cell(table, "public.orders", "Progress") == "███████░░░  75%"
        assert (bar.progress, bar.total) == (300, 600)
        assert "3 errored" in text_of(screen, "#tables-summary")

        store.write_table_progress(uid, [progress("orders", 400, 400, "COMPLETED"),
                                         progress("customers", 200, 200, "COMPLETED")])
        await wait_until(pilot, lambda: cell(table, "public.customers", "Status") == "COMPLETED", what="all done")
        assert cell(table, "public.orders", "Progress") == "██████████ 100%"
        assert bar.percentage == 1
        summary = text_of(screen, "#tables-summary")
        assert "2 tables: 2 done" in summary and "· all done" in summary

        await pilot.press("escape")
        assert isinstance(app.screen, MigrationScreen)


async def test_sort_cycles_and_reverses_keeping_the_cursor_on_the_same_table(migrated: Any) -> None:
    target, uid, store = migrated
    store.write_table_progress(uid, SIX)
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_tables(pilot, app, uid)
        await wait_until(pilot, lambda: table.row_count == 6, what="six rows")
        assert keys(table) == ["public.customers", "public.invoices", "public.line_items", "public.orders",
                               "public.products", "sales.regions"]
        await pilot.press("down", "down", "down")
        assert cursor_key(table) == "public.orders"

        await pilot.press("s")  # status: running, failed, not started, done
        assert keys(table) == ["public.line_items", "public.orders", "public.invoices", "public.products",
                               "public.customers", "sales.regions"]
        assert cursor_key(table) == "public.orders"
        assert "sorted by status, running first" in text_of(screen, "#tables-view")

        await pilot.press("s")  # progress, most done first
        assert keys(table) == ["public.customers", "sales.regions", "public.line_items", "public.invoices",
                               "public.orders", "public.products"]
        assert cursor_key(table) == "public.orders"

        await pilot.press("s")  # rate of the running tables, fastest first; the rest after, by name
        assert keys(table)[:2] == ["public.line_items", "public.orders"]
        await pilot.press("S")
        assert keys(table)[:2] == ["public.orders", "public.line_items"]
        assert keys(table)[2:] == ["public.customers", "public.invoices", "public.products", "sales.regions"]
        assert cursor_key(table) == "public.orders"
        assert "sorted by rate, slowest first" in text_of(screen, "#tables-view")

        await pilot.press("s")  # ETA, soonest first: line_items 100 rows at 300/s, orders 300 at 50/s
        assert keys(table)[:2] == ["public.line_items", "public.orders"]
        await pilot.press("s")  # back to name
        assert keys(table)[0] == "public.customers"
        await pilot.press("S")
        assert keys(table)[0] == "sales.regions"
        assert cursor_key(table) == "public.orders"

        # a sort that moves the row when its numbers change: the cursor follows it
        await pilot.press("s", "s")
        assert "sorted by progress" in text_of(screen, "#tables-view")
        store.write_table_progress(uid, [progress("orders", 400, 400, "COMPLETED")])
        await wait_until(pilot, lambda: cell(table, "public.orders", "Status") == "COMPLETED", what="orders done")
        assert keys(table)[:3] == ["public.customers", "public.orders", "sales.regions"]
        assert cursor_key(table) == "public.orders"


async def test_name_filter_and_status_filter(migrated: Any) -> None:
    target, uid, store = migrated
    store.write_table_progress(uid, SIX)
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_tables(pilot, app, uid)
        await wait_until(pilot, lambda: table.row_count == 6, what="six rows")
        box = screen.query_one("#table-filter", Input)

        await pilot.press("slash")
        assert box.has_focus
        await pilot.press(*"IN")  # case-insensitive substring of schema.table
        assert keys(table) == ["public.invoices", "public.line_items"]
        assert "Showing 2 of 6" in text_of(screen, "#tables-view")
        await pilot.press("s", "q")  # typed into the box, not sort or quit
        assert box.value == "INsq" and table.row_count == 0
        await pilot.press("escape")  # clears the filter and goes back to the table
        assert box.value == "" and table.has_focus and table.row_count == 6
        assert isinstance(app.screen, TableProgressScreen)

        await pilot.press("slash", *"sales", "enter")  # enter keeps the filter
        assert table.has_focus and keys(table) == ["sales.regions"]
        await pilot.press("slash", "escape")

        seen = {}
        for _ in range(5):
            await pilot.press("f")
            seen[screen.status_filter.value] = keys(table)
        assert seen == {
            "running": ["public.line_items", "public.orders"],
            "not done": ["public.invoices", "public.line_items", "public.orders", "public.products"],
            "errored": ["public.invoices", "public.line_items"],  # failed, or with errored rows
            "done": ["public.customers", "sales.regions"],
            "all": ["public.customers", "public.invoices", "public.line_items", "public.orders", "public.products",
                    "sales.regions"],
        }
        await pilot.press("f")  # running
        store.write_table_progress(uid, [progress("products", 300, 30, "IN_PROGRESS", 30.0)])
        await wait_until(pilot, lambda: "public.products" in keys(table), what="a table starts running")
        store.write_table_progress(uid, [progress("orders", 400, 400, "COMPLETED")])
        await wait_until(pilot, lambda: "public.orders" not in keys(table), what="a table leaves the filter")
        assert keys(table) == ["public.line_items", "public.products"]


async def test_phase_keys_and_the_default_phase(migrated: Any) -> None:
    target, uid, store = migrated
    store.write_table_progress(uid, [
        *SIX[:3],
        progress("orders", 400, 40, "IN_PROGRESS", 20.0, phase=Phase.IMPORT_DATA),
        progress("orders", 400, 400, "COMPLETED", phase=Phase.VERIFY),
        progress("customers", 200, 200, "COMPLETED", phase=Phase.VERIFY),
    ])
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_tables(pilot, app, uid)
        # nothing runs: the latest phase that has rows
        await wait_until(pilot, lambda: table.row_count == 2, what="verify rows")
        assert screen.phase == Phase.VERIFY
        assert "3 Verify Data (2)" in text_of(screen, "#tables-phases")
        await pilot.press("down")
        await pilot.press("2")
        assert keys(table) == ["public.orders"] and table.cursor_row == 0
        assert cell(table, "public.orders", "Rows (done / total)") == "40 / 400"
        assert "Import Data NOT_STARTED" in text_of(screen, "#tables-summary")
        await pilot.press("1")
        assert table.row_count == 3 and screen.phase == Phase.EXPORT_DATA
        await pilot.press("3")
        assert keys(table) == ["public.customers", "public.orders"]

    # a running data phase is the default; a live runner keeps rates and ETAs
    for phase in (Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA):
        store.set_phase_status(uid, phase, PhaseStatus.IN_PROGRESS)
        store.set_phase_status(uid, phase, PhaseStatus.COMPLETED)
    store.acquire_lease(uid, Phase.EXPORT_DATA, RunnerIdentity())
    store.set_phase_status(uid, Phase.EXPORT_DATA, PhaseStatus.IN_PROGRESS)
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_tables(pilot, app, uid)
        await wait_until(pilot, lambda: table.row_count == 3, what="export rows")
        assert screen.phase == Phase.EXPORT_DATA
        assert cell(table, "public.orders", "Rate") == "50/s"
        summary = text_of(screen, "#tables-summary")
        assert "Export Data IN_PROGRESS — running on host" in summary
        # the runner is gone: the phase is interrupted, its rates are stale
        store.conn.execute("DELETE FROM ybvoyager.runner_leases")
        await wait_until(pilot, lambda: cell(table, "public.orders", "Rate") == "-", what="interrupted")
        assert cell(table, "public.orders", "ETA") == "-"
        assert "interrupted: no process is running it" in text_of(screen, "#tables-summary")


async def test_database_names_are_not_markup(migrated: Any) -> None:
    target, uid, store = migrated
    store.write_table_progress(uid, [progress("[bold]x[/bold]", 10, 5, "IN_PROGRESS", 1.0, schema="[red]s")])
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(120, 40)) as pilot:
        _, table = await open_tables(pilot, app, uid)
        await wait_until(pilot, lambda: table.row_count == 1, what="the row")
        assert cell(table, "[red]s.[bold]x[/bold]", "Table") == "[red]s.[bold]x[/bold]"
