"""AI suggestions against the real PostgreSQL target: rule fixes validate, wrong ones fail, nothing persists."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.helpers import open_store, register, target_conn
from voyager_tui.engine.ai.models import Decision, Problem, Suggestion, ValidationStatus
from voyager_tui.engine.ai.rules import suggest
from voyager_tui.engine.ai.store import decide, list_suggestions, save_suggestions, update_suggested_sql
from voyager_tui.engine.ai.validate import validate
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError

# (object type, issue type, the failed DDL, objects it depends on that the target must have)
FAILED: list[tuple[str, str, str, list[str]]] = [
    ("INDEX", "UNSUPPORTED_BRIN_INDEX_METHOD",
     "CREATE INDEX events_ts ON public.events USING brin (created_at) WITH (pages_per_range = 32)",
     ["CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)"]),
    ("INDEX", "UNSUPPORTED_GIST_INDEX_METHOD", "CREATE INDEX booking_during ON public.booking USING gist (during)",
     ["CREATE TABLE public.booking (room int, during tsrange)"]),
    ("INDEX", "UNSUPPORTED_SPGIST_INDEX_METHOD", "CREATE INDEX rooms_code ON public.rooms USING spgist (code)",
     ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
    ("TABLE", "DEFERRABLE_CONSTRAINTS",
     "CREATE TABLE public.seats (id int PRIMARY KEY, n int UNIQUE DEFERRABLE INITIALLY DEFERRED, "
     "room int REFERENCES public.rooms (id) DEFERRABLE, UNIQUE (id, n) DEFERRABLE)",
     ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
    ("TABLE", "STORAGE_PARAMETERS",
     "CREATE TABLE public.big (id int PRIMARY KEY WITH (fillfactor = 80), v text) WITH (fillfactor = 70)", []),
    ("TABLE", "UNLOGGED_TABLES", "CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY DEFAULT 'x', v jsonb)", []),
    ("TABLE", "STORED_GENERATED_COLUMNS",
     'CREATE TABLE public.orders (id serial PRIMARY KEY, qty int, price numeric, '
     '"Total" numeric GENERATED ALWAYS AS (qty * price) STORED)', []),
    ("TABLE", "PK_UK_ON_JSONB_DATATYPE", "CREATE TABLE public.docs_by_body (body jsonb PRIMARY KEY, n int)", []),
    ("INDEX", "INDEX_ON_INET_DATATYPE", "CREATE INDEX hosts_addr ON public.hosts (addr)",
     ["CREATE TABLE public.hosts (addr inet, port int)"]),
    ("TABLE", "EXCLUSION_CONSTRAINTS",
     "CREATE TABLE public.reservations (room int, during tsrange, EXCLUDE USING gist (during WITH &&))", []),
    ("TABLE", "ALTER_TABLE_CLUSTER_ON", "ALTER TABLE public.events CLUSTER ON events_pkey",
     ["CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)"]),
    ("INDEX", "MULTI_COLUMN_GIN_INDEX", "CREATE INDEX docs_search ON public.docs USING gin (tsv, tags)",
     ["CREATE TABLE public.docs (id int, tsv tsvector, tags text[])"]),
    ("TABLE", "ALTER_TABLE_DISABLE_RULE", "ALTER TABLE public.events DISABLE RULE events_no_negative",
     ["CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)",
      "CREATE RULE events_no_negative AS ON INSERT TO public.events WHERE new.id < 0 DO INSTEAD NOTHING"]),
    ("VIEW", "SECURITY_INVOKER_VIEWS",
     "CREATE VIEW public.room_codes WITH (security_invoker = true) AS SELECT id, code FROM public.rooms",
     ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
    ("VIEW", "VIEW_WITH_CHECK_OPTION",
     "CREATE VIEW public.big_rooms AS SELECT id, code FROM public.rooms WHERE id > 100 WITH CASCADED CHECK OPTION",
     ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
    ("COLLATION", "DETERMINISTIC_OPTION_WITH_COLLATION",
     "CREATE COLLATION public.und_icu (provider = icu, locale = 'und', deterministic = true)", []),
    ("FUNCTION", "SQL_BODY_IN_FUNCTION",
     "CREATE FUNCTION public.add_one(a int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + 1", []),
    ("FUNCTION", "SQL_BODY_IN_FUNCTION",
     "CREATE FUNCTION public.room_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM public.rooms; "
     "END", ["CREATE TABLE public.rooms (id int PRIMARY KEY, code text)"]),
    ("TABLE", "UNIQUE_NULLS_NOT_DISTINCT",
     "CREATE TABLE public.slots (a int, b text, CONSTRAINT slots_ab UNIQUE NULLS NOT DISTINCT (a, b))", []),
    ("TABLE", "INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION",
     "CREATE TABLE public.measures (id int PRIMARY KEY, taken date, v numeric) PARTITION BY RANGE (taken)", []),
    ("FOREIGN TABLE", "CONSTRAINT_ON_FOREIGN_TABLE",
     "CREATE FOREIGN TABLE public.remote_items (id int PRIMARY KEY, name text) SERVER voyager_remote",
     ["CREATE FOREIGN DATA WRAPPER voyager_fdw", "CREATE SERVER voyager_remote FOREIGN DATA WRAPPER voyager_fdw"]),
    ("INDEX", "DROP_MULTIPLE_OBJECTS", "DROP INDEX public.hosts_a, public.hosts_p",
     ["CREATE TABLE public.hosts (addr inet, port int)", "CREATE INDEX hosts_a ON public.hosts (port)",
      "CREATE INDEX hosts_p ON public.hosts (port, addr)"]),
    ("SCHEMA", "CREATE_SCHEMA_WITH_ELEMENTS",
     "CREATE SCHEMA shop CREATE TABLE items (id int PRIMARY KEY, price numeric) "
     "CREATE TABLE lines (item int REFERENCES items, qty int) CREATE VIEW cheap AS SELECT id FROM items "
     "WHERE price < 10", []),
    ("TABLE", "WITH_OIDS", "CREATE TABLE public.legacy (id int, v text) WITH OIDS", []),
    ("TABLE", "ALTER_TABLE_OF", "ALTER TABLE public.events OF event_type",
     ["CREATE TABLE public.events (id int PRIMARY KEY, created_at timestamptz)"]),
]


def _objects(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        """SELECT 'rel:' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public'
           UNION ALL SELECT 'proc:' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'public'
           UNION ALL SELECT 'trigger:' || tgname FROM pg_trigger WHERE NOT tgisinternal""").fetchall()
    return {r[0] for r in rows}


def _problem(object_type: str, issue: str, ddl: str) -> Problem:
    return Problem(object_type=object_type, object_name=ddl.split()[2], issue_type=issue, original_sql=ddl)


def test_rule_suggestions_for_a_failed_sql_all_validate_and_leave_nothing(target_db: ConnectionParams) -> None:
    conn = target_conn(target_db)
    before = _objects(conn)
    assert len({issue for _, issue, _, _ in FAILED}) >= 8
    for object_type, issue, ddl, setup in FAILED:
        s = suggest(_problem(object_type, issue, ddl))
        assert s is not None, issue
        assert s.suggested_sql != ddl
        checked = validate(conn, s, setup_sql=setup)
        assert checked.validation_status == ValidationStatus.VALID, f"{issue}: {checked.validation_evidence}"
        assert "rolled back" in checked.validation_evidence
        if s.suggested_sql:
            assert s.suggested_sql.splitlines()[0] in checked.validation_evidence
    assert _objects(conn) == before  # nothing persisted: no table, index, function or trigger
    assert not conn.info.transaction_status  # idle, no transaction left open


def test_suggestion_the_target_rejects_is_invalid(target_db: ConnectionParams) -> None:
    conn = target_conn(target_db)
    bad = Suggestion(object_type="INDEX", object_name="x", issue_type="UNSUPPORTED_BRIN_INDEX_METHOD",
                     original_sql="", suggested_sql="CREATE INDEX x ON public.events USING hash (id, created_at)",
                     reason="wrong on purpose", provider="rules")
    got = validate(conn, bad, setup_sql=["CREATE TABLE public.events (id int, created_at timestamptz)"])
    assert got.validation_status == ValidationStatus.INVALID
    assert "access method \"hash\" does not support multicolumn indexes" in got.validation_evidence


def test_wrong_suggestion_is_invalid_with_the_targets_error(target_db: ConnectionParams) -> None:
    conn = target_conn(target_db)
    before = _objects(conn)
    wrong = Suggestion(object_type="INDEX", object_name="public.events_ts", issue_type="UNSUPPORTED_BRIN_INDEX_METHOD",
                       original_sql="CREATE INDEX events_ts ON public.events USING brin (created_at)",
                       suggested_sql="CREATE INDEX events_ts ON public.events (created_on)",
                       reason="misspelt column", provider="llm", model="test")
    got = validate(conn, wrong, setup_sql=["CREATE TABLE public.events (id int, created_at timestamptz)"])
    assert got.validation_status == ValidationStatus.INVALID
    assert 'column "created_on" does not exist' in got.validation_evidence
    assert "CREATE INDEX events_ts ON public.events (created_on)" in got.validation_evidence
    assert _objects(conn) == before


def test_smoke_check_catches_a_trigger_that_breaks_inserts(target_db: ConnectionParams) -> None:
    """The statements run, but the probe row fails: validation must say INVALID, with the smoke check's error."""
    conn = target_conn(target_db)
    s = suggest(_problem("TABLE", "STORED_GENERATED_COLUMNS",
                         "CREATE TABLE public.t (id serial PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a / 0) "
                         "STORED)"))
    assert s is not None
    got = validate(conn, s)
    # a / 0 with a NULL a is NULL, so the probe passes; with a default of 1 it divides by zero
    assert got.validation_status == ValidationStatus.VALID
    broken = s.model_copy(update={"suggested_sql": s.suggested_sql.replace("a integer", "a integer DEFAULT 1")})
    got = validate(conn, broken)
    assert got.validation_status == ValidationStatus.INVALID, got.validation_evidence
    assert "division by zero" in got.validation_evidence


def test_generated_column_trigger_computes_the_value(target_db: ConnectionParams) -> None:
    conn = target_conn(target_db)
    s = suggest(_problem("TABLE", "STORED_GENERATED_COLUMNS",
                         'CREATE TABLE public.orders (id int PRIMARY KEY, qty int, price numeric, '
                         '"Total" numeric GENERATED ALWAYS AS (qty * price) STORED)'))
    assert s is not None
    with conn.transaction(force_rollback=True):
        conn.execute(s.suggested_sql.encode())
        conn.execute("INSERT INTO public.orders (id, qty, price) VALUES (1, 3, 2.5)")
        conn.execute("UPDATE public.orders SET qty = 4")
        row = conn.execute('SELECT "Total" FROM public.orders').fetchone()
    assert row is not None and float(row[0]) == 10.0


def test_store_round_trip_decisions_and_edits(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    conn = store.conn
    made = [suggest(_problem(o, i, d)) for o, i, d, _ in FAILED[:3]]
    proven = [validate(conn, s.model_copy(update={"migration_uuid": rec.migration_uuid}), setup_sql=setup)
              for s, (_, _, _, setup) in zip(made, FAILED[:3], strict=True) if s is not None]
    saved = save_suggestions(conn, proven)
    assert [s.suggestion_id for s in saved] == [s.suggestion_id for s in proven]
    listed = list_suggestions(conn, rec.migration_uuid)
    assert {s.suggestion_id for s in listed} == {s.suggestion_id for s in proven}
    first = next(s for s in listed if s.suggestion_id == proven[0].suggestion_id)
    assert first.caveats == proven[0].caveats and first.validation_status == ValidationStatus.VALID
    assert first.created_at is not None and first.decided_at is None
    assert list_suggestions(conn, None) == []

    accepted = decide(conn, first.suggestion_id, Decision.ACCEPTED, "alice")
    assert accepted.decision == Decision.ACCEPTED and accepted.decided_by == "alice"
    assert accepted.decided_at is not None
    rejected = decide(conn, proven[1].suggestion_id, Decision.REJECTED, "bob")
    assert rejected.decided_by == "bob"
    events = [e for e in store.events(rec.migration_uuid) if e.event_type.startswith("ai_suggestion")]
    assert [e.event_type for e in events] == ["ai_suggestion_accepted", "ai_suggestion_rejected"]
    assert "alice accepted" in events[0].message and events[0].event_data["suggestion_id"] == str(first.suggestion_id)

    edited = update_suggested_sql(conn, first.suggestion_id, "CREATE INDEX events_ts ON public.events (id)", "carol")
    assert edited.edited and edited.validation_status == ValidationStatus.PENDING
    assert edited.decision == Decision.PENDING and edited.decided_by is None and edited.validation_evidence == ""
    with pytest.raises(VoyagerError, match="validate it on the target first"):
        decide(conn, first.suggestion_id, Decision.ACCEPTED, "carol")
    again = validate(conn, edited, setup_sql=FAILED[0][3])
    assert again.validation_status == ValidationStatus.VALID
    save_suggestions(conn, [again])
    assert decide(conn, first.suggestion_id, Decision.ACCEPTED, "carol").decided_by == "carol"
    assert "ai_suggestion_edited" in [e.event_type for e in store.events(rec.migration_uuid)]


def _plain(sql: str) -> Suggestion:
    return Suggestion(object_type="TABLE", object_name="public.kept", issue_type="UNSUPPORTED_BRIN_INDEX_METHOD",
                      original_sql="", suggested_sql=sql, reason="llm style", provider="llm", model="test")


def test_begin_commit_in_a_suggestion_is_refused_and_the_connection_still_validates(
        target_db: ConnectionParams) -> None:
    """The driver sends the whole text at once, so a COMMIT in it would commit the rolled-back transaction."""
    conn = target_conn(target_db)
    before = _objects(conn)
    cases = [
        ([], "BEGIN;\nCREATE TABLE public.kept (id int);\nCOMMIT;", "transaction statement (BEGIN)"),
        ([], "START TRANSACTION; CREATE TABLE public.kept (id int); END", "transaction statement (START TRANSACTION"),
        ([], "CREATE TABLE public.kept (id int); COMMIT", "transaction statement (COMMIT)"),
        ([], "CREATE TABLE public.kept (id int); COMMIT AND CHAIN", "transaction statement (COMMIT AND CHAIN)"),
        ([], "SAVEPOINT s; CREATE TABLE public.kept (id int); RELEASE s", "transaction statement (SAVEPOINT s)"),
        ([], "CREATE TABLE public.kept (id int); PREPARE TRANSACTION 'x'", "transaction statement (PREPARE"),
        (["CREATE TABLE public.kept (id int); COMMIT"], "CREATE INDEX ON public.kept (id)",
         "setup statement 1 has a transaction statement (COMMIT)"),
        ([], "PREPARE q AS SELECT 1", "prepared statement"),
        ([], "RESET ALL", "RESET ALL"),
    ]
    for setup, text, why in cases:
        got = validate(conn, _plain(text), setup_sql=setup)
        assert got.validation_status == ValidationStatus.INVALID, text
        assert f"not run: the {'setup' if setup else 'suggested'}" in got.validation_evidence
        assert why in got.validation_evidence, got.validation_evidence
        assert "nothing was run in the target" in got.validation_evidence
        assert "rolled back" not in got.validation_evidence  # nothing ran, so nothing was rolled back
        assert conn.execute("SELECT to_regclass('public.kept')").fetchone() == (None,), text
        assert not conn.info.transaction_status
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE from_sql").fetchone() == (0,)
    assert _objects(conn) == before
    # the same connection validates the next suggestion, and its rollback still holds
    got = validate(conn, _plain("CREATE TABLE public.kept (id int)"))
    assert got.validation_status == ValidationStatus.VALID, got.validation_evidence
    assert got.validation_evidence.endswith("rolled back: nothing was kept in the target")
    assert _objects(conn) == before


def test_sql_that_ends_the_transaction_is_caught_after_it_runs(target_db: ConnectionParams) -> None:
    """Belt and braces for SQL pglast cannot parse, which is run unchecked: after every statement the transaction
    must still be validation's own. PostgreSQL parses all of pglast's grammar, so the check is driven directly."""
    from voyager_tui.engine.ai import validate as validation

    conn = target_conn(target_db)
    for text in ["CREATE TABLE public.kept (id int); COMMIT",
                 "CREATE TABLE public.kept (id int); COMMIT; BEGIN",  # in a transaction again, but a new one
                 "CREATE TABLE public.kept (id int); COMMIT; SELECT 1 / 0"]:
        evidence: list[str] = []
        with (pytest.raises(validation._Escaped, match="ended the validation's transaction"),
              conn.transaction(force_rollback=True)):
            validation._begin(conn)
            validation._run(conn, text, "suggested SQL", evidence)
        validation._settle(conn)
        assert not conn.info.transaction_status, text
        assert conn.execute("SELECT to_regclass('public.kept')").fetchone() == ("kept",)  # it did commit
        conn.execute("DROP TABLE public.kept")
    got = validate(conn, _plain("CREATE TABLE public.kept (id int)"))
    assert got.validation_status == ValidationStatus.VALID, got.validation_evidence
    assert conn.execute("SELECT to_regclass('public.kept')").fetchone() == (None,)
