"""Scratch-schema validation on the real PostgreSQL service: suggestions run in a throwaway schema inside a
transaction that is rolled back, real objects are never touched, and the scratch schema is always dropped.

PostgreSQL rolls back DDL, so comparing the real objects afterwards cannot tell a redirected statement from one
that hit the real object and was rolled back. The suggestions therefore end with guards: SELECTs that divide by
zero (making the suggestion INVALID) unless, inside the transaction, the object is in the scratch schema and the
real one is untouched."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers import target_conn
from voyager_tui.engine.ai.models import Problem, Suggestion, ValidationStatus
from voyager_tui.engine.ai.rules import suggest
from voyager_tui.engine.ai.validate import ddl_mode, ddl_rolls_back, validate
from voyager_tui.engine.connections import ConnectionParams

REAL = """
CREATE TABLE public.rooms (id int PRIMARY KEY, code text);
CREATE TABLE public.t (id serial PRIMARY KEY, v text NOT NULL DEFAULT 'x', room int REFERENCES public.rooms (id),
                       UNIQUE (v, room));
CREATE INDEX t_v_idx ON public.t (lower(v));
INSERT INTO public.rooms VALUES (1, 'a');
INSERT INTO public.t (v, room) VALUES ('one', 1), ('two', 1);
"""


def _guard(condition: str) -> str:
    """A statement that fails (division by zero) unless `condition` holds inside the validation's transaction.
    Its catalog reads stay unqualified (system schemas are never redirected)."""
    return f"SELECT 1 / ({condition})::int"


def _in_scratch(name: str) -> str:
    return _guard(f"""(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.relname = '{name}' AND n.nspname LIKE 'ybvoyager_scratch_%') = 1""")


def _real_rows(table: str, n: int) -> str:
    # query_to_xml's text is not rewritten, so this reads the real table, not its scratch copy
    return _guard(f"(xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM {table}', false, true, "
                  f"'')))[1]::text::int = {n}")


def _real_column(table: str, column: str, present: bool) -> str:
    return _guard(f"""(SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'
                       AND table_name = '{table}' AND column_name = '{column}') = {int(present)}""")


def _suggestion(sql: str, issue: str = "UNSUPPORTED_BRIN_INDEX_METHOD") -> Suggestion:
    return Suggestion(object_type="TABLE", object_name="public.t", issue_type=issue, original_sql="",
                      suggested_sql=sql, reason="test", provider="rules")


def _state(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Everything a suggestion could change about the real objects, plus any leftover scratch/probe schema."""
    def rows(query: str) -> list[tuple[Any, ...]]:
        return conn.execute(query).fetchall()
    return {
        "relations": rows("""SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'public' ORDER BY 1"""),
        "columns": rows("""SELECT table_name, column_name, data_type, is_nullable, column_default
                           FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"""),
        "indexes": rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"),
        "constraints": rows("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE connamespace = 'public'::regnamespace ORDER BY 1"),
        "triggers": rows("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"),
        "functions": rows("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"),
        "types": rows("SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace ORDER BY 1"),
        "data": rows("SELECT id, v, room FROM public.t ORDER BY id"),
        "sequence": rows("SELECT last_value, is_called FROM public.t_id_seq"),
        "schemas": rows("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ybvoyager%' ORDER BY 1"),
    }


def _real(target_db: ConnectionParams) -> psycopg.Connection[Any]:
    conn = target_conn(target_db)
    conn.execute(REAL)
    return conn


def test_changes_to_a_real_table_run_on_a_scratch_copy_and_leave_it_unchanged(target_db: ConnectionParams) -> None:
    conn = _real(target_db)
    before = _state(conn)
    cases = [
        ("ALTER TABLE public.t ADD COLUMN extra int NOT NULL DEFAULT 7, DROP COLUMN room",
         [_real_column("t", "extra", False), _real_column("t", "room", True), _in_scratch("t"),
          _real_rows("public.t", 2)]),
        ("CREATE INDEX t_room ON public.t (room, v)", [_in_scratch("t_room")]),
        ("DROP INDEX public.t_v_idx", [_guard("to_regclass('public.t_v_idx') IS NOT NULL")]),
        ("ALTER TABLE public.t CLUSTER ON t_pkey", [_guard("NOT (SELECT indisclustered FROM pg_index "
                                                           "WHERE indexrelid = to_regclass('public.t_pkey'))")]),
        ("ALTER TABLE t ALTER COLUMN v TYPE varchar(10)",  # unqualified: resolved through the search_path
         [_guard("(SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' "
                 "AND table_name = 't' AND column_name = 'v') = 'text'")]),
        ("CREATE FUNCTION public.t_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := upper(NEW.v); "
         "RETURN NEW; END $$;\nCREATE TRIGGER t_touch BEFORE INSERT ON public.t FOR EACH ROW "
         "EXECUTE FUNCTION public.t_touch()",
         [_guard("(SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass('public.t') "
                 "AND NOT tgisinternal) = 0")]),
        ("CREATE TYPE public.mood AS ENUM ('ok', 'sad');\nALTER TABLE public.t ADD COLUMN m public.mood",
         [_guard("to_regtype('public.mood') IS NULL"), _real_column("t", "m", False)]),
        ("CREATE TABLE public.child (id int PRIMARY KEY, t_id int REFERENCES public.t (id))",
         [_in_scratch("child"), _guard("to_regclass('public.child') IS NULL")]),
    ]
    for ddl, guards in cases:
        text = ";\n".join([ddl, *guards])
        got = validate(conn, _suggestion(text), mode="scratch")
        assert got.validation_status == ValidationStatus.VALID, f"{text}\n{got.validation_evidence}"
        evidence = got.validation_evidence
        assert "mode: scratch schema ybvoyager_scratch_" in evidence
        assert "dropped: nothing was kept in the target" in evidence
        assert "function bodies are not rewritten" in evidence
        assert _state(conn) == before, text  # table, index, data, serial sequence and schemas all as they were
    assert not conn.info.transaction_status
    evidence = validate(conn, _suggestion(cases[0][0]), mode="scratch").validation_evidence
    assert "-- scratch copy of public.t (structure only, no rows)" in evidence
    assert "LIKE \"public\".\"t\" INCLUDING ALL EXCLUDING INDEXES" in evidence
    assert "ALTER TABLE ybvoyager_scratch_" in evidence  # the statement that ran names the scratch schema
    # the probe row went into the copy: its serial default was moved off the real sequence
    insert = validate(conn, _suggestion("CREATE TABLE public.probe_me (id serial PRIMARY KEY, t_id int "
                                        "DEFAULT nextval('public.t_id_seq'))"), mode="scratch")
    assert insert.validation_status == ValidationStatus.VALID, insert.validation_evidence
    assert "ok: probe row" in insert.validation_evidence
    assert _state(conn) == before


def test_a_failing_suggestion_in_scratch_mode_drops_the_schema_and_keeps_the_real_table(
        target_db: ConnectionParams) -> None:
    conn = _real(target_db)
    before = _state(conn)
    wrong = "ALTER TABLE public.t ADD COLUMN ok int;\nCREATE INDEX t_bad ON public.t (no_such_column)"
    got = validate(conn, _suggestion(wrong), mode="scratch")
    assert got.validation_status == ValidationStatus.INVALID
    assert 'column "no_such_column" does not exist' in got.validation_evidence
    assert "dropped: nothing was kept in the target" in got.validation_evidence
    # the statements ran and the smoke check failed: a trigger that breaks inserts into the copy
    breaks = ("CREATE FUNCTION public.no() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'refused'; END $$;\n"
              "CREATE TABLE public.t2 (id int);\n"
              "CREATE TRIGGER no BEFORE INSERT ON public.t2 FOR EACH ROW EXECUTE FUNCTION public.no()")
    got = validate(conn, _suggestion(breaks), mode="scratch")
    assert got.validation_status == ValidationStatus.INVALID, got.validation_evidence
    assert "refused" in got.validation_evidence
    assert _state(conn) == before


def test_statements_scratch_mode_cannot_redirect_are_not_run(target_db: ConnectionParams) -> None:
    conn = _real(target_db)
    before = _state(conn)
    for text, why in [("DO $$ BEGIN EXECUTE 'DROP TABLE public.t CASCADE'; END $$", "DoStmt"),
                      ("TRUNCATE public.t", "TruncateStmt"),
                      ("COMMENT ON TABLE public.t IS 'x'", "CommentStmt"),
                      ("CREATE INDEX i ON public.t (v", "cannot parse")]:
        got = validate(conn, _suggestion(text), mode="scratch")
        assert got.validation_status == ValidationStatus.INVALID
        assert "not run: " in got.validation_evidence and why in got.validation_evidence
        assert "ybvoyager_scratch_" in got.validation_evidence  # says which mode, though no schema was made
    assert _state(conn) == before


def test_rule_suggestions_with_their_setup_validate_in_scratch_mode(target_db: ConnectionParams) -> None:
    """The setup's tables are created in the scratch schema too, never in public."""
    conn = target_conn(target_db)
    before = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()
    cases = [
        ("INDEX", "UNSUPPORTED_BRIN_INDEX_METHOD", "CREATE INDEX events_ts ON public.events USING brin (created_at)",
         ["CREATE SCHEMA IF NOT EXISTS public",
          "CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)"]),
        ("TABLE", "DEFERRABLE_CONSTRAINTS",
         "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE DEFERRABLE INITIALLY DEFERRED, "
         "room int REFERENCES public.rooms (id) DEFERRABLE, UNIQUE (id, n) DEFERRABLE)",
         ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
        ("TABLE", "STORED_GENERATED_COLUMNS",
         "CREATE TABLE public.orders (id serial PRIMARY KEY, qty int, price numeric, "
         '"Total" numeric GENERATED ALWAYS AS (qty * price) STORED)', []),
        ("TABLE", "ALTER_TABLE_CLUSTER_ON", "ALTER TABLE public.events CLUSTER ON events_pkey",
         ["CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)"]),
    ]
    for object_type, issue, ddl, setup in cases:
        s = suggest(Problem(object_type=object_type, object_name=ddl.split()[2], issue_type=issue, original_sql=ddl))
        assert s is not None, issue
        got = validate(conn, s, setup_sql=setup, mode="scratch")
        assert got.validation_status == ValidationStatus.VALID, f"{issue}: {got.validation_evidence}"
        assert "validated in scratch schema ybvoyager_scratch_" in got.validation_evidence
    assert "skipped in the setup statement 1: CREATE SCHEMA public" in validate(
            conn, _suggestion(""), setup_sql=cases[0][3], mode="scratch").validation_evidence
    after = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()
    assert after == before
    assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ybvoyager_scratch_%'").fetchone() == (0,)


def test_postgresql_rolls_back_ddl_so_auto_mode_uses_rollback(target_db: ConnectionParams) -> None:
    conn = target_conn(target_db)
    assert ddl_rolls_back(conn)  # the probe itself: its schema and table are gone after the rollback
    probes = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ybvoyager_ddlprobe_%'"
    assert conn.execute(probes).fetchone() == (0,)
    assert ddl_mode(conn) == "rollback"
    got = validate(conn, _suggestion("CREATE TABLE public.x (id int)"))
    assert got.validation_status == ValidationStatus.VALID
    assert "rolled back: nothing was kept in the target" in got.validation_evidence
    assert "scratch" not in got.validation_evidence
    assert conn.execute("SELECT to_regclass('public.x')").fetchone() == (None,)


def test_guards_fail_when_the_real_object_is_the_one_changed(target_db: ConnectionParams) -> None:
    """The guards above can fail: in rollback mode nothing is redirected, so each one divides by zero."""
    conn = _real(target_db)
    for text in ["DELETE FROM public.t;\n" + _real_rows("public.t", 2),
                 "CREATE TABLE public.child (id int);\n" + _in_scratch("child"),
                 "ALTER TABLE public.t ADD COLUMN extra int;\n" + _real_column("t", "extra", False)]:
        got = validate(conn, _suggestion(text), mode="rollback")
        assert got.validation_status == ValidationStatus.INVALID, text
        assert "division by zero" in got.validation_evidence


def test_cte_names_and_names_the_sql_creates_never_reach_real_objects(target_db: ConnectionParams) -> None:
    conn = _real(target_db)
    conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY);\n"
                 "INSERT INTO public.orders SELECT generate_series(1, 5)")
    before = _state(conn)
    intact = [_real_rows("public.orders", 5), _guard("to_regclass('public.orders') IS NOT NULL")]
    cases: list[tuple[list[str], str, str]] = [
        # a CTE never stands in for a DML target: the DELETE goes to the scratch copy of the real table
        ([], "WITH orders AS (SELECT 1) DELETE FROM orders", "DELETE FROM ybvoyager_scratch_"),
        ([], "WITH orders AS (SELECT 1 AS id) UPDATE orders SET id = orders.id + 10 FROM orders AS o WHERE o.id = 1",
         "UPDATE ybvoyager_scratch_"),
        (["CREATE TABLE orders (id int)"], "DROP TABLE orders", "DROP TABLE ybvoyager_scratch_"),
        (["CREATE TABLE orders (id int)"], "INSERT INTO orders VALUES (99)", "INSERT INTO ybvoyager_scratch_"),
        (["CREATE TABLE orders (id int)"], "DELETE FROM orders", "DELETE FROM ybvoyager_scratch_"),
        # read positions: the CTE is what the SELECT means, so its name stays as written
        ([], "CREATE VIEW public.v AS WITH orders AS (SELECT 1 AS id) SELECT id FROM orders",
         "WITH orders AS (SELECT 1 AS id) SELECT id FROM orders"),
    ]
    for setup, text, ran in cases:
        got = validate(conn, _suggestion(";\n".join([text, *intact])), setup_sql=setup, mode="scratch")
        assert got.validation_status == ValidationStatus.VALID, f"{text}\n{got.validation_evidence}"
        assert ran in got.validation_evidence, got.validation_evidence
        assert "rolled back and dropped: nothing was kept in the target" in got.validation_evidence
        assert _state(conn) == before, text
    assert conn.execute("SELECT count(*) FROM public.orders").fetchone() == (5,)


def test_set_reset_set_config_and_transaction_statements_are_refused_and_the_session_is_unchanged(
        target_db: ConnectionParams) -> None:
    conn = _real(target_db)
    settings = "SELECT current_setting('search_path'), current_setting('session_replication_role'), " \
               "current_setting('statement_timeout')"
    before, session = _state(conn), conn.execute(settings).fetchone()
    cases = [
        ([], "SET search_path = public; CREATE TABLE leaked (id int)", "SET search_path"),
        (["CREATE TABLE orders (id int)"], "SET search_path = public; DROP TABLE t", "SET search_path"),
        ([], "SET session_replication_role = replica; CREATE TABLE leaked (id int)", "SET session_replication_role"),
        ([], "SET LOCAL search_path = public; CREATE TABLE leaked (id int)", "SET LOCAL search_path"),
        ([], "RESET search_path; CREATE TABLE leaked (id int)", "RESET search_path"),
        (["SET search_path = public"], "CREATE TABLE leaked (id int)", "setup statement 1 has SET"),
        ([], "SELECT set_config('search_path', 'public', false); CREATE TABLE leaked (id int)", "set_config()"),
        ([], "SELECT pg_advisory_lock(42)", "pg_advisory_lock()"),
        ([], "BEGIN; CREATE TABLE leaked (id int); COMMIT", "transaction statement (BEGIN)"),
        ([], "CREATE TABLE leaked (id int); COMMIT", "transaction statement (COMMIT)"),
    ]
    for setup, text, why in cases:
        got = validate(conn, _suggestion(text), setup_sql=setup, mode="scratch")
        assert got.validation_status == ValidationStatus.INVALID, text
        assert "not run: " in got.validation_evidence and why in got.validation_evidence, got.validation_evidence
        assert "ok: " not in got.validation_evidence  # nothing ran
        assert conn.execute(settings).fetchone() == session, text
        assert conn.execute("SELECT pg_try_advisory_lock_shared(42)").fetchone() == (True,)
        conn.execute("SELECT pg_advisory_unlock_shared(42)")
        assert _state(conn) == before, text
    assert not conn.info.transaction_status
    # the same connection still validates the next suggestion
    got = validate(conn, _suggestion("CREATE TABLE public.fine (id int)"), mode="scratch")
    assert got.validation_status == ValidationStatus.VALID, got.validation_evidence
    assert _state(conn) == before
