"""`analyze schema` end to end: a planted source on the real PostgreSQL service, real pg_dump, run_step."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import connect_kwargs
from tests.helpers import register, target_conn
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.models import MigrationRecord
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.pipeline.analyze_schema import default_target_version
from voyager_tui.engine.schema.manifest import SchemaManifest, SchemaObject, write_manifest
from voyager_tui.engine.state_store import StateStore
from voyager_tui.engine.steps import run_step
from voyager_tui.engine.yb_versions import LATEST_STABLE

PLANTED = """
CREATE EXTENSION citext;
CREATE EXTENSION btree_gist;
CREATE EXTENSION lo;
CREATE EXTENSION pg_surgery;
CREATE EXTENSION postgres_fdw;
CREATE TYPE public.address AS (street text, city text);
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.doc AS jsonb;
CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE public.customers (
    email public.citext PRIMARY KEY, name text COMPRESSION pglz,
    full_name text GENERATED ALWAYS AS (upper(name)) STORED,
    home public.address, profile public.doc, tags text[], ip inet, mood public.mood
) WITH (fillfactor = 70);
ALTER TABLE public.customers ALTER COLUMN name SET (n_distinct = 100);
ALTER TABLE public.customers ALTER COLUMN name SET STATISTICS 500;
CREATE UNLOGGED TABLE public.scratch (id int PRIMARY KEY, note text);
CREATE TABLE public.docs (id bigint PRIMARY KEY, body xml, tx xid, lsn pg_lsn, snap txid_snapshot,
    spans int4multirange, blob public.lo, loc point, during tstzrange, search tsvector, keywords tsvector,
    wait interval, CONSTRAINT docs_search_key UNIQUE NULLS NOT DISTINCT (search));
CREATE TABLE public.bookings (id int, room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));
CREATE TABLE public.accounts (id int, code text UNIQUE DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE public.parent (id int, kind text);
CREATE TABLE public.child (extra text) INHERITS (public.parent);
CREATE TABLE public.events (id bigint, created date, payload jsonb, PRIMARY KEY (id, created))
    PARTITION BY RANGE (created);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.event_refs (id int PRIMARY KEY, event_id bigint, created date,
    FOREIGN KEY (event_id, created) REFERENCES public.events (id, created));
CREATE INDEX docs_loc_gist ON public.docs USING gist (loc);
CREATE INDEX docs_id_brin ON public.docs USING brin (id);
CREATE INDEX docs_loc_spgist ON public.docs USING spgist (loc);
CREATE INDEX docs_search_gin ON public.docs USING gin (search, keywords) WITH (fastupdate = off);
CREATE INDEX customers_ip_idx ON public.customers (ip) WITH (fillfactor = 80);
CREATE INDEX customers_tags_idx ON public.customers (tags);
CREATE INDEX customers_home_idx ON public.customers (home);
CREATE INDEX docs_wait_idx ON public.docs (wait);
CREATE INDEX customers_profile_idx ON public.customers ((profile));
CLUSTER public.docs USING docs_wait_idx;
CREATE VIEW public.v_customers WITH (security_invoker = true) AS SELECT email, name FROM public.customers;
CREATE VIEW public.v_docs AS SELECT id FROM public.docs WHERE id > 0 WITH CHECK OPTION;
CREATE FUNCTION public.add_one(i int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT i + 1; END;
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION public.count_matches(t text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  SELECT regexp_count(t, 'a') INTO n;
  PERFORM pg_advisory_lock(42);
  RETURN n;
END $$;
CREATE CONSTRAINT TRIGGER accounts_check AFTER INSERT ON public.accounts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER scratch_batch AFTER INSERT ON public.scratch REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit();
CREATE TRIGGER events_before BEFORE INSERT ON public.events FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE RULE scratch_rule AS ON UPDATE TO public.scratch DO INSTEAD NOTHING;
ALTER TABLE public.scratch DISABLE RULE scratch_rule;
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_owner ON public.accounts TO postgres USING (true);
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost', dbname 'x');
CREATE FOREIGN TABLE public.remote_items (id int, name text) SERVER remote OPTIONS (table_name 'items');
"""

TOC_HEADER = re.compile(r"^-- Name: (?P<name>.+?); Type: (?P<type>.+?); Schema: (?P<schema>\S+); Owner:.*$",
                        re.MULTILINE)


def pg_dump_schema(params: ConnectionParams) -> str:
    return subprocess.run(["pg_dump", "-h", params.host, "-p", str(params.port), "-U", params.user,
                           "--schema-only", params.dbname], capture_output=True, text=True, check=True).stdout


def dump_to_manifest(dump: str) -> SchemaManifest:
    """The minimal export: one object per pg_dump TOC entry (the `-- Name: ...; Type: ...` headers)."""
    heads = list(TOC_HEADER.finditer(dump))
    objects = []
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = dump[head.end():following.start() if following else len(dump)]
        sql = "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip()
        if sql:
            objects.append(SchemaObject(type=head["type"], schema=None if head["schema"] == "-" else head["schema"],
                                        name=head["name"], file="schema.sql", sql=sql))
    version = re.search(r"^-- Dumped from database version (.+)$", dump, re.MULTILINE)
    return SchemaManifest(source_version=f"PostgreSQL {version.group(1)}" if version else None, objects=objects)


@pytest.fixture
def exported(make_db: Callable[[str], ConnectionParams], target_db: ConnectionParams,
             tmp_path: Path) -> tuple[MigrationRecord, Path, SchemaManifest]:
    """A registered migration whose export schema is done: the manifest of the planted source is in place."""
    source = make_db("anasrc")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(PLANTED)
    mig = register(source, target_db, name="analyze")
    export_dir = tmp_path / "export"
    manifest = dump_to_manifest(pg_dump_schema(source))
    write_manifest(export_dir / "schema" / "objects.json", manifest)
    with target_conn(target_db) as conn:
        store = StateStore(conn)
        store.set_phase_status(mig.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
        store.set_phase_status(mig.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.COMPLETED)
    return mig, export_dir, manifest


def stored_reports(target: ConnectionParams, mig: MigrationRecord) -> list[tuple[int, dict[str, Any]]]:
    with target_conn(target) as conn:
        rows = conn.execute("""SELECT report_version, report_data FROM ybvoyager.reports
                               WHERE migration_uuid = %s AND report_type = 'schema_analysis'
                               ORDER BY report_version""", (mig.migration_uuid,)).fetchall()
    return [(int(r[0]), dict(r[1])) for r in rows]


class Progress:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None:
        self.messages.append(message)


def test_analyze_schema_end_to_end(exported: tuple[MigrationRecord, Path, SchemaManifest],
                                   target_db: ConnectionParams) -> None:
    mig, export_dir, manifest = exported
    assert len(manifest.objects) > 40 and manifest.source_version and manifest.source_version.startswith(
        "PostgreSQL 15")
    progress = Progress()
    state = run_step(target_db, mig.migration_uuid, Phase.ANALYZE_SCHEMA, reporter=progress,
                     options={"export_dir": str(export_dir)})

    assert state.status == PhaseStatus.COMPLETED
    html_path = export_dir / "reports" / "schema_analysis.html"
    json_path = export_dir / "reports" / "schema_analysis.json"
    report = json.loads(json_path.read_text())
    levels = report["summary"]["by_impact"]
    n = report["summary"]["total_issues"]
    assert state.metadata["issues"] == n == len(report["issues"])
    assert state.metadata["summary"] == (
        f"{n} issues ({levels['LEVEL_3']} L3, {levels['LEVEL_2']} L2, {levels['LEVEL_1']} L1) "
        f"for YugabyteDB {LATEST_STABLE}; report: {html_path}")
    assert report["target_db_version"] == LATEST_STABLE  # the target is vanilla PostgreSQL: latest stable
    found = {(i["issue_type"], i["object_name"]) for i in report["issues"]}
    assert {("UNSUPPORTED_GIST_INDEX_METHOD", "docs_loc_gist ON public.docs"),
            ("DEFERRABLE_CONSTRAINTS", "public.accounts"), ("INHERITANCE", "public.child"),
            ("UNSUPPORTED_DATATYPE_XML", "public.docs"), ("POLICY_WITH_ROLES", "accounts_owner ON public.accounts"),
            ("FOREIGN_TABLE", "public.remote_items"), ("UNSUPPORTED_EXTENSION", "pg_surgery")} <= found
    resolved = {(i["issue_type"], i["object_name"]) for i in report["resolved_by_target"]}
    assert {("STORED_GENERATED_COLUMNS", "public.customers"), ("UNLOGGED_TABLES", "public.scratch"),
            ("ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "public.events")} <= resolved
    assert report["parse_errors"] == []  # the \restrict lines of pg_dump 15.14+ are stripped

    assert stored_reports(target_db, mig) == [(1, report)]
    html = html_path.read_text()
    assert "docs_loc_gist ON public.docs" in html and f"YugabyteDB {LATEST_STABLE}" in html
    assert progress.messages[-1] == f"{n} issues found"

    # What-if for an older target: a second version of the report, with the PG12+ features reported.
    state = run_step(target_db, mig.migration_uuid, Phase.ANALYZE_SCHEMA,
                     options={"export_dir": str(export_dir), "target_db_version": "2024.1"})
    reports = stored_reports(target_db, mig)
    assert [v for v, _ in reports] == [1, 2]
    older = reports[1][1]
    assert older["target_db_version"] == "2024.1" and state.metadata["issues"] == older["summary"]["total_issues"]
    older_found = {(i["issue_type"], i["object_name"]) for i in older["issues"]}
    assert {("STORED_GENERATED_COLUMNS", "public.customers"), ("UNLOGGED_TABLES", "public.scratch")} <= older_found
    assert older["summary"]["total_issues"] > n
    assert "for YugabyteDB 2024.1;" in state.metadata["summary"]
    assert json.loads(json_path.read_text()) == older


def test_a_bad_target_version_is_refused_before_the_step_starts(
        exported: tuple[MigrationRecord, Path, SchemaManifest], target_db: ConnectionParams) -> None:
    mig, export_dir, _ = exported
    with pytest.raises(VoyagerError, match="--target-db-version: not a YugabyteDB version"):
        run_step(target_db, mig.migration_uuid, Phase.ANALYZE_SCHEMA,
                 options={"export_dir": str(export_dir), "target_db_version": "15.4"})
    with target_conn(target_db) as conn:
        assert StateStore(conn).snapshot(mig.migration_uuid).phase(Phase.ANALYZE_SCHEMA).status == (
            PhaseStatus.NOT_STARTED)


def test_missing_manifest_fails_the_step(exported: tuple[MigrationRecord, Path, SchemaManifest],
                                         target_db: ConnectionParams) -> None:
    mig, export_dir, _ = exported
    (export_dir / "schema" / "objects.json").unlink()
    with pytest.raises(VoyagerError, match="run export schema first"):
        run_step(target_db, mig.migration_uuid, Phase.ANALYZE_SCHEMA, options={"export_dir": str(export_dir)})
    with target_conn(target_db) as conn:
        phase = StateStore(conn).snapshot(mig.migration_uuid).phase(Phase.ANALYZE_SCHEMA)
    assert phase.status == PhaseStatus.FAILED and "run export schema first" in (phase.error_message or "")
    assert stored_reports(target_db, mig) == []


def test_default_version_follows_a_yugabytedb_target(
        exported: tuple[MigrationRecord, Path, SchemaManifest]) -> None:
    mig, _, _ = exported
    assert default_target_version(mig) == LATEST_STABLE
    yb = mig.model_copy(update={"target_db_type": "yugabytedb",
                                "target_db_version": "PostgreSQL 15.12-YB-2025.1.2.0-b0 on x86_64-pc-linux-gnu"})
    assert default_target_version(yb) == "2025.1.2.0"
    old = mig.model_copy(update={"target_db_version": "PostgreSQL 11.2-YB-2024.2.3.0-b0"})
    assert default_target_version(old) == "2024.2.3.0"
