"""Import schema's failure list read back by ai convert (real PostgreSQL target): SQL that holds `-- ERROR: `
lines, comments of same-named objects in two schemas and long OTHER statements that share a first line each stay
one object, in the files, in objects.json and in the review counts the state store computes in SQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import connect_kwargs
from tests.helpers import complete, open_store, register, target_conn
from voyager_tui.engine.ai import store as ai_store
from voyager_tui.engine.ai.convert import apply_fixes, migration_failures, read_failed_sql
from voyager_tui.engine.ai.models import Suggestion
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.phases import Phase
from voyager_tui.engine.pipeline.import_schema import ObjectResult, Outcome, label, write_failures
from voyager_tui.engine.schema.manifest import SchemaManifest, SchemaObject, load_manifest, write_manifest
from voyager_tui.engine.steps import run_step

LONG = "ALTER TABLE ONLY app.a_table_whose_name_is_long_enough_to_push_the_first_line_past_ninety_chars ADD"
OBJECTS = [
    SchemaObject(type="SCHEMA", name="app", file="schemas.sql", sql="CREATE SCHEMA app;"),
    SchemaObject(type="SCHEMA", name="app2", file="schemas.sql", sql="CREATE SCHEMA app2;"),
    SchemaObject(type="FUNCTION", schema="app", name="f()", file="functions.sql",
                 sql="CREATE FUNCTION app.f() RETURNS app.no_such_type LANGUAGE sql AS $$\nSELECT 1\n"
                     "-- ERROR: not an error, a line of the body\n-- and a comment\n$$;"),
    SchemaObject(type="COMMENT", schema="app", name="TABLE missing", file="comments.sql",
                 sql="COMMENT ON TABLE app.missing IS 'in app';"),
    SchemaObject(type="COMMENT", schema="app2", name="TABLE missing", file="comments.sql",
                 sql="COMMENT ON TABLE app2.missing IS 'in app2';"),
    SchemaObject(type="OTHER", schema="app", name="c1", file="constraints.sql",
                 sql=LONG + "\n    CONSTRAINT c1 CHECK (x > 1);"),
    SchemaObject(type="OTHER", schema="app", name="c2", file="constraints.sql",
                 sql=LONG + "\n    CONSTRAINT c2 CHECK (x > 2);"),
]
FAILING = OBJECTS[2:]


def test_labels_of_distinct_objects_differ() -> None:
    labels = [label(o) for o in OBJECTS]
    assert len(set(labels)) == len(labels), labels
    assert label(OBJECTS[3]) == "comment on app.TABLE missing"
    assert len(label(OBJECTS[5])) <= 90 and label(OBJECTS[5]).startswith(LONG[:77] + "... #")


def test_sql_with_error_lines_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "failed.sql"
    results = [ObjectResult(label(o), Outcome.FAILED, o.sql, f"error {i}") for i, o in enumerate(FAILING)]
    write_failures(path, results)
    assert path.read_text().startswith("-- ERROR: error 0\n-- function app.f()\nCREATE FUNCTION")
    back = read_failed_sql(path)
    assert [(f.label, f.error, f.sql) for f in back] == [(r.label, r.error, r.sql) for r in results]
    # A failed.sql edited by hand after the run is what counts then (a one-object file of the old format).
    path.write_text("-- ERROR: boom\n-- table app.t\nCREATE TABLE app.t ();\n")
    os.utime(path, ns=(path.stat().st_atime_ns, (tmp_path / "failed.json").stat().st_mtime_ns + 10**9))
    assert [(f.label, f.sql) for f in read_failed_sql(path)] == [("table app.t", "CREATE TABLE app.t ();")]
    write_failures(path, [ObjectResult("x", Outcome.APPLIED, "SELECT 1;")])
    assert not path.exists() and not (tmp_path / "failed.json").exists()


@pytest.fixture
def migration(make_db: Callable[[str], ConnectionParams], tmp_path: Path) -> dict[str, Any]:
    source, target = make_db("src"), make_db("tgt")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA app; CREATE SCHEMA app2")
    rec = register(source, target, schemas=["app", "app2"])
    complete(open_store(target), rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA)
    write_manifest(tmp_path / "exp" / "schema" / "objects.json", SchemaManifest(source_version="15", objects=OBJECTS))
    return {"target": target, "rec": rec, "exp": tmp_path / "exp",
            "opts": {"export_dir": str(tmp_path / "exp"), "continue_on_error": True}}


def test_each_failure_is_one_object_through_review_and_fix(migration: dict[str, Any]) -> None:
    target, rec, exp = migration["target"], migration["rec"], migration["exp"]
    imported = run_step(target, rec.migration_uuid, Phase.IMPORT_SCHEMA, options=migration["opts"])
    assert imported.metadata["failed"] == len(FAILING), imported.metadata
    failures = migration_failures(rec, exp)
    assert [i.label for i in failures.items] == [label(o) for o in FAILING]
    assert [i.problem.original_sql for i in failures.items] == [o.sql for o in FAILING]

    # The state store matches suggestions to failures by the label it builds in SQL: every failure is pending.
    with target_conn(target) as conn:
        ai_store.save_suggestions(conn, [
            Suggestion(migration_uuid=rec.migration_uuid, object_type=i.problem.object_type,
                       object_name=i.problem.object_name, issue_type=i.problem.issue_type,
                       original_sql=i.problem.original_sql, suggested_sql="SELECT 1;", reason="test",
                       provider="rules") for i in failures.items])
        conn.commit()
    counts = open_store(target).snapshot(rec.migration_uuid).schema_failures
    assert (counts.failed, counts.pending) == (len(FAILING), len(FAILING))

    # One fix lands in exactly its object, not in the other that shares the long first line or the comment name.
    manifest_path = exp / "schema" / "objects.json"
    apply_fixes(manifest_path, {label(FAILING[3]): "SELECT 'c1 fixed';", label(FAILING[1]): "SELECT 'app fixed';"})
    fixed = {o.name + "@" + (o.schema_name or ""): o.sql for o in load_manifest(manifest_path).objects}
    assert fixed["c1@app"] == "SELECT 'c1 fixed';" and fixed["c2@app"] == FAILING[4].sql
    assert fixed["TABLE missing@app"] == "SELECT 'app fixed';" and fixed["TABLE missing@app2"] == FAILING[2].sql
