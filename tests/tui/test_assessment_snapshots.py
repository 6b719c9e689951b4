"""How the report viewer's panes and the wizard's steps look (fixture report, pinned sizes and paths)."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.conftest import pg_params
from tests.tui.assessment_fixture import fixture_report
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.tui.app import ReportViewerApp, VoyagerApp
from voyager_tui.tui.screens.assessment_wizard import AssessmentWizardScreen

SIZE = (120, 40)
SNAPSHOT_DB = "vt_wizard_snapshot"
# The report is passed in, so the dir need not exist; a fixed path keeps the title line stable.
VIEWER_DIR = Path("/srv/assessments/shop")
# The options step shows the default dir, which lives under the app's data dir.
SNAPSHOT_HOME = "/tmp/voyager-tui-snapshot-home"


def viewer() -> ReportViewerApp:
    return ReportViewerApp(VIEWER_DIR, fixture_report())


@pytest.mark.parametrize("keys", [(), ("2",), ("2", "down", "down", "down", "down", "down", "down"),
                                  ("3",), ("4",), ("5",), ("6",)],
                         ids=["summary", "issues", "issue-detail", "sizing", "effort", "what-if", "notes"])
def test_viewer_panes(snap_compare: Any, keys: tuple[str, ...]) -> None:
    assert snap_compare(viewer(), terminal_size=SIZE, press=keys)


def test_viewer_filtered_issues(snap_compare: Any) -> None:
    """Category Unsupported features, impact LEVEL_1, text 'orders', focus back in the table."""
    assert snap_compare(viewer(), terminal_size=SIZE, press=("c", "i", "i", "i", "slash", *"orders", "enter"))


def test_viewer_migrate_command(snap_compare: Any) -> None:
    assert snap_compare(viewer(), terminal_size=SIZE, press=("m",))


# ---- wizard ------------------------------------------------------------------------------------------------


@pytest.fixture
def snapshot_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VOYAGER_TUI_HOME", SNAPSHOT_HOME)
    yield
    shutil.rmtree(SNAPSHOT_HOME, ignore_errors=True)


@pytest.fixture
def snapshot_db(pg_admin: psycopg.Connection) -> Iterator[ConnectionParams]:
    name = sql.Identifier(SNAPSHOT_DB)
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    params = pg_params(SNAPSHOT_DB)
    with psycopg.connect(host=params.host, port=params.port, user=params.user, dbname=SNAPSHOT_DB,
                         autocommit=True) as conn:
        conn.execute("CREATE SCHEMA sales; CREATE TABLE sales.orders (id bigint PRIMARY KEY); "
                     "CREATE TABLE sales.items (id bigint PRIMARY KEY); CREATE SCHEMA audit; "
                     "CREATE TABLE public.customers (id bigint PRIMARY KEY)")
    yield params
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def wizard_app() -> VoyagerApp:
    return VoyagerApp([], config=AppConfig())


def to_step(*keys: str, params: ConnectionParams | None = None,
            step: str = "connection") -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("n")
        screen = pilot.app.screen
        assert isinstance(screen, AssessmentWizardScreen)
        for box in screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        await pilot.press(*keys)
        if params is not None:
            screen.query_one("#conn-database", Input).value = params.dbname
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: screen.step == "schemas", what="schemas")
        if step in ("options", "run"):
            await pilot.press("ctrl+n")
        if step == "run":
            screen.query_one("#opt-iops", Input).value = "60"
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: "waiting" in str(screen.query_one("#run-step", Static).content),
                             timeout=60, what="the IOPS wait")
            await pilot.press("x")
            await wait_until(pilot, lambda: screen.run_failed, timeout=15, what="the cancel")
        await pilot.pause()

    return run_before


def test_wizard_source_step(snap_compare: Any, snapshot_home: None) -> None:
    assert snap_compare(wizard_app(), terminal_size=SIZE, run_before=to_step())


def test_wizard_source_step_mysql(snap_compare: Any, snapshot_home: None) -> None:
    assert snap_compare(wizard_app(), terminal_size=SIZE, run_before=to_step("down"))


def test_wizard_connection_step(snap_compare: Any, snapshot_home: None) -> None:
    assert snap_compare(wizard_app(), terminal_size=SIZE, run_before=to_step("enter"))


def test_wizard_connection_step_invalid_port(snap_compare: Any, snapshot_home: None) -> None:
    keys = ("enter", "tab", "backspace", "backspace", "backspace", "backspace", *"x1", "ctrl+t")
    assert snap_compare(wizard_app(), terminal_size=SIZE, run_before=to_step(*keys))


def test_wizard_schemas_step(snap_compare: Any, snapshot_home: None, snapshot_db: ConnectionParams) -> None:
    assert snap_compare(wizard_app(), terminal_size=SIZE, run_before=to_step("enter", params=snapshot_db))


def test_wizard_options_step(snap_compare: Any, snapshot_home: None, snapshot_db: ConnectionParams) -> None:
    assert snap_compare(wizard_app(), terminal_size=SIZE,
                        run_before=to_step("enter", params=snapshot_db, step="options"))


def test_wizard_run_cancelled(snap_compare: Any, snapshot_home: None, snapshot_db: ConnectionParams) -> None:
    """Cancelled during the IOPS wait: the bar stands where the collector was, the error and retry hint in place."""
    assert snap_compare(wizard_app(), terminal_size=SIZE,
                        run_before=to_step("enter", params=snapshot_db, step="run"))
