"""generate-report end to end: a planted source on the real PostgreSQL service, collected by the live collector
(catalog queries and real pg_dump --schema-only), plus query-stats rows with query constructs (the service has no
pg_stat_statements preloaded, so the rows are written by tests/assessment_fixtures.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from tests.assessment_fixtures import assessment_dir, write_csv, write_metadata
from tests.conftest import connect_kwargs
from voyager_tui.cli.assessment_report import generate_report_command
from voyager_tui.engine.assessment import layout
from voyager_tui.engine.assessment.collect_pg import collect_postgresql
from voyager_tui.engine.assessment.layout import AssessmentDir
from voyager_tui.engine.assessment.metadata import read_metadata
from voyager_tui.engine.assessment.report import build_report, generate_report, load_report
from voyager_tui.engine.assessment.report_model import REPORT_VERSION, AssessmentReport
from voyager_tui.engine.assessment.sizing import ClusterRecommendation, SizingDetails
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.yb_versions import LATEST_STABLE

SOURCE = """
CREATE EXTENSION citext;
CREATE EXTENSION pg_surgery;
CREATE SCHEMA other;
CREATE TABLE other.t (id int);
CREATE TYPE public.address AS (street text, city text);
CREATE TABLE public.customers (
    email public.citext PRIMARY KEY, name text, full_name text GENERATED ALWAYS AS (upper(name)) STORED,
    home public.address, ip inet
) WITH (fillfactor = 70);
CREATE INDEX customers_ip_idx ON public.customers (ip);
CREATE UNLOGGED TABLE public.scratch (id int PRIMARY KEY, note text);
CREATE TABLE public.docs (id bigint PRIMARY KEY, body xml, spans int4multirange, loc point);
CREATE INDEX docs_loc_gist ON public.docs USING gist (loc);
CREATE TABLE public.accounts (id int, code text UNIQUE DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE public.parent (id int);
CREATE TABLE public.child (extra text) INHERITS (public.parent);
CREATE TABLE public.events (id bigint, created date, PRIMARY KEY (id, created)) PARTITION BY RANGE (created);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW public.v_docs AS SELECT id FROM public.docs WHERE id > 0 WITH CHECK OPTION;
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION public.count_matches(t text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  SELECT regexp_count(t, 'a') INTO n;
  PERFORM pg_advisory_lock(42);
  RETURN n;
END $$;
CREATE TRIGGER scratch_batch AFTER INSERT ON public.scratch REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit();
CREATE CONSTRAINT TRIGGER accounts_check AFTER INSERT ON public.accounts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER events_before BEFORE INSERT ON public.events FOR EACH ROW EXECUTE FUNCTION public.audit();
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY accounts_owner ON public.accounts TO postgres USING (true);
-- performance findings need rows and ANALYZE statistics
CREATE TABLE public.buyers (id int NOT NULL UNIQUE, name text);
CREATE TABLE public.orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES public.buyers (id), status text NOT NULL,
    region int NOT NULL, coupon text, created_at timestamptz NOT NULL);
CREATE INDEX orders_customer_idx ON public.orders (customer_id);
CREATE INDEX orders_customer_created_idx ON public.orders (customer_id, created_at);
CREATE INDEX orders_created_idx ON public.orders (created_at);
CREATE INDEX orders_region_idx ON public.orders (region);
CREATE INDEX orders_coupon_idx ON public.orders (coupon);
CREATE INDEX orders_status_region_idx ON public.orders (status, region);
CREATE TABLE public.payments (id bigint PRIMARY KEY, order_id bigint REFERENCES public.orders (id), amount numeric);
CREATE TABLE public.daily (day date PRIMARY KEY, total numeric);
INSERT INTO public.buyers SELECT g, 'buyer ' || g FROM generate_series(1, 1000) g;
INSERT INTO public.orders  -- status: 80% done; region: 5 values; coupon: 90% NULL
SELECT g, g % 1000 + 1, CASE WHEN g % 10 < 8 THEN 'done' WHEN g % 10 = 8 THEN 'new' ELSE 'paid' END, g % 5,
       CASE WHEN g % 10 = 0 THEN 'coupon ' || g END, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute'
FROM generate_series(1, 2000) g;
INSERT INTO public.payments SELECT g, g, 10 FROM generate_series(1, 100) g;
ANALYZE;
"""

Q_LOCK = "SELECT pg_advisory_lock($1)"
Q_XMIN = "SELECT xmin, id FROM public.orders WHERE id = $1"
Q_MERGE = "MERGE INTO orders o USING payments p ON o.id = p.order_id\n  WHEN MATCHED THEN UPDATE SET status = $1"
Q_TIES = "SELECT id FROM public.orders ORDER BY created_at FETCH FIRST $1 ROWS WITH TIES"
Q_CTE = "WITH recent AS MATERIALIZED (SELECT id FROM public.orders) SELECT count(*) FROM recent"
QUERY_STATS = [
    {"queryid": "101", "query": Q_LOCK, "calls": 3},
    {"queryid": "102", "query": "select  pg_advisory_lock( $2 )", "calls": 4},  # the same normalized query
    {"queryid": "103", "query": Q_XMIN, "calls": 10},
    {"queryid": "104", "query": Q_MERGE, "calls": 1},
    {"queryid": "105", "query": Q_TIES, "calls": 1},
    {"queryid": "106", "query": Q_CTE, "calls": 1},
    {"queryid": "107", "query": "SAVEPOINT sp1", "calls": 5},
    {"queryid": "108", "query": "SELECT * FROM public.orders WHERE id = $1", "calls": 1000},  # nothing to report
    {"queryid": "109", "query": "SELECT xmin FROM other.t", "calls": 1},  # not an assessed schema
    {"queryid": "110", "query": "SELECT xmin FROM pg_class", "calls": 1},  # unqualified, not an assessed relation
    {"queryid": "111", "query": "SELECT * FROM public.orders WHERE", "calls": 1},  # cut by track_activity_query_size
]

OPEN_IN_BOTH = {
    ("UNSUPPORTED_DATATYPE_XML", "public.docs"), ("DEFERRABLE_CONSTRAINTS", "public.accounts"),
    ("INHERITANCE", "public.child"), ("UNSUPPORTED_EXTENSION", "pg_surgery"),
    ("POLICY_WITH_ROLES", "accounts_owner ON public.accounts"),
    ("UNSUPPORTED_DATATYPE_LIVE_MIGRATION_POINT", "public.docs"),
    ("UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_USER_DEFINED", "public.customers"),
    ("CONSTRAINT_TRIGGER", "accounts_check ON public.accounts"),
    ("INDEX_ON_INET_DATATYPE", "customers_ip_idx ON public.customers"),
    ("PK_UK_ON_CITEXT_DATATYPE", "public.customers"), ("STORAGE_PARAMETERS", "public.customers"),
    ("REFERENCING_CLAUSE_IN_TRIGGER", "scratch_batch ON public.scratch"),
    ("UNSUPPORTED_GIST_INDEX_METHOD", "docs_loc_gist ON public.docs"), ("VIEW_WITH_CHECK_OPTION", "public.v_docs"),
    # performance findings (metadata and statistics)
    ("FOREIGN_KEY_DATATYPE_MISMATCH", "orders_customer_id_fkey ON public.orders"),
    ("HOTSPOTS_ON_DATE_PK_UK", "daily_pkey ON public.daily"),
    ("HOTSPOTS_ON_TIMESTAMP_INDEX", "orders_created_idx ON public.orders"),
    ("INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_NULL_VALUES", "orders_coupon_idx ON public.orders"),
    ("INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_PARTICULAR_VALUE", "orders_status_region_idx ON public.orders"),
    ("INDEX_ON_LOW_CARDINALITY_COLUMN", "orders_region_idx ON public.orders"),
    ("MISSING_FOREIGN_KEY_INDEX", "payments_order_id_fkey ON public.payments"),
    ("MISSING_PRIMARY_KEY_WHEN_UNIQUE_NOT_NULL", "public.buyers"),
    ("REDUNDANT_INDEXES", "orders_customer_idx ON public.orders"),
    # query constructs no release supports
    ("SYSTEM_COLUMN_XMIN", Q_XMIN), ("FETCH_WITH_TIES", Q_TIES),
    ("MERGE_STATEMENT", "MERGE INTO orders o USING payments p ON o.id = p.order_id WHEN MATCHED THEN UPDATE SET "
                        "status = $1"),
}
FIXED_AFTER_2_20 = {
    ("UNSUPPORTED_DATATYPE_INT4MULTIRANGE", "public.docs"), ("STORED_GENERATED_COLUMNS", "public.customers"),
    ("UNLOGGED_TABLES", "public.scratch"), ("ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "public.events"),
    ("BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE", "events_before ON public.events"),
    ("ADVISORY_LOCKS", "public.count_matches"), ("REGEX_FUNCTIONS", "public.count_matches"),
    ("ADVISORY_LOCKS", Q_LOCK), ("CTE_WITH_MATERIALIZED_CLAUSE", Q_CTE), ("SAVEPOINT_USAGE", "SAVEPOINT sp1"),
}
OLD, NEW = "2.20.12.0", "2025.2.5.2"


def pairs(issues: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(i.issue_type, i.object_name) for i in issues}


@pytest.fixture
def assessed(make_db: Callable[[str], ConnectionParams], tmp_path: Path) -> AssessmentDir:
    """An assessment dir of the planted source, metadata only (no report yet)."""
    source = make_db("asrsrc")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(SOURCE)
    ad = AssessmentDir(tmp_path / "shop").create()
    # A 0 s IOPS window: the two samples say nothing about a workload, and the report must not pretend they do.
    collect_postgresql(source, None, ["public"], ad.metadata, iops_interval=0)
    write_csv(ad.metadata / layout.QUERY_STATS.name, layout.QUERY_STATS, QUERY_STATS)
    return ad


def test_issues_for_two_target_versions_and_the_what_if(assessed: AssessmentDir) -> None:
    old = generate_report(assessed.root, OLD)
    assert pairs(old.issues) == OPEN_IN_BOTH | FIXED_AFTER_2_20
    assert old.resolved_by_target == []
    assert len({i.issue_type for i in old.issues}) >= 30
    new = generate_report(assessed.root, NEW)
    assert pairs(new.issues) == OPEN_IN_BOTH
    assert pairs(new.resolved_by_target) == FIXED_AFTER_2_20
    assert all(i.fixed_in_target for i in new.resolved_by_target) and not any(i.fixed_in_target for i in new.issues)

    # one issue per (issue type, normalized query): the two advisory-lock texts are one, their calls summed
    lock = next(i for i in old.issues if i.object_name == Q_LOCK)
    assert (lock.category.value, lock.source.value, lock.details["calls"]) == (
        "unsupported_query_constructs", "query", "7")
    save = next(i for i in old.issues if i.issue_type == "SAVEPOINT_USAGE")
    assert (save.category.value, save.object_type) == ("migration_caveats", "QUERY")
    plpgsql = next(i for i in old.issues if i.object_name == "public.count_matches")
    assert (plpgsql.category.value, plpgsql.source.value) == ("unsupported_plpgsql_objects", "plpgsql")
    notes = " ".join(n.text for n in old.notes)
    assert "1 query text(s) in query-stats.csv did not parse" in notes
    assert "2 query text(s) in query-stats.csv touch only relations outside the assessed schemas" in notes
    assert "warning: query-stats: pg_stat_statements is not installed" in notes  # the collector's own note

    fixed_types = sorted({t for t, _ in FIXED_AFTER_2_20})
    old_rows = {w.series: w for w in old.what_if}
    new_rows = {w.series: w for w in new.what_if}
    assert list(old_rows) == ["2.20", "2024.1", "2024.2", "2025.1", "2025.2", "2026.1"]
    assert (old_rows["2.20"].version, old_rows["2.20"].total, old_rows["2.20"].removed) == (OLD, len(old.issues), [])
    assert old_rows["2025.2"].removed == fixed_types and old_rows["2025.2"].total == len(new.issues)
    assert old_rows["2024.2"].removed == ["ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "SAVEPOINT_USAGE",
                                          "UNLOGGED_TABLES"]
    assert new_rows["2.20"].added == fixed_types and new_rows["2.20"].total == len(old.issues)
    # blocking: L3 xml, deferrable, inheritance, extension (+ int4multirange on 2.20); L2 xmin, merge, with ties
    # (+ advisory locks twice, regexp_count, materialized CTE on 2.20)
    assert (old_rows["2.20"].blocking, old_rows["2025.2"].blocking) == (12, 7)
    assert old.recommended_version == new.recommended_version == "2025.1.4.0"  # oldest with 7 blocking


def test_summary_sizing_effort_and_files(assessed: AssessmentDir) -> None:
    old = generate_report(assessed.root, OLD)
    summary = {s.object_type: (s.total, s.with_issues) for s in old.schema_summary}
    assert summary["view"] == (1, 1) and summary["extension"] == (2, 1) and summary["function"] == (2, 1)
    assert summary["partitioned table"] == (1, 1) and summary["type"] == (1, 0)  # events: ADD PK on 2.20
    assert "public.orders" in next(s for s in old.schema_summary if s.object_type == "table").names
    new = build_report(read_metadata(assessed.metadata), NEW)
    new_summary = {s.object_type: (s.total, s.with_issues) for s in new.schema_summary}
    assert (new_summary["function"], new_summary["partitioned table"]) == ((2, 0), (1, 0))

    sizing = old.sizing
    assert sizing is not None and "public.orders" in sizing.sharded_tables and sizing.num_nodes >= 3
    orders = next(line for line in sizing.reasoning if line.startswith("public.orders: "))
    assert orders.endswith("with 6 indexes → sharded because it has more than 2 indexes")
    assert sizing.estimated_import_minutes_without_redundant_indexes <= sizing.estimated_import_minutes
    assert "without the 1 redundant index" in sizing.reasoning[-1]
    details = SizingDetails.model_validate_json(assessed.sizing_details.read_text())
    assert len(details.candidates) == 6 and details.candidates[details.chosen].num_nodes == sizing.num_nodes
    assert {e.table for e in details.import_estimates} >= {"public.orders", "public.buyers"}
    rec = ClusterRecommendation.model_validate_json(assessed.cluster_recommendations.read_text())
    assert rec.sizing == sizing and rec.target_db_version == OLD  # build_report writes nothing

    lines = {line.what: line for line in old.effort.lines}
    assert lines["Unsupported PL/pgSQL objects, LEVEL_2"].count == 2
    assert lines["Review and test each function (base)"].count == 2
    assert old.effort.hours == round(sum(line.hours for line in old.effort.lines), 2)
    assert old.effort.complexity == "HIGH" and "5 Level 3 issues" in old.effort.complexity_reason
    stats = {(t.object_name, t.is_index) for t in old.table_stats}
    assert ("orders", False) in stats and ("orders_region_idx", True) in stats
    orders_stat = next(t for t in old.table_stats if t.object_name == "orders")
    assert (orders_stat.row_count, orders_stat.reads_per_second, orders_stat.writes_per_second) == (2000, None, None)
    assert any(n.kind == "sizing" and "less than 1 s apart (iops_interval_seconds: 0.0)" in n.text
               for n in old.notes)


def test_json_round_trips_and_html_is_offline_and_complete(assessed: AssessmentDir) -> None:
    report = generate_report(assessed.root, OLD)
    assert load_report(assessed.root) == report
    assert AssessmentReport.model_validate_json(assessed.report_json.read_text()) == report
    assert json.loads(assessed.report_json.read_text())["version"] == REPORT_VERSION

    page = assessed.report_html.read_text()
    # nothing is fetched: no external scripts, styles, images, fonts or frames; URLs only as hyperlinks
    assert not re.search(r"<(script|img|iframe|link|source|embed)\b[^>]*\s(src|href)=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    hrefs = set(re.findall(r'<a href="([^"]+)"', page))
    assert {u for u in re.findall(r"https?://[^\s\"<>]+", page)} == hrefs
    assert all(u.startswith("https://docs.yugabyte.com/") for u in hrefs)
    # every open issue is a row of the issue table, every resolved one a row of its own table
    table = page.split('id="issues-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-cat=") == len(report.issues)
    for issue in report.issues:
        assert issue.issue_type in table
        assert _escaped(issue.object_name) in table
    # the filter and sort code is there, wired to the controls it reads
    for needle in ('id="q"', 'id="cat"', 'id="imp"', 'id="src"', "function applyFilter()", "th.sortable",
                   "row.dataset.cat", "row.dataset.imp", "rows.sort("):
        assert needle in page
    for section in ('id="schema"', 'id="performance"', 'id="sizing"', 'id="effort"', 'id="what-if"', 'id="notes"'):
        assert section in page


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace(
        "'", "&#39;")


def test_cli_writes_the_report_and_prints_a_summary(assessed: AssessmentDir) -> None:
    result = CliRunner().invoke(generate_report_command, ["--assessment-dir", str(assessed.root),
                                                          "--target-db-version", OLD])
    assert result.exit_code == 0, result.output
    report = load_report(assessed.root)
    counts = report.impact_counts()
    assert (f"for YugabyteDB {OLD}: {len(report.issues)} open issues ({counts['LEVEL_3']} L3, {counts['LEVEL_2']} "
            f"L2, {counts['LEVEL_1']} L1)") in result.output
    assert f"Report: {assessed.report_html}" in result.output
    default = CliRunner().invoke(generate_report_command, ["--assessment-dir", str(assessed.root)])
    assert default.exit_code == 0 and load_report(assessed.root).target_db_version == LATEST_STABLE


def test_the_real_binary_runs_the_command_and_fails_in_one_line(assessed: AssessmentDir) -> None:
    exe = str(Path(sys.executable).with_name("voyager-tui"))
    done = subprocess.run([exe, "assessment", "generate-report", "--assessment-dir", str(assessed.root),
                           "--target-db-version", NEW], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"for YugabyteDB {NEW}: {len(OPEN_IN_BOTH)} open issues" in done.stdout
    assert load_report(assessed.root).target_db_version == NEW
    from voyager_tui.engine.assessment.registry import known_assessments

    # The dir is outside the default parent: the app's Home finds it because the command remembered it.
    listed = [e for e in known_assessments() if e.path == assessed.root.resolve()]
    assert len(listed) == 1 and listed[0].target_version == NEW
    bad = subprocess.run([exe, "assessment", "generate-report", "--assessment-dir", str(assessed.root),
                          "--target-db-version", "2024.3"], capture_output=True, text=True, timeout=300)
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        1, "", "error: --target-db-version: not a YugabyteDB version: '2024.3' (year series are YYYY.1 or YYYY.2)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--target-db-version", "latest"],
     "error: --target-db-version: not a YugabyteDB version: 'latest' (expected e.g. 2025.1 or 2024.2.3.0)"),
    (["--target-db-version", "15.4"],
     "error: --target-db-version: not a YugabyteDB version: '15.4' (series are 2.x or YYYY.N)"),
    (["--target-db-version", "2026.3"],
     "error: --target-db-version: not a YugabyteDB version: '2026.3' (year series are YYYY.1 or YYYY.2)"),
])
def test_cli_refuses_a_bad_version(tmp_path: Path, args: list[str], message: str) -> None:
    ad = assessment_dir(tmp_path / "a")
    result = CliRunner().invoke(generate_report_command, ["--assessment-dir", str(ad.root), *args])
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert not ad.report_json.exists()


def test_cli_without_metadata_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(generate_report_command, ["--assessment-dir", str(tmp_path / "nothing")])
    assert (result.exit_code, result.stderr) == (
        1, f"error: {tmp_path / 'nothing' / 'metadata'} does not exist: collect or ingest the source's metadata into "
           f"{tmp_path / 'nothing'} first\n")


def test_cli_names_the_bad_csv_line(tmp_path: Path) -> None:
    ad = assessment_dir(tmp_path / "a", table_statistics=[{"schema_name": "public", "table_name": "t",
                                                           "object_type": "table", "row_count": "many"}])
    result = CliRunner().invoke(generate_report_command, ["--assessment-dir", str(ad.root)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {ad.metadata / 'table-statistics.csv'}:2: column row_count:")


def test_load_report_errors(tmp_path: Path) -> None:
    ad = assessment_dir(tmp_path / "a")
    with pytest.raises(VoyagerError, match=r"assessment_report.json does not exist: run voyager-tui assessment "
                                           r"generate-report"):
        load_report(ad.root)
    generate_report(ad.root)
    data = json.loads(ad.report_json.read_text())
    data["version"] = REPORT_VERSION + 1
    ad.report_json.write_text(json.dumps(data))
    with pytest.raises(VoyagerError) as err:
        load_report(ad.root)
    assert str(err.value) == (f"{ad.report_json} is report version {REPORT_VERSION + 1}, newer than this voyager-tui "
                              f"reads ({REPORT_VERSION}): upgrade voyager-tui")
    ad.report_json.write_text("{not json")
    with pytest.raises(VoyagerError, match=r"is not valid JSON \(line 1: "):
        load_report(ad.root)


def test_missing_statistics_are_skipped_with_a_note(tmp_path: Path) -> None:
    ad = assessment_dir(
        tmp_path / "a",
        table_statistics=[{"schema_name": "public", "table_name": "t", "object_type": "table", "row_count": 5000}],
        indexes=[{"schema_name": "public", "index_name": "t_flag", "table_name": "t", "index_type": "btree",
                  "is_unique": False, "is_primary": False, "columns": "flag",
                  "definition": "CREATE INDEX t_flag ON public.t USING btree (flag)"}],
        columns=[{"schema_name": "public", "table_name": "t", "column_name": "flag", "ordinal": 1,
                  "data_type": "boolean", "is_nullable": True}])
    report = generate_report(ad.root)
    assert pairs(report.issues) == set()
    assert any(n.kind == "performance" and "column-statistics.csv is absent" in n.text for n in report.notes)
    assert any("schema.sql is missing" in n.text for n in report.notes)
    assert any("No query statistics (pg_stat_statements: available)" in n.text for n in report.notes)


@pytest.mark.parametrize(("source", "columns", "expected"), [
    ("mysql", [("files", "data", "longblob"), ("files", "thumb", "blob"), ("files", "name", "varchar(200)")],
     {("MYSQL_UNSUPPORTED_DATATYPE_LONGBLOB", "shop.files.data"), ("MYSQL_UNSUPPORTED_DATATYPE_BLOB",
                                                                     "shop.files.thumb")}),
    ("oracle", [("FILES", "DOC", "XMLTYPE"), ("FILES", "BODY", "CLOB"), ("FILES", "SHAPE", "SDO_GEOMETRY"),
                ("FILES", "ID", "NUMBER(10)"), ("V_FILES", "DOC", "XMLTYPE")],
     {("ORACLE_UNSUPPORTED_DATATYPE_XMLTYPE", "shop.FILES.DOC"), ("ORACLE_UNSUPPORTED_DATATYPE_CLOB",
                                                                  "shop.FILES.BODY"),
      ("ORACLE_UNSUPPORTED_DATATYPE_SDO_GEOMETRY", "shop.FILES.SHAPE")}),
])
def test_mysql_and_oracle_sources_report_datatypes_sizing_and_effort(
        tmp_path: Path, source: str, columns: list[tuple[str, str, str]], expected: set[tuple[str, str]]) -> None:
    table = columns[0][0]
    ad = assessment_dir(
        tmp_path / source, source_db_type=source, schemas=["shop"], pg_stat_statements="not_applicable",
        schema_objects=[{"schema_name": "shop", "object_name": table, "object_type": "table"},
                        {"schema_name": "shop", "object_name": "V_FILES", "object_type": "view"}],
        table_statistics=[{"schema_name": "shop", "table_name": table, "object_type": "table", "row_count": 10,
                           "size_bytes": 65536, "column_count": 3}],
        columns=[{"schema_name": "shop", "table_name": t, "column_name": c, "ordinal": n, "data_type": d}
                 for n, (t, c, d) in enumerate(columns, 1)])
    report = generate_report(ad.root)
    assert pairs(report.issues) == expected
    assert {i.category.value for i in report.issues} == {"unsupported_datatypes"}
    assert report.sizing is not None and report.sizing.num_nodes == 3
    assert report.sizing.colocated_tables + report.sizing.sharded_tables == [f"shop.{table}"]
    assert report.effort.complexity == "MEDIUM"  # 2-3 Level 3 issues
    assert any(f"{source} source: issues were detected from column datatypes" in n.text
               and "needs the schema converted to PostgreSQL" in n.text for n in report.notes)
    assert report.schema_summary[0].object_type == "table" and report.schema_summary[0].with_issues == 1


def test_ddl_without_pg_dump_headers_is_checked_statement_by_statement(tmp_path: Path) -> None:
    ad = assessment_dir(tmp_path / "a", schema_ddl="CREATE TABLE public.t (id int PRIMARY KEY, body xml);\n"
                                                   "CREATE UNLOGGED TABLE public.u (id int);\n"
                                                   "CREATE INDEX t_body ON public.t USING gist (id);\n")
    report = generate_report(ad.root, OLD)
    assert pairs(report.issues) == {("UNSUPPORTED_DATATYPE_XML", "public.t"), ("UNLOGGED_TABLES", "public.u"),
                                    ("UNSUPPORTED_GIST_INDEX_METHOD", "t_body ON public.t")}
    assert any("schema.sql has no pg_dump object headers, so its 3 statement(s)" in n.text for n in report.notes)


def test_unknown_target_version_in_the_engine(tmp_path: Path) -> None:
    ad = assessment_dir(tmp_path / "a")
    with pytest.raises(VoyagerError, match=r"^not a YugabyteDB version: '2\.x'"):
        generate_report(ad.root, "2.x")
    write_metadata(ad.metadata)  # still a valid dir afterwards
    assert generate_report(ad.root, "2024.1").target_db_version == "2024.1"
