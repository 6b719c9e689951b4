"""Export schema against the real pg_dump: every line of a statement is kept, also one that starts with a backslash
(only the psql meta-commands pg_dump writes between statements go), and a locked table fails it instead of hanging."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import connect_kwargs
from tests.helpers import open_store, register
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.pipeline.export_schema import strip_meta_commands
from voyager_tui.engine.schema.manifest import load_manifest
from voyager_tui.engine.steps import run_step

# Each body has lines that start with a backslash, as a psql meta-command would.
SOURCE = r"""
CREATE SCHEMA app;
CREATE FUNCTION app.plpg() RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
    RETURN 'a
\b
\restrict not-a-key';
END $body$;
CREATE FUNCTION app.plain() RETURNS text LANGUAGE sql AS $$ SELECT 'x
\connect other
\unrestrict y'::text $$;
CREATE FUNCTION app.quoted() RETURNS text LANGUAGE sql AS 'SELECT ''one
\q
two''::text';
CREATE VIEW app.v AS SELECT 'first
\echo second'::text AS t;
"""
FUNCTIONS = ["app.plpg()", "app.plain()", "app.quoted()"]


def execute(params: ConnectionParams, text: str) -> None:
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(text)


def fetch(params: ConnectionParams, text: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:  # type: ignore[arg-type]
        return conn.execute(text, args or None).fetchall()


def definitions(params: ConnectionParams) -> dict[str, str]:
    out = {f: str(fetch(params, "SELECT pg_get_functiondef(%s::regprocedure)", f)[0][0]) for f in FUNCTIONS}
    out["app.v"] = str(fetch(params, "SELECT pg_get_viewdef('app.v'::regclass)")[0][0])
    return out


def test_backslash_lines_in_bodies_survive_export_and_import(make_db: Callable[[str], ConnectionParams],
                                                             tmp_path: Path) -> None:
    source, target = make_db("src"), make_db("tgt")
    execute(source, SOURCE)
    mid = register(source, target, schemas=["app"]).migration_uuid
    opts = {"export_dir": str(tmp_path / "exp")}
    run_step(target, mid, Phase.EXPORT_SCHEMA, options=opts)
    schema_dir = tmp_path / "exp" / "schema"
    full = (schema_dir / "full_dump.sql").read_text()
    assert "\n\\b\n" in full and "\n\\connect other\n" in full and "\n\\q\n" in full and "\n\\echo second" in full
    # pg_dump 15.14+ brackets the dump with \restrict/\unrestrict KEY; those lines are gone.
    assert {ln for ln in full.splitlines() if ln.startswith(("\\restrict", "\\unrestrict"))} == {
        "\\restrict not-a-key';", "\\unrestrict y'::text $$;"}
    objects = {o.name: o.sql for o in load_manifest(schema_dir / "objects.json").objects}
    assert "\n\\restrict not-a-key';" in objects["plpg()"]
    store = open_store(target)
    store.set_phase_status(mid, Phase.ANALYZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(mid, Phase.ANALYZE_SCHEMA, PhaseStatus.COMPLETED)
    imported = run_step(target, mid, Phase.IMPORT_SCHEMA, options=opts)
    assert imported.metadata["failed"] == 0, imported.metadata
    assert definitions(target) == definitions(source)
    assert fetch(target, "SELECT app.plpg(), app.plain(), app.quoted()") == [
        ("a\n\\b\n\\restrict not-a-key", "x\n\\connect other\n\\unrestrict y", "one\n\\q\ntwo")]


@pytest.mark.parametrize("inside", [
    "CREATE FUNCTION f() RETURNS text AS $x$\n\\restrict k\n$x$;",
    "CREATE VIEW v AS SELECT E'it\\'s\n\\restrict k\n'::text;",
    "CREATE VIEW v AS SELECT 'a''\n\\restrict k\n'::text;",
    'CREATE TABLE "odd\n\\restrict k\n" (id int);',
    "CREATE TABLE t (id int)\n\\restrict k\n;",
    "/* a /* nested */\n\\restrict k\n*/ SELECT 1;",
])
def test_meta_command_lines_inside_a_statement_are_kept(inside: str) -> None:
    dump = f"--\n\\restrict KEY\n\nSET x = 1;\n{inside}\n\n\\unrestrict KEY\n\\connect db\n"
    assert strip_meta_commands(dump) == f"--\n\nSET x = 1;\n{inside}\n\n"


def test_a_locked_table_fails_export_with_one_clear_line(make_db: Callable[[str], ConnectionParams],
                                                         tmp_path: Path) -> None:
    source, target = make_db("src"), make_db("tgt")
    execute(source, "CREATE SCHEMA app; CREATE TABLE app.busy (id int);")
    mid = register(source, target, schemas=["app"]).migration_uuid
    opts = {"export_dir": str(tmp_path / "exp"), "lock_wait_timeout": 1}
    with psycopg.connect(**connect_kwargs(source)) as holder:  # type: ignore[arg-type]
        # Without a bound on pg_dump's wait this lock would end only with the holder's idle timeout (and the test
        # would then fail on the missing error instead of hanging).
        holder.execute("SET idle_in_transaction_session_timeout = '30s'")
        holder.execute("LOCK TABLE app.busy IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(VoyagerError) as info:
            run_step(target, mid, Phase.EXPORT_SCHEMA, options=opts)
    assert str(info.value) == ("a table is locked on the source: pg_dump waited longer than --lock-wait-timeout for "
                               "app.busy (another session holds a conflicting lock); run export schema again once "
                               "it is released")
    assert open_store(target).snapshot(mid).phase(Phase.EXPORT_SCHEMA).status == PhaseStatus.FAILED
    assert run_step(target, mid, Phase.EXPORT_SCHEMA, options=opts).metadata["objects"] >= 2


def test_a_lock_wait_timeout_of_zero_is_refused(make_db: Callable[[str], ConnectionParams], tmp_path: Path) -> None:
    source, target = make_db("src"), make_db("tgt")
    execute(source, "CREATE SCHEMA app;")
    mid = register(source, target, schemas=["app"]).migration_uuid
    with pytest.raises(VoyagerError, match=r"^--lock-wait-timeout 0: must be more than 0 seconds$"):
        run_step(target, mid, Phase.EXPORT_SCHEMA, options={"export_dir": str(tmp_path / "exp"),
                                                          "lock_wait_timeout": 0})
