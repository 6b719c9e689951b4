"""The state store against the real PostgreSQL service: registration, phases, progress, leases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest

from tests.helpers import open_store, register, target_conn
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import DuplicateMigration, InvalidTransition, LeaseHeld, MigrationNotFound
from voyager_tui.engine.lease import RunnerIdentity
from voyager_tui.engine.models import RunnerState
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.state_store import TableProgressUpdate


def test_register_records_source_and_target(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db, schemas=["sales", "public"])
    assert rec.migration_name == "shop"
    assert rec.source_schemas == ["public", "sales"]
    assert rec.source_db_version.startswith("PostgreSQL 15")
    assert rec.source_db_identifier.startswith("postgresql:sysid-") and rec.source_db_identifier.endswith(
        f"/{source_db.dbname}")
    assert rec.target_db_type == "postgresql"
    store = open_store(target_db)
    snap = store.snapshot(rec.migration_uuid)
    assert [p.status for p in snap.phases] == [PhaseStatus.NOT_STARTED] * 10
    assert [e.event_type for e in snap.recent_events] == ["migration_registered"]


def test_same_source_schemas_and_target_cannot_register_twice(source_db: ConnectionParams,
                                                              target_db: ConnectionParams) -> None:
    register(source_db, target_db, name="first", schemas=["public", "sales"])
    with pytest.raises(DuplicateMigration, match=r"already being migrated .* by migration 'first'"):
        register(source_db, target_db, name="second", schemas=["sales", "public"])
    with pytest.raises(DuplicateMigration, match="a migration named 'first' already exists"):
        register(source_db, target_db, name="first", schemas=["sales"])
    # Other schemas of the same source are a different migration.
    assert register(source_db, target_db, name="sales-only", schemas=["sales"]).migration_name == "sales-only"


def test_missing_source_schema_is_refused(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    from voyager_tui.engine.errors import VoyagerError

    with pytest.raises(VoyagerError, match=r"schema\(s\) not found in source .*: nope"):
        register(source_db, target_db, schemas=["public", "nope"])


def test_resolve_by_name_uuid_or_single_active(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    assert store.resolve_migration(None, None).migration_uuid == rec.migration_uuid
    assert store.resolve_migration(None, rec.migration_uuid).migration_name == "shop"
    with pytest.raises(MigrationNotFound, match="no migration 'nope' in this target; migrations here: shop"):
        store.resolve_migration("nope", None)
    register(source_db, target_db, name="other", schemas=["sales"])
    with pytest.raises(MigrationNotFound, match="say which migration"):
        store.resolve_migration(None, None)


def test_phase_transitions_are_checked_and_logged(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    u = rec.migration_uuid
    with pytest.raises(InvalidTransition, match="Import Schema cannot start before Analyze Schema"):
        store.set_phase_status(u, Phase.IMPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(u, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
    st = store.set_phase_status(u, Phase.EXPORT_SCHEMA, PhaseStatus.COMPLETED, metadata={"objects": 12})
    assert st.completed_at >= st.started_at
    assert st.metadata == {"objects": 12}
    store.set_phase_status(u, Phase.ANALYZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(u, Phase.ANALYZE_SCHEMA, PhaseStatus.FAILED, error="boom")
    mig = store.get_migration(uuid=u)
    assert (mig.current_phase, mig.current_status) == ("analyze_schema", "FAILED")
    kinds = [(e.event_type, e.phase) for e in store.events(u)]
    assert kinds == [("migration_registered", None), ("phase_started", "export_schema"),
                     ("phase_completed", "export_schema"), ("phase_started", "analyze_schema"),
                     ("phase_failed", "analyze_schema")]
    assert store.events(u, newest=1)[0].message == "Analyze Schema failed: boom"
    assert all("@" in (e.actor or "") for e in store.events(u))


def test_reports_are_versioned(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    assert store.latest_report(rec.migration_uuid, "schema_analysis") is None
    assert store.save_report(rec.migration_uuid, "schema_analysis", {"issues": 1}) == 1
    assert store.save_report(rec.migration_uuid, "schema_analysis", {"issues": 0}) == 2
    assert store.latest_report(rec.migration_uuid, "schema_analysis") == {"issues": 0}


PROGRESS_WRITER = """
import sys, uuid
from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.phases import Phase
from voyager_tui.engine.secrets import DbRole
from voyager_tui.engine.state_store import StateStore, TableProgressUpdate
p = ConnectionParams.model_validate_json(sys.argv[1])
mid, me, n = uuid.UUID(sys.argv[2]), sys.argv[3], int(sys.argv[4])
store = StateStore(connect_pg(p, DbRole.TARGET))
print("ready", flush=True)
sys.stdin.readline()  # start together with the other writer
for i in range(n):
    store.write_table_progress(mid, [
        TableProgressUpdate(schema_name="public", table_name="shared", phase=Phase.IMPORT_DATA,
                            completed_delta=3, errored_delta=1, status="IN_PROGRESS", total_rows=10_000),
        TableProgressUpdate(schema_name="public", table_name=f"own_{me}", phase=Phase.IMPORT_DATA,
                            completed_rows=i + 1, status="IN_PROGRESS"),
    ])
print("done", flush=True)
"""


def test_two_processes_update_progress_concurrently(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    n = 300
    procs = [subprocess.Popen([sys.executable, "-c", PROGRESS_WRITER, target_db.model_dump_json(),
                               str(rec.migration_uuid), me, str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in ("a", "b")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    snap = open_store(target_db).snapshot(rec.migration_uuid)
    by_name = {t.table_name: t for t in snap.tables}
    assert by_name["shared"].completed_rows == 2 * n * 3
    assert by_name["shared"].errored_rows == 2 * n
    assert by_name["shared"].total_rows == 10_000
    assert by_name["own_a"].completed_rows == n
    assert by_name["own_b"].completed_rows == n
    progress = snap.progress(Phase.IMPORT_DATA)
    assert progress is not None and progress.total is None  # own_* tables have no total yet


def test_table_progress_completion(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    u = rec.migration_uuid
    upd = TableProgressUpdate(schema_name="public", table_name="t", phase=Phase.EXPORT_DATA, total_rows=100,
                              completed_rows=40, status="IN_PROGRESS", rate_per_second=12.5)
    store.write_table_progress(u, [upd])
    store.write_table_progress(u, [upd.model_copy(update={"completed_rows": 100, "status": "COMPLETED",
                                                          "rate_per_second": None})])
    t = store.snapshot(u).tables[0]
    assert (t.completed_rows, t.total_rows, t.status, t.rate_per_second) == (100, 100, "COMPLETED", 12.5)
    assert t.started_at is not None and t.completed_at is not None
    assert store.snapshot(u).progress(Phase.EXPORT_DATA).fraction == 1.0


def test_lease_is_exclusive_while_alive(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    me, other = RunnerIdentity(), RunnerIdentity()
    store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, me, command="voyager-tui migrate export schema")
    with pytest.raises(LeaseHeld, match="Export Schema is already running on host"):
        store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, other)
    assert store.heartbeat(rec.migration_uuid, Phase.EXPORT_SCHEMA, me)
    assert not store.heartbeat(rec.migration_uuid, Phase.EXPORT_SCHEMA, other)
    view = store.snapshot(rec.migration_uuid).runner(Phase.EXPORT_SCHEMA)
    assert view.state == RunnerState.RUNNING
    store.release_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, me)
    store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, other)


HOLDER = """
import sys, uuid
from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.lease import RunnerIdentity
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.secrets import DbRole
from voyager_tui.engine.state_store import StateStore
store = StateStore(connect_pg(ConnectionParams.model_validate_json(sys.argv[1]), DbRole.TARGET))
mid = uuid.UUID(sys.argv[2])
store.acquire_lease(mid, Phase.EXPORT_SCHEMA, RunnerIdentity())
store.set_phase_status(mid, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
print("holding", flush=True)
sys.stdin.readline()
"""


def test_killed_runner_is_reported_crashed_and_can_be_taken_over(source_db: ConnectionParams,
                                                                 target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, target_db.model_dump_json(), str(rec.migration_uuid)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    store = open_store(target_db)
    assert store.snapshot(rec.migration_uuid).runner(Phase.EXPORT_SCHEMA).state == RunnerState.RUNNING
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    view = store.snapshot(rec.migration_uuid).runner(Phase.EXPORT_SCHEMA)
    assert view.state == RunnerState.CRASHED
    assert "process not found" in view.reason
    assert store.list_migrations()[0].crashed
    store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, RunnerIdentity())
    assert store.events(rec.migration_uuid, newest=1)[0].event_type == "runner_taken_over"


def test_stale_heartbeat_from_another_host_is_crashed(source_db: ConnectionParams,
                                                      target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    remote = RunnerIdentity(holder_id=uuid.uuid4(), host="other-machine", pid=4242)
    store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, remote)
    assert store.snapshot(rec.migration_uuid).runner(Phase.EXPORT_SCHEMA).state == RunnerState.RUNNING
    with target_conn(target_db) as conn:  # the remote runner went silent ten minutes ago
        conn.execute("UPDATE ybvoyager.runner_leases SET heartbeat_at = now() - interval '10 minutes'")
    view = store.snapshot(rec.migration_uuid).runner(Phase.EXPORT_SCHEMA)
    assert view.state == RunnerState.CRASHED
    assert "other-machine (pid 4242) stopped sending heartbeats 10m" in view.reason
    assert store.snapshot(rec.migration_uuid, stale_after=timedelta(hours=1)).runners[0].state == RunnerState.RUNNING


def test_a_lease_left_on_a_finished_phase_is_not_a_crash(source_db: ConnectionParams,
                                                          target_db: ConnectionParams) -> None:
    rec = register(source_db, target_db)
    store = open_store(target_db)
    me = RunnerIdentity(holder_id=uuid.uuid4(), host="other-machine", pid=4242)
    store.acquire_lease(rec.migration_uuid, Phase.EXPORT_SCHEMA, me)
    store.set_phase_status(rec.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(rec.migration_uuid, Phase.EXPORT_SCHEMA, PhaseStatus.FAILED, error="disk full")
    with target_conn(target_db) as conn:
        conn.execute("UPDATE ybvoyager.runner_leases SET heartbeat_at = now() - interval '1 hour'")
    summary = store.list_migrations()[0]
    assert not summary.crashed and summary.running_on is None
    assert summary.phases_done == 0 and summary.phases_total == 9
