"""`voyager-tui ai configure` and `ai convert` against the real PostgreSQL service."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from tests.conftest import connect_kwargs, target_cli_args
from tests.helpers import complete, open_store, register, target_conn
from voyager_tui.cli.main import cli
from voyager_tui.engine.ai.convert import read_failed_sql
from voyager_tui.engine.config import load_config
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.paths import app_paths
from voyager_tui.engine.phases import Phase
from voyager_tui.engine.pipeline.import_schema import label
from voyager_tui.engine.schema.manifest import SchemaManifest, SchemaObject, load_manifest, write_manifest
from voyager_tui.engine.steps import run_step

# Each of these fails on PostgreSQL 15 and has a rule fix; the view has none (its table does not exist).
OBJECTS = [
    SchemaObject(type="SCHEMA", name="app", file="schemas.sql", sql="CREATE SCHEMA app;"),
    SchemaObject(type="TABLE", schema="app", name="good", file="tables.sql",
                 sql="CREATE TABLE app.good (id integer);"),
    SchemaObject(type="TABLE", schema="app", name="typo", file="tables.sql",
                 sql="CREATE TABLE app.typo (id integer, v text) WITH (fillfactr='70');"),
    SchemaObject(type="TABLE", schema="app", name="gen", file="tables.sql",
                 sql="CREATE TABLE app.gen (id integer, r double precision "
                     "GENERATED ALWAYS AS (random() * id) STORED);"),
    SchemaObject(type="OTHER", schema="app", name="good cluster", file="tables.sql",
                 sql="ALTER TABLE ONLY app.good CLUSTER ON good_missing_idx;"),
    SchemaObject(type="VIEW", schema="app", name="broken", file="views.sql",
                 sql="CREATE VIEW app.broken AS SELECT * FROM app.nowhere;"),
]
FIXABLE = ("app.typo", "app.gen", "ALTER TABLE ONLY app.good CLUSTER ON good_missing_idx;")


@pytest.fixture
def migration(make_db: Callable[[str], ConnectionParams], tmp_path: Path) -> dict[str, Any]:
    source, target = make_db("src"), make_db("tgt")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute("CREATE SCHEMA app")
    rec = register(source, target, schemas=["app"])
    complete(open_store(target), rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA)
    schema_dir = tmp_path / "exp" / "schema"
    write_manifest(schema_dir / "objects.json", SchemaManifest(source_version="15", objects=OBJECTS))
    return {"target": target, "mid": rec.migration_uuid, "exp": tmp_path / "exp", "schema_dir": schema_dir,
            "opts": {"export_dir": str(tmp_path / "exp"), "continue_on_error": True}}


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def rows(target: ConnectionParams, text: str, *params: Any) -> list[tuple[Any, ...]]:
    with target_conn(target) as conn:
        return conn.execute(text, params or None).fetchall()


def test_convert_accepts_valid_fixes_and_import_schema_then_creates_them(migration: dict[str, Any]) -> None:
    target = migration["target"]
    first = run_step(target, migration["mid"], Phase.IMPORT_SCHEMA, options=migration["opts"])
    assert first.metadata["failed"] == 4, first.metadata
    failed = read_failed_sql(migration["schema_dir"] / "failed.sql")
    assert {f.label for f in failed} == {"table app.typo", "table app.gen", FIXABLE[2], "view app.broken"}
    original = (migration["schema_dir"] / "objects.json").read_text()

    result = run("ai", "convert", "--migration-name", "shop", "--export-dir", str(migration["exp"]),
                 "--provider", "rules", "--yes", *target_cli_args(target))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "AI Analysis: Found 4 unsupported constructs" in out
    assert "STORAGE_PARAMETERS — table app.typo (schema/tables.sql)" in out
    assert "├── Suggested: CREATE TABLE app.typo (id integer, v text);" in out
    assert out.count("└── Validation: VALID on PostgreSQL 15") == 3
    assert "view app.broken (schema/views.sql)" in out and "└── Suggested: none" in out
    assert "Accepted 3 suggestion(s)" in out
    assert "voyager-tui migrate import schema --migration-name shop" in out

    stored = rows(target, """SELECT object_name, decision, decided_by, decided_at, migration_uuid
                             FROM ybvoyager.suggestions ORDER BY object_name""")
    assert len(stored) == 3
    for name, decision, who, when, mid in stored:
        assert decision == "ACCEPTED" and "@" in who and when is not None and mid == migration["mid"], name
    events = rows(target, "SELECT count(*) FROM ybvoyager.events WHERE event_type = 'ai_suggestion_accepted'")
    assert events[0][0] == 3

    kept = list(migration["schema_dir"].glob("objects.json.orig-*"))
    assert len(kept) == 1 and kept[0].read_text() == original
    fixed = {label(o): o.sql for o in load_manifest(migration["schema_dir"] / "objects.json").objects}
    assert fixed["table app.typo"] == "CREATE TABLE app.typo (id integer, v text);"
    assert "CREATE TRIGGER gen_generated_columns" in fixed["table app.gen"]
    assert fixed["view app.broken"] == "CREATE VIEW app.broken AS SELECT * FROM app.nowhere;"

    again = run_step(target, migration["mid"], Phase.IMPORT_SCHEMA, options=migration["opts"])
    assert again.metadata["failed"] == 1, again.metadata
    tables = {r[0] for r in rows(target, "SELECT tablename FROM pg_tables WHERE schemaname = 'app'")}
    assert tables == {"good", "typo", "gen"}
    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        got = conn.execute("INSERT INTO app.gen (id) VALUES (2) RETURNING r").fetchone()
    assert got is not None and 0 <= got[0] <= 2

    def next_kind() -> tuple[str, str]:
        step = json.loads(run("migrate", "next", "--json", *target_cli_args(target)).output)
        return step["kind"], step["phase"]

    assert next_kind() == ("review", "import_schema")  # the view still fails and nothing was proposed since
    # A second accepted run keeps the first original rather than a copy of the fixed file.
    run("ai", "convert", "--migration-name", "shop", "--export-dir", str(migration["exp"]), "--yes",
        *target_cli_args(target))
    assert list(migration["schema_dir"].glob("objects.json.orig-*")) == kept
    # No provider has a fix for the view: having asked, the migration goes on (it stays listed in failed.sql).
    assert next_kind() == ("run", "export_data")


def test_convert_answer_n_leaves_pending_and_review_rejects(migration: dict[str, Any]) -> None:
    target = migration["target"]
    run_step(target, migration["mid"], Phase.IMPORT_SCHEMA, options=migration["opts"])
    base = ["ai", "convert", "--migration-name", "shop", "--export-dir", str(migration["exp"]),
            *target_cli_args(target)]
    result = run(*base, input="n\n")
    assert result.exit_code == 0 and "Left 3 suggestion(s) pending" in result.output, result.output
    assert rows(target, "SELECT DISTINCT decision FROM ybvoyager.suggestions") == [("PENDING",)]
    assert not list(migration["schema_dir"].glob("objects.json.orig-*"))

    result = run(*base, "--review", input="r\ns\na\n")
    assert result.exit_code == 0, result.output
    assert "Accepted 1 suggestion(s)" in result.output
    decided = rows(target, """SELECT decision, count(*) FROM ybvoyager.suggestions WHERE decided_at IS NOT NULL
                              GROUP BY decision ORDER BY decision""")
    assert decided == [("ACCEPTED", 1), ("REJECTED", 1)]


def test_schema_file_without_migration_and_no_failures(migration: dict[str, Any], tmp_path: Path) -> None:
    target = migration["target"]
    loose = tmp_path / "loose" / "failed.sql"
    loose.parent.mkdir()
    loose.write_text("-- ERROR: unrecognized parameter \"fillfactr\"\n-- table public.t\n"
                     "CREATE TABLE public.t (id integer) WITH (fillfactr='1');\n\n")
    result = run("ai", "convert", "--schema-file", str(loose), "--provider", "rules", "--yes",
                 *target_cli_args(target))
    assert result.exit_code == 0, result.output
    assert "VALID on PostgreSQL 15" in result.output and "no objects.json next to" in result.output
    assert rows(target, "SELECT decision, migration_uuid FROM ybvoyager.suggestions") == [("ACCEPTED", None)]

    empty = run("ai", "convert", "--migration-name", "shop", "--export-dir", str(migration["exp"]),
                *target_cli_args(target))
    assert empty.exit_code == 0 and "No failed objects: nothing to convert" in empty.output


def test_bad_failed_sql_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "failed.sql"
    bad.write_text("-- ERROR: boom\nCREATE TABLE x ();\n")
    with pytest.raises(VoyagerError, match=r"failed.sql: line 2: expected '-- <object>'"):
        read_failed_sql(bad)


def test_llm_provider_not_configured_is_one_line(migration: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["ai", "convert", "--migration-name", "shop", "--provider", "llm",
                                      *target_cli_args(migration["target"])])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: AI is not configured: run `voyager-tui ai configure "
                                     "--endpoint URL --model NAME`")


def test_configure_writes_endpoint_and_model_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOYAGER_TUI_AI_API_KEY", "sk-secret-123")
    result = run("ai", "configure", "--endpoint", "http://127.0.0.1:9/v1", "--model", "tiny")
    assert result.exit_code == 0, result.output
    paths = app_paths()
    assert f"in {paths.config_file}" in result.output
    assert "read from VOYAGER_TUI_AI_API_KEY" in result.output
    settings = load_config(paths).ai
    assert (settings.endpoint, settings.model) == ("http://127.0.0.1:9/v1", "tiny")
    assert "sk-secret" not in paths.config_file.read_text()

    # No keyring backend, as on headless Linux: a clear message before any prompt.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    stored = CliRunner().invoke(cli, ["ai", "configure", "--endpoint", "http://x/v1", "--model", "m", "--store-key"],
                                input="sk-other\n")
    assert stored.exit_code == 1
    last = stored.output.strip().splitlines()[-1]
    assert last.startswith("error: cannot store the API key:") and "VOYAGER_TUI_AI_API_KEY" in last
    assert "sk-other" not in paths.config_file.read_text()
    assert json.dumps(load_config(paths).ai.model) == '"tiny"'


# The objects a YugabyteDB target rejected, as import schema would list them in failed.sql, on top of tables the
# PostgreSQL target already has. The last one is deliberately wrong: its column does not exist in the target.
DEPENDENCIES = [
    SchemaObject(type="SCHEMA", name="app", file="schemas.sql", sql="CREATE SCHEMA app;"),
    *[SchemaObject(type="TABLE", schema="app", name=name, file="tables.sql", sql=sql) for name, sql in [
        ("events", "CREATE TABLE app.events (id int PRIMARY KEY, created_at timestamptz);"),
        ("booking", "CREATE TABLE app.booking (room int, during tsrange);"),
        ("rooms", "CREATE TABLE app.rooms (id int PRIMARY KEY, code text);"),
        ("docs", "CREATE TABLE app.docs (id int, tsv tsvector, tags text[]);"),
        ("plain", "CREATE TABLE app.plain (room int);"),
    ]],
]
PROBLEMS: list[tuple[str, str, str, str, str]] = [  # type, name, file, SQL, the target's error
    ("INDEX", "events_ts", "indexes.sql", "CREATE INDEX events_ts ON app.events USING brin (created_at);",
     'index method "brin" not supported yet'),
    ("INDEX", "booking_during", "indexes.sql", "CREATE INDEX booking_during ON app.booking USING gist (during);",
     'index method "gist" not supported yet'),
    ("INDEX", "rooms_code", "indexes.sql", "CREATE INDEX rooms_code ON app.rooms USING spgist (code);",
     'index method "spgist" not supported yet'),
    ("INDEX", "docs_search", "indexes.sql", "CREATE INDEX docs_search ON app.docs USING gin (tsv, tags);",
     "access method \"ybgin\" does not support multicolumn indexes"),
    ("TABLE", "big", "tables.sql", "CREATE TABLE app.big (id int PRIMARY KEY, v text) WITH (fillfactor = 70);",
     'unrecognized parameter "fillfactor"'),
    ("TABLE", "cache", "tables.sql", "CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v jsonb);",
     "UNLOGGED database object not supported yet"),
    ("TABLE", "orders", "tables.sql", "CREATE TABLE app.orders (id int PRIMARY KEY, qty int, price numeric, "
     "total numeric GENERATED ALWAYS AS (qty * price) STORED);", "syntax error at or near \"STORED\""),
    ("TABLE", "docs_by_body", "tables.sql", "CREATE TABLE app.docs_by_body (body jsonb PRIMARY KEY, n int);",
     "PRIMARY KEY containing column of type 'jsonb' not yet supported"),
    ("TABLE", "reservations", "tables.sql",
     "CREATE TABLE app.reservations (room int, during tsrange, EXCLUDE USING gist (during WITH &&));",
     "EXCLUDE constraint not supported yet"),
    ("INDEX", "plain_during", "indexes.sql", "CREATE INDEX plain_during ON app.plain USING gist (during);",
     'index method "gist" not supported yet'),
]
WRONG = "index app.plain_during"
CREATED_NOW = {"big", "cache", "orders", "docs_by_body", "reservations"}


def test_convert_a_failed_sql_with_many_problems_end_to_end(migration: dict[str, Any]) -> None:
    target, schema_dir, mid = migration["target"], migration["schema_dir"], migration["mid"]
    write_manifest(schema_dir / "objects.json", SchemaManifest(source_version="15", objects=DEPENDENCIES))
    assert run_step(target, mid, Phase.IMPORT_SCHEMA, options=migration["opts"]).metadata["failed"] == 0
    problems = [SchemaObject(type=t, schema="app", name=n, file=f, sql=sql) for t, n, f, sql, _ in PROBLEMS]
    write_manifest(schema_dir / "objects.json", SchemaManifest(source_version="15",
                                                               objects=[*DEPENDENCIES, *problems]))
    (schema_dir / "failed.sql").write_text("".join(
        f"-- ERROR: {error}\n-- {label(o)}\n{o.sql}\n\n" for o, (*_, error) in zip(problems, PROBLEMS, strict=True)))

    result = run("ai", "convert", "--migration-name", "shop", "--export-dir", str(migration["exp"]),
                 "--provider", "rules", "--yes", *target_cli_args(target))
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"AI Analysis: Found {len(PROBLEMS)} unsupported constructs" in out
    blocks = out.split("\nIssue ")[1:]
    valid = {b.split(" — ")[0].split(": ", 1)[1] for b in blocks if "└── Validation: VALID on PostgreSQL" in b}
    assert len(valid) >= 8 and len(valid) == len(PROBLEMS) - 1, valid  # every issue type but the wrong one
    wrong = next(b for b in blocks if WRONG in b)
    assert '└── Validation: INVALID: ' in wrong and 'column "during" does not exist' in wrong
    assert f"Accepted {len(PROBLEMS) - 1} suggestion(s)" in out

    stored = {r[0]: r[1:] for r in rows(target, """SELECT object_name, validation_status, decision, decided_by,
                                                decided_at, validation_evidence FROM ybvoyager.suggestions""")}
    assert len(stored) == len(PROBLEMS)
    status, decision, who, when, evidence = stored["app.plain_during"]
    assert (status, decision, who, when) == ("INVALID", "PENDING", None, None)
    assert 'column "during" does not exist' in evidence
    for name, (status, decision, who, when, _) in stored.items():
        if name != "app.plain_during":
            assert (status, decision) == ("VALID", "ACCEPTED") and "@" in who and when is not None, name

    fixed = {label(o): o.sql for o in load_manifest(schema_dir / "objects.json").objects}
    assert fixed[WRONG] == PROBLEMS[-1][3]  # not accepted: left as it was
    assert "brin" not in fixed["index app.events_ts"] and "fillfactor" not in fixed["table app.big"]
    assert "UNLOGGED" not in fixed["table app.cache"]

    again = run_step(target, mid, Phase.IMPORT_SCHEMA, options=migration["opts"])
    assert again.metadata["failed"] == 0, again.metadata
    tables = {r[0] for r in rows(target, "SELECT tablename FROM pg_tables WHERE schemaname = 'app'")}
    assert tables >= CREATED_NOW
    assert rows(target, "SELECT relpersistence, reloptions FROM pg_class WHERE oid = 'app.cache'::regclass") == \
        [("p", None)]
    assert rows(target, "SELECT reloptions FROM pg_class WHERE oid = 'app.big'::regclass") == [(None,)]


def test_migrate_run_stops_at_the_review_with_its_own_exit_status(migration: dict[str, Any]) -> None:
    target = migration["target"]
    result = CliRunner().invoke(cli, ["migrate", "run", "--continue-on-error", "--export-dir", str(migration["exp"]),
                                      *target_cli_args(target)])
    assert result.exit_code == 3, result.output  # stopped before verify, for a person to decide
    assert "✓ Import Schema completed" in result.output
    assert "Review fixes for 4 objects import schema could not create" in result.output
    assert "voyager-tui ai convert" in result.output and "--migration-name shop" in result.output
    assert rows(target, "SELECT status FROM ybvoyager.migration_state WHERE phase = 'export_data' AND step = ''") \
        in ([], [("NOT_STARTED",)])
