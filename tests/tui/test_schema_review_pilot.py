"""Pilot test: import schema leaves a failure, the next-step key leads into the review of a fix proven on the real
target, and accepting it turns the next step into a re-run of import schema that creates the object."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.widgets import DataTable

from tests.conftest import connect_kwargs
from tests.helpers import complete, open_store, register, target_conn
from tests.tui.conftest import wait_until
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.pipeline.import_schema import label
from voyager_tui.engine.schema.manifest import SchemaManifest, SchemaObject, load_manifest, write_manifest
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.migration import MigrationScreen
from voyager_tui.tui.screens.suggestions import SuggestionReviewScreen

FAST = AppConfig(poll_interval=0.2)
# The table fails on PostgreSQL (misspelt storage parameter) and has a rule fix; the view has none.
OBJECTS = [
    SchemaObject(type="SCHEMA", name="app", file="schemas.sql", sql="CREATE SCHEMA app;"),
    SchemaObject(type="TABLE", schema="app", name="typo", file="tables.sql",
                 sql="CREATE TABLE app.typo (id integer, v text) WITH (fillfactr='70');"),
    SchemaObject(type="VIEW", schema="app", name="broken", file="views.sql",
                 sql="CREATE VIEW app.broken AS SELECT * FROM app.nowhere;"),
]


@pytest.fixture
def analyzed(make_db: Callable[[str], ConnectionParams], tmp_path: Path) -> dict[str, Any]:
    source, target = make_db("src"), make_db("tgt")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA app")
    rec = register(source, target, schemas=["app"])
    store = open_store(target)
    complete(store, rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA)
    store.conn.execute("UPDATE ybvoyager.migrations SET export_dir = %s WHERE migration_uuid = %s",
                       (str(tmp_path / "exp"), rec.migration_uuid))
    store.conn.close()
    schema_dir = tmp_path / "exp" / "schema"
    write_manifest(schema_dir / "objects.json", SchemaManifest(source_version="15", objects=OBJECTS))
    return {"target": target, "mid": rec.migration_uuid, "schema_dir": schema_dir}


def step_of(app: VoyagerApp) -> Any:
    screen = app.screen
    return screen.step if isinstance(screen, MigrationScreen) else None


def suggestion_rows(target: ConnectionParams) -> list[tuple[Any, ...]]:
    with target_conn(target) as conn:
        return conn.execute("SELECT object_name, validation_status, decision, decided_by, decided_at "
                            "FROM ybvoyager.suggestions ORDER BY object_name").fetchall()


async def test_next_step_key_reviews_import_schema_failures_then_re_runs_it(analyzed: dict[str, Any]) -> None:
    target, mid = analyzed["target"], analyzed["mid"]
    app = VoyagerApp([target], config=FAST)
    async with app.run_test(size=(130, 45)) as pilot:
        await wait_until(pilot, lambda: bool(app.polls), what="first poll")
        app.open_migration(next(iter(app.targets)), mid)
        await wait_until(pilot, lambda: step_of(app) is not None and step_of(app).phase == Phase.IMPORT_SCHEMA,
                         what="import schema as the next step")
        assert step_of(app).kind == "run"

        await pilot.press("enter")  # import schema without continue-on-error: it fails on the two objects
        await wait_until(pilot, lambda: step_of(app) is not None and step_of(app).kind == "review",
                         what="the review step")
        step = step_of(app)
        assert step.title == "Review fixes for 2 objects import schema could not create"
        assert step.argv[:5] == ["voyager-tui", "ai", "convert", "--migration-name", "shop"]
        screen = app.screen
        assert isinstance(screen, MigrationScreen) and screen.snapshot is not None
        assert screen.snapshot.phase(Phase.IMPORT_SCHEMA).status == PhaseStatus.FAILED

        await pilot.press("enter")  # proposes rule fixes, validates them on the target, opens the review
        await wait_until(pilot, lambda: isinstance(app.screen, SuggestionReviewScreen) and app.screen.loaded
                         and bool(app.screen.items), what="the review screen with the proposed fix")
        review = app.screen
        assert isinstance(review, SuggestionReviewScreen)
        table = review.query_one("#suggestions", DataTable)
        assert table.row_count == 1  # no rule fixes the view
        assert suggestion_rows(target) == [("app.typo", "VALID", "PENDING", None, None)]

        await pilot.press("a")
        await wait_until(pilot, lambda: str(table.get_cell_at((0, 4))) == "ACCEPTED", what="accepted row")
        await pilot.press("escape")  # leaving writes the accepted fix into objects.json
        await wait_until(pilot, lambda: step_of(app) is not None and step_of(app).kind == "retry",
                         what="re-run import schema as the next step")
        step = step_of(app)
        assert step.title == "Re-run Import Schema with 1 accepted fix"
        assert step.argv[-1] == "--continue-on-error"
        fixed = {label(o): o.sql for o in load_manifest(analyzed["schema_dir"] / "objects.json").objects}
        assert fixed["table app.typo"] == "CREATE TABLE app.typo (id integer, v text);"
        assert len(list(analyzed["schema_dir"].glob("objects.json.orig-*"))) == 1
        ((_, _, decision, who, when),) = suggestion_rows(target)
        assert decision == "ACCEPTED" and "@" in who and when is not None

        await pilot.press("enter")  # the re-run creates the fixed table and continues past the view
        await wait_until(pilot, lambda: step_of(app) is not None and step_of(app).kind == "review"
                         and "1 object " in step_of(app).title, what="the re-run's remaining failure")
        screen = app.screen
        assert isinstance(screen, MigrationScreen) and screen.snapshot is not None
        assert screen.snapshot.phase(Phase.IMPORT_SCHEMA).status == PhaseStatus.COMPLETED
    with target_conn(target) as conn:
        assert conn.execute("SELECT to_regclass('app.typo') IS NOT NULL").fetchone() == (True,)
