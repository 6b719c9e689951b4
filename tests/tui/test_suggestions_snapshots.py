"""How the AI suggestion review screen looks: the list with the detail pane, and the edit view.

The target is a fixed-name database with a migration and suggestions of fixed ids; two are validated for real
on it (their evidence is what PostgreSQL answers), so only the target's own wording could change a snapshot.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.conftest import pg_params
from tests.tui.conftest import wait_until
from voyager_tui.engine.ai.models import Suggestion
from voyager_tui.engine.ai.store import save_suggestions
from voyager_tui.engine.ai.validate import validate
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.secrets import DbRole
from voyager_tui.engine.state_store import NewMigration, StateStore
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.suggestions import EditSuggestionScreen, SuggestionReviewScreen

DB = "vt_suggestions_fixture"
MID = uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
SIZE = (120, 44)
# No poll after the first ones: a live refresh landing while the picture is taken would make it flaky.
QUIET = 60.0


def fixture_suggestions() -> list[Suggestion]:
    def s(n: int, name: str, issue: str, original: str, suggested: str, reason: str,
          caveats: list[str] | None = None) -> Suggestion:
        return Suggestion(suggestion_id=uuid.UUID(int=n), migration_uuid=MID, object_type="TABLE", object_name=name,
                          issue_type=issue, original_sql=original, suggested_sql=suggested, reason=reason,
                          caveats=caveats or [], provider="rules")
    return [
        s(1, "public.cache", "UNLOGGED_TABLES",
          "CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY DEFAULT 'x', v jsonb)",
          "CREATE TABLE public.cache (k text PRIMARY KEY DEFAULT 'x', v jsonb)",
          "YugabyteDB has no unlogged tables; the table is created as a regular (logged) table.",
          ["writes to public.cache are now replicated and durable: slower than unlogged on PostgreSQL"]),
        s(2, "public.payments", "UNSUPPORTED_DATATYPE",
          "CREATE TABLE public.payments (id int PRIMARY KEY, amount money)",
          "CREATE TABLE public.payments (id int PRIMARY KEY, amount no_such_type)",
          "a deliberately wrong fix"),
        s(3, "public.seats", "DEFERRABLE_CONSTRAINTS",
          "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE DEFERRABLE INITIALLY DEFERRED)",
          "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE)",
          "DEFERRABLE unique constraints are not supported; the constraint is checked at once.",
          ["transactions that relied on a deferred check must be reordered"]),
    ]


@pytest.fixture
def suggestions_target(pg_admin: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionParams]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
    pg_admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    target = pg_params(DB)
    with connect_pg(target, DbRole.TARGET) as conn:
        StateStore(conn, create=True).register_migration(NewMigration(
            migration_name="shop-prod", migration_uuid=MID, source_db_type="postgresql",
            source_db_host="pg-prod.internal", source_db_port=5432, source_db_user="migrator", source_db_name="shop",
            source_db_version="PostgreSQL 15.8", source_db_identifier="postgresql:sysid-7301/shop",
            source_schemas=["public"], target_db_name=DB, target_db_type="yugabytedb",
            target_db_version="PostgreSQL 15.12-YB-2025.1.2.0-b0"))
        items = fixture_suggestions()
        save_suggestions(conn, [validate(conn, items[0]), validate(conn, items[1]), items[2]])
    yield target
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
    monkeypatch.undo()
    time.tzset()


async def review_loaded(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, VoyagerApp)
    await wait_until(pilot, lambda: bool(app.polls), what="first poll")
    app.open_migration(next(iter(app.targets)), MID)
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.has_suggestions,
                     what="migration screen")
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SuggestionReviewScreen) and app.screen.loaded
                     and app.screen.query_one("#suggestions", DataTable).row_count == 3, what="suggestions")
    await pilot.pause()


async def edit_open(pilot: Pilot[Any]) -> None:
    await review_loaded(pilot)
    await pilot.press("down", "down", "e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, EditSuggestionScreen), what="editor")
    await pilot.pause()


def test_review_list_with_detail(snap_compare: Any, suggestions_target: ConnectionParams) -> None:
    """The first suggestion (validated for real) with its diff, reason, caveat and the target's evidence."""
    app = VoyagerApp([suggestions_target], config=AppConfig(poll_interval=QUIET))
    assert snap_compare(app, terminal_size=SIZE, run_before=review_loaded)


def test_review_invalid_detail(snap_compare: Any, suggestions_target: ConnectionParams) -> None:
    """The deliberately wrong suggestion: INVALID, with PostgreSQL's error as evidence."""
    async def run_before(pilot: Pilot[Any]) -> None:
        await review_loaded(pilot)
        await pilot.press("down")
        await pilot.pause()

    app = VoyagerApp([suggestions_target], config=AppConfig(poll_interval=QUIET))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_edit_view(snap_compare: Any, suggestions_target: ConnectionParams) -> None:
    app = VoyagerApp([suggestions_target], config=AppConfig(poll_interval=QUIET))
    assert snap_compare(app, terminal_size=SIZE, run_before=edit_open)
