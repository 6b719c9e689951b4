"""How the screens look, from a target whose state is pinned (tests/tui/fixture_target.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.conftest import pg_params
from tests.tui.conftest import wait_until
from tests.tui.fixture_target import AS_OF, BILLING, FIXTURE_DB, SHOP, build_fixture_target
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.history import HistoryScreen
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.tables import TableProgressScreen

SIZE = (110, 42)


@pytest.fixture
def fixture_target(pg_admin: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionParams]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield build_fixture_target(pg_admin, pg_params())
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(FIXTURE_DB)))
    monkeypatch.undo()
    time.tzset()


def fixture_app(target: ConnectionParams) -> VoyagerApp:
    return VoyagerApp([target], config=AppConfig(poll_interval=0.2), as_of=AS_OF)


async def home_loaded(pilot: Pilot[Any]) -> None:
    await wait_until(pilot, lambda: pilot.app.screen.query_one("#completed", DataTable).row_count == 1,
                     what="home rows")


async def migration_loaded(pilot: Pilot[Any], uid: UUID = SHOP) -> None:
    await home_loaded(pilot)
    app = pilot.app
    assert isinstance(app, VoyagerApp)
    app.open_migration(next(iter(app.targets)), uid)
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.snapshot is not None,
                     what="migration")
    await pilot.pause()


async def history_loaded(pilot: Pilot[Any]) -> None:
    await migration_loaded(pilot)
    await pilot.press("h")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen)
                     and pilot.app.screen.query_one("#events", DataTable).row_count == 10, what="history")
    await pilot.pause()


def tables_loaded(uid: UUID, rows: int, *keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await migration_loaded(pilot, uid)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TableProgressScreen)
                         and pilot.app.screen.query_one("#tables", DataTable).row_count == rows, what="tables")
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_home_screen(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE, run_before=home_loaded)


def test_migration_screen(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE, run_before=migration_loaded)


def test_history_screen(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE, run_before=history_loaded)


def test_tables_screen(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    """shop-prod's running export: mixed statuses, rates, ETAs, errored rows, the overall bar."""
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE, run_before=tables_loaded(SHOP, 7))


def test_tables_screen_sorted_and_filtered(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    """Sorted by progress, filtered by name, the filter box left with enter."""
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE,
                        run_before=tables_loaded(SHOP, 7, "s", "s", "slash", *"s.", "enter"))


def test_tables_screen_completed_import(snap_compare: Any, fixture_target: ConnectionParams) -> None:
    """billing is complete: its latest data phase with rows (Import Data) is shown; one table has errored rows."""
    assert snap_compare(fixture_app(fixture_target), terminal_size=SIZE, run_before=tables_loaded(BILLING, 6))
