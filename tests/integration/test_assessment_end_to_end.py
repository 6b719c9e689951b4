"""A standalone assessment end to end, on a cluster that records statements in pg_stat_statements: a planted
source with more than twenty distinct catalog issues (DDL, datatypes, PL/pgSQL, caveats, performance findings)
and an application that runs unsupported query constructs. The exact (issue type, object) set is asserted for two
target versions, and the DBA-script path (real psql + pg_dump) must give the same report as the live run."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import connect_kwargs
from tests.integration.test_assessment_report import FIXED_AFTER_2_20, NEW, OLD, OPEN_IN_BOTH, SOURCE
from tests.integration.test_assessment_scripts import libpq_env
from voyager_tui.engine.assessment.collect_pg import collect_postgresql
from voyager_tui.engine.assessment.ingest import ingest_metadata
from voyager_tui.engine.assessment.layout import AssessmentDir, SourceDbType
from voyager_tui.engine.assessment.report import generate_report
from voyager_tui.engine.assessment.report_model import AssessmentReport
from voyager_tui.engine.assessment.scripts import generate_scripts
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres

# What the application runs; pg_stat_statements keeps them with constants replaced by $n.
APPLICATION = [
    ("SELECT pg_advisory_lock(%s)", (42,)),
    ("SELECT pg_advisory_unlock_all()", None),
    ("SELECT xmin, id FROM public.orders WHERE id = %s", (7,)),
    ("MERGE INTO public.orders o USING public.payments p ON o.id = p.order_id WHEN MATCHED THEN UPDATE SET status = %s",
     ("paid",)),
    ("SELECT id FROM public.orders ORDER BY created_at FETCH FIRST %s ROWS WITH TIES", (3,)),
    ("WITH recent AS MATERIALIZED (SELECT id FROM public.orders) SELECT count(*) FROM recent", None),
    ("SELECT * FROM public.orders WHERE id = %s", (5,)),  # nothing to report
]
QUERY_ISSUES_OPEN = {
    ("SYSTEM_COLUMN_XMIN", "SELECT xmin, id FROM public.orders WHERE id = $1"),
    ("FETCH_WITH_TIES", "SELECT id FROM public.orders ORDER BY created_at FETCH FIRST $1 ROWS WITH TIES"),
    ("MERGE_STATEMENT", "MERGE INTO public.orders o USING public.payments p ON o.id = p.order_id WHEN MATCHED THEN "
                        "UPDATE SET status = $1"),
}
QUERY_ISSUES_FIXED_AFTER_2_20 = {
    ("ADVISORY_LOCKS", "SELECT pg_advisory_lock($1)"), ("ADVISORY_LOCKS", "SELECT pg_advisory_unlock_all()"),
    ("CTE_WITH_MATERIALIZED_CLAUSE", "WITH recent AS MATERIALIZED (SELECT id FROM public.orders) SELECT count(*) "
                                     "FROM recent"),
    ("SAVEPOINT_USAGE", "SAVEPOINT sp1"),
}


def _is_query(pair: tuple[str, str]) -> bool:
    return pair[1].startswith(("SELECT ", "MERGE ", "WITH ", "SAVEPOINT "))


# The report test's planted schema, without its hand-written query-stats rows: here the queries really ran.
DDL_OPEN = {p for p in OPEN_IN_BOTH if not _is_query(p)}
DDL_FIXED_AFTER_2_20 = {p for p in FIXED_AFTER_2_20 if not _is_query(p)}


@pytest.fixture
def source(pgss_cluster: EmbeddedPostgres) -> Iterator[ConnectionParams]:
    name = f"vt_e2e_{uuid.uuid4().hex[:8]}"
    admin = pgss_cluster.params("postgres")
    with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f"CREATE DATABASE {name}")
    params = pgss_cluster.params(name)
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(SOURCE)
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    with psycopg.connect(**connect_kwargs(params)) as conn:  # type: ignore[arg-type]
        for query, args in APPLICATION:
            conn.execute(query, args)
        conn.execute("SAVEPOINT sp1")
        conn.rollback()
    yield params
    with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def pairs(issues: list[Any]) -> set[tuple[str, str]]:
    return {(i.issue_type, i.object_name) for i in issues}


def comparable(report: AssessmentReport) -> dict[str, Any]:
    """The report without what differs between two collections of an unchanged source: when, and by which path."""
    data = report.model_dump(mode="json", exclude={"generated_at"})
    data["source"].pop("collected_at")
    data["source"].pop("collector")
    # The second collection also sees the first one's pg_dump catalog queries in pg_stat_statements: they touch no
    # assessed relation, so they change no issue, only this count.
    outside = [n for n in data["notes"] if "touch only relations outside the assessed schemas" in n["text"]]
    assert len(outside) == 1
    data["notes"].remove(outside[0])
    return data


def test_live_and_script_assessments_give_the_same_report(source: ConnectionParams, tmp_path: Path) -> None:
    live = AssessmentDir(tmp_path / "live").create()
    collect_postgresql(source, None, ["public"], live.metadata, iops_interval=0)
    old = generate_report(live.root, OLD)
    assert pairs(old.issues) == DDL_OPEN | DDL_FIXED_AFTER_2_20 | QUERY_ISSUES_OPEN | QUERY_ISSUES_FIXED_AFTER_2_20
    assert len({i.issue_type for i in old.issues}) >= 20
    new = generate_report(live.root, NEW)
    assert pairs(new.issues) == DDL_OPEN | QUERY_ISSUES_OPEN
    assert pairs(new.resolved_by_target) == DDL_FIXED_AFTER_2_20 | QUERY_ISSUES_FIXED_AFTER_2_20
    assert {i.source.value for i in new.issues} == {"ddl", "metadata", "query"}
    assert {i.category.value for i in old.issues} >= {
        "unsupported_features", "unsupported_datatypes", "migration_caveats", "unsupported_plpgsql_objects",
        "unsupported_query_constructs", "performance_optimizations"}

    scripts = tmp_path / "scripts"
    generate_scripts(SourceDbType.POSTGRESQL, scripts)
    proc = subprocess.run(["sh", str(scripts / "collect-postgresql.sh"), "-s", "public", "-o",
                           str(tmp_path / "collected"), "-i", "0"],
                          env=libpq_env(source), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    scripted = AssessmentDir(tmp_path / "scripted")
    ingest_metadata(scripted.root, tmp_path / "collected")
    for version, live_report in ((OLD, old), (NEW, new)):
        assert comparable(generate_report(scripted.root, version)) == comparable(live_report)
