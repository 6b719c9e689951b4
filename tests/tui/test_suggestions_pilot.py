"""Pilot tests of the AI suggestion review screen against a real target: decisions land in ybvoyager.suggestions
(with who and when) and on the migration's timeline; edits are validated again on the same database."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import psycopg
import pytest
from textual.widgets import DataTable, Static, TextArea

from tests.helpers import open_store, register, target_conn
from tests.tui.conftest import wait_until
from voyager_tui.engine.ai.models import Decision, Suggestion, ValidationStatus
from voyager_tui.engine.ai.store import decide, save_suggestions
from voyager_tui.engine.ai.validate import validate
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.suggestions import EditSuggestionScreen, SuggestionReviewScreen, reviewer, sql_diff

FAST = AppConfig(poll_interval=0.2)
BAD = uuid.UUID(int=1)
BIG = uuid.UUID(int=2)
CACHE = uuid.UUID(int=3)
SEATS = uuid.UUID(int=4)


def suggestions(mid: UUID) -> list[Suggestion]:
    """Self-contained DDL, so each one can be validated on an empty target."""
    def s(sid: UUID, name: str, issue: str, original: str, suggested: str, reason: str) -> Suggestion:
        return Suggestion(suggestion_id=sid, migration_uuid=mid, object_type="TABLE", object_name=name,
                          issue_type=issue, original_sql=original, suggested_sql=suggested, reason=reason,
                          provider="rules")
    return [
        s(BAD, "public.bad", "UNSUPPORTED_DATATYPE", "CREATE TABLE public.bad (id int PRIMARY KEY, v xml)",
          "CREATE TABLE public.bad (id int PRIMARY KEY, v no_such_type)", "a deliberately wrong fix"),
        s(BIG, "public.big", "STORAGE_PARAMETERS",
          "CREATE TABLE public.big (id int PRIMARY KEY, v text) WITH (fillfactor = 70)",
          "CREATE TABLE public.big (id int PRIMARY KEY, v text)", "storage parameters are not supported"),
        s(CACHE, "public.cache", "UNLOGGED_TABLES", "CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY, v jsonb)",
          "CREATE TABLE public.cache (k text PRIMARY KEY, v jsonb)", "unlogged tables become logged"),
        s(SEATS, "public.seats", "DEFERRABLE_CONSTRAINTS",
          "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE DEFERRABLE INITIALLY DEFERRED)",
          "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE)", "deferrable unique is not supported"),
    ]


@pytest.fixture
def reviewed(source_db: ConnectionParams, target_db: ConnectionParams) -> tuple[ConnectionParams, UUID]:
    """A registered migration with four suggestions: BAD validated (INVALID), BIG and CACHE validated (VALID),
    SEATS not validated yet."""
    mid = register(source_db, target_db, name="shop").migration_uuid
    open_store(target_db).conn.close()
    with target_conn(target_db) as conn:
        items = suggestions(mid)
        proven = [validate(conn, s) if s.suggestion_id != SEATS else s for s in items]
        stored = save_suggestions(conn, proven)
    assert [s.validation_status for s in stored] == [ValidationStatus.INVALID, ValidationStatus.VALID,
                                                     ValidationStatus.VALID, ValidationStatus.PENDING]
    return target_db, mid


def row(target: ConnectionParams, sid: UUID) -> dict[str, Any]:
    with target_conn(target) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        got = cur.execute("SELECT * FROM ybvoyager.suggestions WHERE suggestion_id = %s", (sid,)).fetchone()
    assert got is not None
    return got


def events(target: ConnectionParams, mid: UUID) -> list[str]:
    with target_conn(target) as conn:
        return [r[0] for r in conn.execute("SELECT event_type FROM ybvoyager.events WHERE migration_uuid = %s "
                                           "AND event_type LIKE 'ai_suggestion_%%' ORDER BY event_id",
                                           (mid,)).fetchall()]


async def open_review(pilot: Any, app: VoyagerApp, mid: UUID) -> tuple[SuggestionReviewScreen, DataTable[Any]]:
    await wait_until(pilot, lambda: bool(app.polls), what="first poll")
    app.open_migration(next(iter(app.targets)), mid)
    await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.has_suggestions,
                     what="migration screen knowing it has suggestions")
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SuggestionReviewScreen) and app.screen.loaded,
                     what="suggestions loaded")
    screen = app.screen
    assert isinstance(screen, SuggestionReviewScreen)
    return screen, screen.query_one("#suggestions", DataTable)


def cell(table: DataTable[Any], sid: UUID, col: str) -> str:
    return str(table.get_cell(str(sid), col))


async def select(pilot: Any, table: DataTable[Any], sid: UUID) -> None:
    table.move_cursor(row=table.get_row_index(str(sid)))
    await pilot.pause()


def message(screen: SuggestionReviewScreen) -> str:
    return str(screen.query_one("#sugg-message", Static).render())


async def test_list_shows_every_suggestion_with_status_and_detail(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        screen, table = await open_review(pilot, app, mid)
        assert [str(k.value) for k in table.rows] == [str(u) for u in (BAD, BIG, CACHE, SEATS)]
        assert cell(table, BAD, "validation") == "INVALID"
        assert cell(table, CACHE, "validation") == "VALID"
        assert cell(table, SEATS, "validation") == "PENDING"
        await select(pilot, table, BAD)
        info = str(screen.query_one("#sugg-info", Static).render())
        assert 'type "no_such_type" does not exist' in info  # the target's own error is the evidence
        assert "a deliberately wrong fix" in info


async def test_accept_persists_who_and_when_and_refuses_an_invalid_one(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        screen, table = await open_review(pilot, app, mid)
        await select(pilot, table, CACHE)
        await pilot.press("a")
        await wait_until(pilot, lambda: cell(table, CACHE, "decision") == "ACCEPTED", what="accepted in place")
        stored = row(target, CACHE)
        assert stored["decision"] == "ACCEPTED" and stored["decided_by"] == reviewer()
        assert stored["decided_at"] is not None
        assert events(target, mid) == ["ai_suggestion_accepted"]

        await select(pilot, table, BAD)
        await pilot.press("a")
        await wait_until(pilot, lambda: "cannot accept" in message(screen), what="refusal shown")
        assert "INVALID" in message(screen)
        assert row(target, BAD)["decision"] == "PENDING"
        assert cell(table, BAD, "decision") == "PENDING"


async def test_reject(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        _screen, table = await open_review(pilot, app, mid)
        await select(pilot, table, BIG)
        await pilot.press("r")
        await wait_until(pilot, lambda: cell(table, BIG, "decision") == "REJECTED", what="rejected in place")
        stored = row(target, BIG)
        assert stored["decision"] == "REJECTED" and stored["decided_by"] == reviewer()
        assert events(target, mid) == ["ai_suggestion_rejected"]
        assert cell(table, CACHE, "decision") == "PENDING"


async def test_edit_that_breaks_the_sql_is_invalid_and_cannot_be_accepted_then_a_good_edit_can(
        reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        screen, table = await open_review(pilot, app, mid)
        await select(pilot, table, SEATS)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditSuggestionScreen), what="editor")
        area = app.screen.query_one(TextArea)
        assert area.text == "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE)"
        area.move_cursor(area.document.end)
        await pilot.press(*" oops")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: cell(table, SEATS, "validation") == "INVALID (edited)", what="re-validated")
        stored = row(target, SEATS)
        assert stored["suggested_sql"].endswith(") oops") and stored["edited"]
        assert stored["validation_status"] == "INVALID" and "syntax error" in stored["validation_evidence"]

        await pilot.press("a")
        await wait_until(pilot, lambda: "cannot accept" in message(screen), what="refusal")
        assert row(target, SEATS)["decision"] == "PENDING"

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditSuggestionScreen), what="editor again")
        area = app.screen.query_one(TextArea)
        area.move_cursor(area.document.end)
        await pilot.press(*["backspace"] * 5, "ctrl+s")
        await wait_until(pilot, lambda: cell(table, SEATS, "validation") == "VALID (edited)", what="valid again")
        await pilot.press("a")
        await wait_until(pilot, lambda: cell(table, SEATS, "decision") == "ACCEPTED", what="accepted")
        assert row(target, SEATS)["decision"] == "ACCEPTED"
        assert events(target, mid) == ["ai_suggestion_edited", "ai_suggestion_edited", "ai_suggestion_accepted"]


async def test_validate_again(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        _screen, table = await open_review(pilot, app, mid)
        await select(pilot, table, SEATS)
        await pilot.press("v")
        await wait_until(pilot, lambda: cell(table, SEATS, "validation") == "VALID", what="validated")
        assert "probe row" in row(target, SEATS)["validation_evidence"]


async def test_accept_all_takes_only_the_validated_ones(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        _screen, table = await open_review(pilot, app, mid)
        await pilot.press("A")
        await wait_until(pilot, lambda: cell(table, BIG, "decision") == "ACCEPTED"
                         and cell(table, CACHE, "decision") == "ACCEPTED", what="all valid accepted")
        assert {u: row(target, u)["decision"] for u in (BAD, BIG, CACHE, SEATS)} == {
            BAD: "PENDING", BIG: "ACCEPTED", CACHE: "ACCEPTED", SEATS: "PENDING"}
        assert all(row(target, u)["decided_by"] == reviewer() for u in (BIG, CACHE))
        assert events(target, mid) == ["ai_suggestion_accepted", "ai_suggestion_accepted"]


async def test_review_key_appears_once_the_migration_has_suggestions(source_db: ConnectionParams,
                                                                     target_db: ConnectionParams) -> None:
    mid = register(source_db, target_db, name="empty").migration_uuid
    app = VoyagerApp([target_db], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        await wait_until(pilot, lambda: bool(app.polls), what="first poll")
        app.open_migration(next(iter(app.targets)), mid)
        await wait_until(pilot, lambda: isinstance(app.screen, MigrationScreen) and app.screen.snapshot is not None
                         and not any(w.group == "suggestions-check" and w.is_running for w in app.screen.workers),
                         what="suggestion check done")
        screen = app.screen
        assert isinstance(screen, MigrationScreen)
        assert screen.check_action("review_suggestions", ()) is False
        with target_conn(target_db) as conn:  # e.g. `ai convert` ran elsewhere meanwhile
            save_suggestions(conn, suggestions(mid)[1:2])
        await pilot.press("h")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.has_suggestions, what="checked again on resume")
        assert screen.check_action("review_suggestions", ()) is True


def test_sql_diff_highlights_only_the_changed_tokens() -> None:
    left, right = sql_diff("CREATE UNLOGGED TABLE t (a int)", "CREATE TABLE t (a bigint)")
    assert left.plain == "CREATE UNLOGGED TABLE t (a int)" and right.plain == "CREATE TABLE t (a bigint)"
    removed = {left.plain[s.start:s.end] for s in left.spans}
    added = {right.plain[s.start:s.end] for s in right.spans}
    assert "UNLOGGED" in "".join(removed) and "int" in removed
    assert added == {"bigint"}


async def test_decisions_and_suggestions_made_elsewhere_appear_without_a_keypress(reviewed: Any) -> None:
    target, mid = reviewed
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        screen, table = await open_review(pilot, app, mid)
        await select(pilot, table, CACHE)
        with target_conn(target) as conn:  # another reviewer, in another session
            decide(conn, CACHE, Decision.REJECTED, "colleague@elsewhere")
            extra = Suggestion(migration_uuid=mid, object_type="TABLE", object_name="public.more",
                               issue_type="UNLOGGED_TABLES", original_sql="CREATE UNLOGGED TABLE public.more (k int)",
                               suggested_sql="CREATE TABLE public.more (k int)", reason="made by ai convert",
                               provider="rules")
            save_suggestions(conn, [extra])
        await wait_until(pilot, lambda: cell(table, CACHE, "decision") == "REJECTED", what="decision from elsewhere")
        await wait_until(pilot, lambda: str(extra.suggestion_id) in table.rows, what="new suggestion row")
        assert table.row_count == 5
        assert table.get_row_index(str(CACHE)) == table.cursor_row  # the cursor stays on its row
        await wait_until(pilot, lambda: "colleague@elsewhere" in str(screen.query_one("#sugg-info", Static).render()),
                         what="detail of the highlighted row refreshed")
        assert "5 in all" in str(screen.query_one("#sugg-title", Static).render())
