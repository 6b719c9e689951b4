"""next_step is a pure function of a snapshot: every branch, without a database."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from voyager_tui.engine import steps
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.lease import judge
from voyager_tui.engine.models import (
    MigrationRecord,
    MigrationSnapshot,
    PhaseState,
    RunnerLease,
    RunnerState,
    SchemaFailures,
)
from voyager_tui.engine.next_step import next_step
from voyager_tui.engine.phases import PHASE_ORDER, Phase, PhaseStatus

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TARGET = ConnectionParams(host="yb.example.com", port=5433, user="admin", dbname="shop")
OK, IP, FAIL = PhaseStatus.COMPLETED, PhaseStatus.IN_PROGRESS, PhaseStatus.FAILED


def snapshot(runners: dict[Phase, tuple[str, int, timedelta]] | None = None, errors: dict[Phase, str] | None = None,
             **st: PhaseStatus) -> MigrationSnapshot:
    mig = MigrationRecord(migration_uuid=uuid.UUID(int=7), migration_name="prod-to-yb", source_db_type="postgresql",
                          source_db_identifier="postgresql:x/shop", source_schemas=["public"], target_db_name="shop",
                          created_at=NOW, updated_at=NOW)
    phases = [PhaseState(phase=p, status=st.get(p.value, PhaseStatus.NOT_STARTED),
                         error_message=(errors or {}).get(p)) for p in PHASE_ORDER]
    views = []
    for phase, (host, pid, age) in (runners or {}).items():
        lease = RunnerLease(phase=phase, holder_id=uuid.uuid4(), host=host, pid=pid, started_at=NOW - age,
                            heartbeat_at=NOW - age)
        views.append(judge(lease, NOW))
    return MigrationSnapshot(server_time=NOW, schema_version=2, migration=mig, phases=phases, runners=views)


def test_fresh_migration_starts_with_export_schema() -> None:
    step = next_step(snapshot(), TARGET)
    assert step.kind == "run"
    assert step.phase == Phase.EXPORT_SCHEMA
    assert step.argv == ["voyager-tui", "migrate", "export", "schema", "--migration-name", "prod-to-yb",
                         "--target-db-host", "yb.example.com", "--target-db-port", "5433",
                         "--target-db-user", "admin", "--target-db-name", "shop"]
    assert "password" not in step.command.lower()
    assert step.can_run_here is True


def test_unregistered_step_cannot_run_here() -> None:
    saved = steps.registered_step(Phase.EXPORT_SCHEMA)
    steps.unregister_step(Phase.EXPORT_SCHEMA)
    try:
        step = next_step(snapshot(), TARGET)
    finally:
        assert saved is not None
        steps.register_step(saved)
    assert step.can_run_here is False
    assert step.not_here_reason == "this version of voyager-tui cannot run Export Schema yet"


def test_mysql_source_cannot_run_pipeline_steps_yet() -> None:
    snap = snapshot()
    snap = snap.model_copy(update={"migration": snap.migration.model_copy(update={"source_db_type": "mysql"})})
    step = next_step(snap, TARGET)
    assert step.can_run_here is False
    assert step.not_here_reason == "mysql sources cannot be migrated by this version yet (PostgreSQL only)"


def test_next_phase_follows_the_last_completed() -> None:
    step = next_step(snapshot(export_schema=OK, analyze_schema=OK), TARGET)
    assert (step.kind, step.phase, step.title) == ("run", Phase.IMPORT_SCHEMA, "Run Import Schema")


def test_failed_phase_is_retried_with_its_error() -> None:
    step = next_step(snapshot(errors={Phase.ANALYZE_SCHEMA: "parse error at line 3"}, export_schema=OK,
                              analyze_schema=FAIL), TARGET)
    assert step.kind == "retry"
    assert step.phase == Phase.ANALYZE_SCHEMA
    assert "parse error at line 3" in step.why


def test_running_export_lets_import_data_start() -> None:
    s = snapshot(runners={Phase.EXPORT_DATA: ("elsewhere", 1, timedelta(seconds=2))},
                 export_schema=OK, analyze_schema=OK, import_schema=OK, export_data=IP)
    step = next_step(s, TARGET)
    assert (step.kind, step.phase) == ("run", Phase.IMPORT_DATA)


def test_running_phase_with_nothing_else_startable_means_wait() -> None:
    s = snapshot(runners={Phase.EXPORT_SCHEMA: ("elsewhere", 1, timedelta(seconds=2))}, export_schema=IP)
    step = next_step(s, TARGET)
    assert step.kind == "wait"
    assert step.title == "Wait for Export Schema to complete"
    assert step.phase == Phase.ANALYZE_SCHEMA  # the command shown is the one to run afterwards
    assert "running on host elsewhere (pid 1)" in step.why
    assert step.can_run_here is False


def test_stale_heartbeat_means_resume() -> None:
    s = snapshot(runners={Phase.EXPORT_SCHEMA: ("elsewhere", 1, timedelta(minutes=10))}, export_schema=IP)
    assert s.runners[0].state == RunnerState.CRASHED
    step = next_step(s, TARGET)
    assert step.kind == "resume"
    assert step.phase == Phase.EXPORT_SCHEMA
    assert "stopped sending heartbeats 10m 00s ago" in step.why


def test_dead_pid_on_this_host_means_resume_at_once() -> None:
    dead_pid = _dead_pid()
    s = snapshot(runners={Phase.EXPORT_SCHEMA: (socket.gethostname(), dead_pid, timedelta(seconds=1))},
                 export_schema=IP)
    step = next_step(s, TARGET)
    assert step.kind == "resume"
    assert "process not found" in step.why


def test_in_progress_without_lease_is_interrupted() -> None:
    step = next_step(snapshot(export_schema=IP), TARGET)
    assert step.kind == "resume"
    assert "no process holds it" in step.why


def test_ended_migration_is_done() -> None:
    step = next_step(snapshot(**{p.value: OK for p in PHASE_ORDER}), TARGET)
    assert step.kind == "done"
    assert step.argv == []


def test_ssl_mode_appears_only_when_not_default() -> None:
    step = next_step(snapshot(), TARGET.model_copy(update={"sslmode": "verify-full"}))
    assert step.argv[-2:] == ["--target-ssl-mode", "verify-full"]


def test_command_lines_wrap_one_flag_per_line() -> None:
    lines = next_step(snapshot(), TARGET).command_lines()
    assert lines[0] == "voyager-tui migrate export schema \\"
    assert lines[1] == "  --migration-name prod-to-yb \\"
    assert lines[-1] == "  --target-db-name shop"


def test_registered_step_can_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    saved = steps.registered_step(Phase.EXPORT_SCHEMA)

    class Export:
        phase = Phase.EXPORT_SCHEMA
        options = ()

        def unavailable_reason(self, snap: MigrationSnapshot, options: Any) -> str | None:
            return None

        def run(self, ctx: Any) -> None:
            return None

    steps.register_step(Export())
    try:
        step = next_step(snapshot(), TARGET)
    finally:
        assert saved is not None
        steps.register_step(saved)
    assert step.can_run_here is True
    assert step.not_here_reason is None


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def with_failures(snap: MigrationSnapshot, **counts: int | bool) -> MigrationSnapshot:
    return snap.model_copy(update={"schema_failures": SchemaFailures(**counts)})


SCHEMA_DONE = {"export_schema": OK, "analyze_schema": OK}
CONVERT = ["voyager-tui", "ai", "convert", "--migration-name", "prod-to-yb", "--target-db-host", "yb.example.com",
           "--target-db-port", "5433", "--target-db-user", "admin", "--target-db-name", "shop"]


def test_import_schema_failures_without_suggestions_lead_to_review() -> None:
    step = next_step(with_failures(snapshot(**SCHEMA_DONE, import_schema=OK), failed=3), TARGET)
    assert step.kind == "review" and step.phase == Phase.IMPORT_SCHEMA
    assert step.title == "Review fixes for 3 objects import schema could not create"
    assert "no fixes have been proposed for them yet" in step.why and "schema/failed.sql" in step.why
    assert step.argv == CONVERT and step.can_run_here


def test_failures_no_provider_could_fix_do_not_hold_the_migration_at_review() -> None:
    # Fixes were proposed since the run (an ai_fixes_proposed event) but no provider had one for this object.
    step = next_step(with_failures(snapshot(**SCHEMA_DONE, import_schema=OK), failed=1, attempted=True), TARGET)
    assert step.kind == "run" and step.phase == Phase.EXPORT_DATA


def test_failed_import_schema_with_object_failures_is_reviewed_before_a_retry() -> None:
    snap = snapshot(errors={Phase.IMPORT_SCHEMA: "1 of 9 objects failed; see failed.sql"},
                    **SCHEMA_DONE, import_schema=FAIL)
    step = next_step(with_failures(snap, failed=1, pending=1), TARGET)
    assert step.kind == "review"
    assert step.title == "Review fixes for 1 object import schema could not create"
    assert "Import schema failed" in step.why and "1 suggested fix waits for a decision" in step.why


def test_pending_decisions_keep_the_review_step_even_with_some_accepted() -> None:
    step = next_step(with_failures(snapshot(**SCHEMA_DONE, import_schema=OK), failed=4, accepted=2, pending=2),
                     TARGET)
    assert step.kind == "review" and "2 suggested fixes wait" in step.why


def test_accepted_fixes_lead_to_re_running_import_schema() -> None:
    step = next_step(with_failures(snapshot(**SCHEMA_DONE, import_schema=OK), failed=3, accepted=3), TARGET)
    assert step.kind == "run" and step.phase == Phase.IMPORT_SCHEMA
    assert step.title == "Re-run Import Schema with 3 accepted fixes"
    assert step.argv[:4] == ["voyager-tui", "migrate", "import", "schema"]
    assert "--continue-on-error" not in step.argv and step.options == {}


def test_re_run_continues_past_the_failures_that_keep_failing() -> None:
    snap = snapshot(errors={Phase.IMPORT_SCHEMA: "3 of 9 objects failed"}, **SCHEMA_DONE, import_schema=FAIL)
    step = next_step(with_failures(snap, failed=3, accepted=1, rejected=1), TARGET)
    assert step.kind == "retry" and step.title == "Re-run Import Schema with 1 accepted fix"
    assert step.argv[-1] == "--continue-on-error" and step.options == {"continue_on_error": True}
    assert "The other 2 objects still fail" in step.why


def test_every_failure_rejected_goes_on_to_export_data() -> None:
    step = next_step(with_failures(snapshot(**SCHEMA_DONE, import_schema=OK), failed=2, rejected=2), TARGET)
    assert step.kind == "run" and step.phase == Phase.EXPORT_DATA


def test_every_failure_rejected_after_a_failed_run_asks_for_a_retry() -> None:
    snap = snapshot(errors={Phase.IMPORT_SCHEMA: "2 of 9 objects failed"}, **SCHEMA_DONE, import_schema=FAIL)
    step = next_step(with_failures(snap, failed=2, rejected=2), TARGET)
    assert step.kind == "retry" and step.title == "Fix the problem, then re-run Import Schema"


def test_no_review_once_import_data_has_started_or_while_import_schema_runs() -> None:
    later = snapshot(**SCHEMA_DONE, import_schema=OK, export_data=OK, import_data=IP,
                     runners={Phase.IMPORT_DATA: (socket.gethostname(), os.getpid(), timedelta(seconds=1))})
    assert next_step(with_failures(later, failed=2), TARGET).kind == "wait"
    running = snapshot(**SCHEMA_DONE, import_schema=IP,
                       runners={Phase.IMPORT_SCHEMA: (socket.gethostname(), os.getpid(), timedelta(seconds=1))})
    assert next_step(with_failures(running, failed=2), TARGET).kind != "review"


def test_an_interrupted_import_schema_is_resumed_before_any_review() -> None:
    snap = snapshot(**SCHEMA_DONE, import_schema=IP)
    assert next_step(with_failures(snap, failed=2), TARGET).kind == "resume"
