"""The live PostgreSQL collector (`assessment run`, collect_postgresql) against the real 5432 service: progress,
cancel, the read-only snapshot, statement timeouts and missing privileges as notes, and clear failures."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import connect_kwargs
from tests.integration.test_assessment_scripts import (
    build_pg_source,
    cli_run,
    comparable,
    rows,
    run_pg_wrapper,
)
from voyager_tui.engine.assessment import layout
from voyager_tui.engine.assessment.collect_pg import APPLICATION_NAME, collect_postgresql
from voyager_tui.engine.assessment.layout import SourceDbType
from voyager_tui.engine.assessment.metadata import read_metadata
from voyager_tui.engine.assessment.scripts import generate_scripts
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError


@pytest.fixture
def source(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    params = make_db("live")
    build_pg_source(params)
    return params


def collector_backend(admin: psycopg.Connection[Any], dbname: str) -> tuple[str, Any]:
    row = admin.execute("SELECT state, backend_xmin FROM pg_stat_activity WHERE application_name = %s "
                        "AND datname = %s", (APPLICATION_NAME, dbname)).fetchone()
    assert row is not None, "the collector's session is not visible in pg_stat_activity"
    return row[0], row[1]


def test_progress_snapshot_and_files(source: ConnectionParams, pg_admin: psycopg.Connection[Any],
                                     tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    backend: dict[str, tuple[str, Any]] = {}

    def progress(text: str, index: int, total: int) -> None:
        seen.append((text, index, total))
        # Called between steps, on the collector's thread: look at its session from outside.
        if text == "collecting index info":
            backend["catalog"] = collector_backend(pg_admin, source.dbname)
        if text.startswith("waiting"):
            backend["wait"] = collector_backend(pg_admin, source.dbname)

    collect_postgresql(source, None, ["sales", "public"], tmp_path / "m", iops_interval=1, progress=progress)
    assert [i for _, i, _ in seen] == list(range(1, len(seen) + 1))
    assert {t for _, _, t in seen} == {len(seen)}
    assert ("collecting index info", 4, len(seen)) in seen
    assert any(text.startswith("dumping the schema DDL") for text, _, _ in seen)
    # Inside the catalog transaction the snapshot is held across statements (REPEATABLE READ); during the IOPS
    # window no transaction is open at all.
    assert backend["catalog"][0] == "idle in transaction" and backend["catalog"][1] is not None
    assert backend["wait"] == ("idle", None)
    names = {p.name for p in (tmp_path / "m").iterdir()}
    assert names == {spec.name for spec in layout.CSV_FILES} | {layout.SCHEMA_DDL}
    md = read_metadata(tmp_path / "m")
    assert md.info.collector == "live" and md.info.iops_interval_seconds == 1
    assert md.info.schemas == ["sales", "public"]


def test_cancel_stops_promptly(source: ConnectionParams, tmp_path: Path) -> None:
    cancel = threading.Event()

    def progress(text: str, index: int, total: int) -> None:
        if text.startswith("waiting"):
            cancel.set()

    started = time.monotonic()
    with pytest.raises(VoyagerError, match=r"^cancelled$"):
        collect_postgresql(source, None, ["sales"], tmp_path / "m", iops_interval=600, progress=progress,
                           cancel=cancel)
    assert time.monotonic() - started < 60  # nowhere near the 600 s window
    assert not list((tmp_path / "m").glob("*.part"))


def test_statement_timeout_is_a_note_and_the_rest_is_collected(source: ConnectionParams,
                                                               tmp_path: Path) -> None:
    """A long-held lock on a table (a migration, a VACUUM FULL) makes a catalog query wait (pg_get_viewdef locks
    the tables a view reads); the statement timeout cancels it, the step becomes a note, and the run goes on."""
    locker = psycopg.connect(**connect_kwargs(source))
    locker.execute("LOCK TABLE sales.orders IN ACCESS EXCLUSIVE MODE")

    def progress(text: str, index: int, total: int) -> None:
        if text == "collecting table statistics":  # schema-objects has timed out by now
            locker.rollback()

    try:
        collect_postgresql(source, None, ["sales"], tmp_path / "m", iops_interval=0, statement_timeout_s=1,
                           progress=progress)
    finally:
        locker.close()
    md = read_metadata(tmp_path / "m")
    assert md.schema_objects == []
    note = next(n for n in md.notes if n.step == "schema-objects")
    assert "canceling statement due to statement timeout" in note.message and "SQLSTATE 57014" in note.message
    assert md.table_statistics and md.indexes and md.columns and md.constraints
    assert md.schema_ddl is not None and "CREATE TABLE sales.orders" in md.schema_ddl


@pytest.fixture
def limited_role(source: ConnectionParams, pg_admin: psycopg.Connection[Any]) -> Iterator[ConnectionParams]:
    """A role that may read the tables but not pg_stats (revoked from PUBLIC in this database only)."""
    role = f"vt_assessor_{uuid.uuid4().hex[:8]}"
    pg_admin.execute(f"CREATE ROLE {role} LOGIN")
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA sales TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA sales TO {role}")
        conn.execute("REVOKE SELECT ON pg_catalog.pg_stats FROM PUBLIC")
    yield source.model_copy(update={"user": role})
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {role}")
    pg_admin.execute(f"DROP ROLE {role}")


def test_no_permission_on_a_catalog_view_is_a_note(limited_role: ConnectionParams, tmp_path: Path) -> None:
    generate_scripts(SourceDbType.POSTGRESQL, tmp_path / "scripts")
    proc = run_pg_wrapper(tmp_path / "scripts", limited_role, ["sales"], tmp_path / "collected", interval=0)
    assert proc.returncode == 0, proc.stderr
    collect_postgresql(limited_role, None, ["sales"], tmp_path / "live", iops_interval=0)
    for d in (tmp_path / "collected", tmp_path / "live"):
        assert rows(d / layout.COLUMN_STATISTICS.name) == [list(layout.COLUMN_STATISTICS.columns)]
        md = read_metadata(d)
        note = next(n for n in md.notes if n.step == "column-statistics")
        assert note.severity == "warning"
        assert "permission denied for view pg_stats" in note.message and "SQLSTATE 42501" in note.message
        assert len(md.table_statistics) == 6 and md.indexes and md.columns and md.constraints
    assert comparable(tmp_path / "collected") == comparable(tmp_path / "live")


def test_unreachable_source_is_one_line_and_non_zero(tmp_path: Path) -> None:
    code, _, err = cli_run("assessment", "run", "--source-db-type", "postgresql", "--source-db-host", "127.0.0.1",
                             "--source-db-port", "1", "--source-db-name", "nowhere", "--source-ssl-mode", "disable",
                             "--assessment-dir", str(tmp_path / "a"))
    assert code != 0
    assert err.startswith("error: cannot connect to source postgres@127.0.0.1:1/nowhere")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "a").exists()


def test_missing_schema_and_other_source_types_are_refused(source: ConnectionParams, tmp_path: Path) -> None:
    code, _, err = cli_run("assessment", "run", "--source-db-type", "postgresql", "--source-db-host", source.host,
                           "--source-db-port", str(source.port), "--source-db-name", source.dbname,
                           "--source-ssl-mode", "disable", "--source-schemas", "sales,nope",
                           "--assessment-dir", str(tmp_path / "a"), "--iops-interval", "0")
    assert code == 1 and err.strip() == f"error: schema(s) not found in {source.label}: nope"
    for kind in ("mysql", "oracle"):
        code, _, err = cli_run("assessment", "run", "--source-db-type", kind, "--source-db-name", "x",
                               "--assessment-dir", str(tmp_path / kind))
        assert code == 1 and "not available yet: use `voyager-tui assessment generate-scripts" in err


def test_password_from_the_environment_goes_nowhere(source: ConnectionParams, tmp_path: Path) -> None:
    """SOURCE_DB_PASSWORD is used (the service trusts, so any password connects) but never lands in a file."""
    secret = f"pw-{uuid.uuid4().hex}"
    code, out, err = cli_run("assessment", "run", "--source-db-type", "postgresql", "--source-db-host", source.host,
                             "--source-db-port", str(source.port), "--source-db-name", source.dbname,
                             "--source-ssl-mode", "disable", "--source-schemas", "sales",
                             "--assessment-dir", str(tmp_path / "a"), "--iops-interval", "0",
                             env={"SOURCE_DB_PASSWORD": secret})
    assert code == 0, err
    files = [p for p in (tmp_path / "a").rglob("*") if p.is_file()]
    assert len(files) == len(layout.CSV_FILES) + 2  # the CSVs, schema.sql and how the source was reached
    for path in files:
        assert secret not in path.read_text(encoding="utf-8"), path
    assert secret not in out and secret not in err
    # "start a migration from this assessment" can name the source exactly
    from voyager_tui.engine.assessment.source_ref import read_source_ref
    from voyager_tui.tui.screens.report_viewer import migrate_init_command

    assert read_source_ref(tmp_path / "a") == source.model_copy(update={"user": "postgres", "sslmode": "disable"})
    command = migrate_init_command(load_report_for(tmp_path / "a"), tmp_path / "a", read_source_ref(tmp_path / "a"))
    assert f"--source-db-host {source.host} --source-db-port {source.port}" in command
    assert "<source-host>" not in command


def load_report_for(assessment_dir: Path) -> Any:
    from voyager_tui.engine.assessment.report import generate_report

    return generate_report(assessment_dir)
