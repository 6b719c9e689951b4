"""`ai troubleshoot`: advice on a running import from its rates, errors, the target's activity and this machine.

`collect` reads everything once into an `ImportSnapshot`; `advise` is a pure function of that snapshot, so the
rules are deterministic and tested without a database. No LLM is involved: the rules cover the common causes.
"""

from __future__ import annotations

import os
import socket
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from ..connections import ConnectionParams
from ..models import MigrationRecord, RunnerState
from ..phases import Phase
from ..run_controls import MAX_PARALLEL_JOBS, PARALLEL_JOBS, ControlStatus, parse_parallel_jobs, read_control
from ..state_store import StateStore

IMPORT_APPLICATION = "voyager-tui-import"
# Waits that mean sessions compete for the server's shared resources: more sessions make them worse.
CONTENTION_WAITS = ("LWLock", "IO", "Extension", "BufferPin")
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


class TableRate(BaseModel):
    schema_name: str
    table_name: str
    status: str
    completed_rows: int
    total_rows: int | None = None
    errored_rows: int = 0
    rate_per_second: float | None = None


class TargetActivity(BaseModel):
    """The import's sessions in the target's pg_stat_activity."""

    import_sessions: int = 0
    active_copies: int = 0
    waits: dict[str, int] = Field(default_factory=dict)
    """wait_event_type -> number of import sessions waiting on it (e.g. {"LWLock": 3})."""
    blocked_by: list[int] = Field(default_factory=list)
    """Pids of sessions that hold a lock an import session waits for."""
    other_active_sessions: int = 0
    """Active sessions of other applications in the target database."""

    @property
    def contention(self) -> int:
        return sum(n for kind, n in self.waits.items() if kind in CONTENTION_WAITS)


class ImportSnapshot(BaseModel):
    migration_name: str
    running: bool
    runner_host: str | None = None
    parallel_jobs: int | None = None
    """What the running import uses now, as it acknowledged in ybvoyager.run_controls."""
    pending_jobs: int | None = None
    """A change requested but not acknowledged yet."""
    tables: list[TableRate] = Field(default_factory=list)
    remaining_chunks: int = 0
    restarts: int = 0
    """Times import data failed or was taken over from a crashed runner (recent events)."""
    last_failure: str | None = None
    activity: TargetActivity = Field(default_factory=TargetActivity)
    cpu_count: int = 1
    load_average: float | None = None
    """1-minute load average of this machine, None where the OS does not tell."""
    runner_on_this_host: bool = False
    target_on_this_host: bool = False

    @property
    def rate(self) -> float:
        return sum(t.rate_per_second or 0.0 for t in self.tables if t.status == "IN_PROGRESS")

    @property
    def completed_rows(self) -> int:
        return sum(t.completed_rows for t in self.tables)

    @property
    def errored_rows(self) -> int:
        return sum(t.errored_rows for t in self.tables)

    @property
    def single_machine(self) -> bool:
        return self.runner_on_this_host and self.target_on_this_host


class Action(StrEnum):
    FEWER_JOBS = "fewer_jobs"
    MORE_JOBS = "more_jobs"
    KEEP = "keep"
    BLOCKED = "blocked"
    IDLE_JOBS = "idle_jobs"
    ERRORED_ROWS = "errored_rows"
    RESTARTS = "restarts"
    NOT_RUNNING = "not_running"


class Recommendation(BaseModel):
    action: Action
    title: str
    reason: str
    parallel_jobs: int | None = None
    """The number of parallel jobs to change to, for the actions that change it."""


def advise(s: ImportSnapshot) -> list[Recommendation]:
    """Deterministic rules, most important first; at most one of them changes the parallelism."""
    if not s.running:
        return [Recommendation(action=Action.NOT_RUNNING, title="no import is running",
                               reason=f"import data of {s.migration_name} is not running, so there is nothing to tune")]
    out: list[Recommendation] = []
    change = _parallelism(s)
    if change is not None:
        out.append(change)
    act = s.activity
    waiting_on_locks = act.waits.get("Lock", 0)
    if waiting_on_locks:
        holders = ", ".join(str(p) for p in act.blocked_by[:5]) or "another session"
        out.append(Recommendation(
            action=Action.BLOCKED, title="import sessions wait for a lock",
            reason=f"{waiting_on_locks} import session(s) wait for a lock held by {holders}: a long transaction or "
                   "DDL on the target blocks the load; more jobs will not help until it ends"))
    jobs = s.parallel_jobs
    if jobs is not None and 0 < s.remaining_chunks < jobs:
        out.append(Recommendation(
            action=Action.IDLE_JOBS, title="some jobs have nothing left to load",
            reason=f"only {s.remaining_chunks} chunk(s) are left for {jobs} jobs; the import is near its end"))
    if s.errored_rows:
        share = s.errored_rows / max(1, s.completed_rows + s.errored_rows)
        out.append(Recommendation(
            action=Action.ERRORED_ROWS, title="rows are being set aside",
            reason=f"{s.errored_rows:,} row(s) ({share:.1%}) were rejected by the target and stashed in the errors "
                   "dir; fix their cause in the schema or the data (then re-run import data with --start-clean) "
                   "rather than losing them, or accept them as known rejects"))
    if s.restarts:
        reason = f"import data failed or was taken over {s.restarts} time(s) recently"
        if s.last_failure:
            reason += f"; last error: {s.last_failure}"
        out.append(Recommendation(action=Action.RESTARTS, title="the import has restarted", reason=reason))
    if change is None:
        out.insert(0, Recommendation(
            action=Action.KEEP, title="keep the parallelism",
            reason=f"{_jobs(jobs)} at {s.rate:,.0f} rows/s: no sign of overload or of idle capacity"))
    return out


def proposed_jobs(recommendations: list[Recommendation]) -> int | None:
    return next((r.parallel_jobs for r in recommendations if r.parallel_jobs is not None), None)


def _parallelism(s: ImportSnapshot) -> Recommendation | None:
    jobs = s.parallel_jobs
    if jobs is None:
        return None
    cores = max(1, s.cpu_count)
    act = s.activity
    contention = act.contention
    waits = ", ".join(f"{n} on {kind}" for kind, n in sorted(act.waits.items()) if kind in CONTENTION_WAITS)
    if s.single_machine and jobs > cores:
        # The importer and the target share the cores: each job keeps one target backend busy, and the
        # backends then queue for shared buffers and WAL instead of loading.
        new = max(1, cores // 2) if contention else cores
        reason = (f"{jobs} parallel jobs on {cores} core(s), with the target on this machine: every job keeps a "
                  "target backend busy, so they compete for the same cores")
        if contention:
            reason += f"; import sessions already wait ({waits})"
        return Recommendation(action=Action.FEWER_JOBS, title=f"fewer parallel jobs: {jobs} → {new}", reason=reason,
                              parallel_jobs=new)
    if jobs > 1 and contention >= 2 and contention * 2 >= max(1, act.import_sessions):
        new = max(1, jobs // 2)
        return Recommendation(
            action=Action.FEWER_JOBS, title=f"fewer parallel jobs: {jobs} → {new}",
            reason=f"most import sessions wait on the server instead of loading ({waits}); fewer jobs queue less",
            parallel_jobs=new)
    cap = min(MAX_PARALLEL_JOBS, cores if s.single_machine else 2 * cores)
    idle = s.load_average is not None and s.load_average / cores < 0.5
    if (not contention and not act.waits.get("Lock") and idle and jobs < cap and s.remaining_chunks > jobs
            and s.rate > 0):
        new = min(cap, jobs * 2)
        return Recommendation(
            action=Action.MORE_JOBS, title=f"more parallel jobs: {jobs} → {new}",
            reason=f"this machine is mostly idle (load {s.load_average:.1f} on {cores} core(s)), the import sessions "
                   f"do not wait, and {s.remaining_chunks} chunk(s) are left",
            parallel_jobs=new)
    return None


def _jobs(jobs: int | None) -> str:
    return "an unknown number of parallel jobs" if jobs is None else f"{jobs} parallel job(s)"


# ---- reading the snapshot -------------------------------------------------------------------------------


def is_this_host(host: str | None) -> bool:
    """Whether a host name (or unix socket directory) names this machine."""
    if not host:
        return False
    if host.startswith("/") or host in _LOCAL_NAMES or host.startswith("127."):
        return True
    return host in {socket.gethostname(), socket.getfqdn()}


def collect(store: StateStore, migration: MigrationRecord, target: ConnectionParams) -> ImportSnapshot:
    """Read the running import's state, the target's activity and this machine's cores, once."""
    mid = migration.migration_uuid
    snap = store.snapshot(mid, events=100)
    runner = snap.runner(Phase.IMPORT_DATA)
    running = runner is not None and runner.state == RunnerState.RUNNING
    tables = [TableRate(schema_name=t.schema_name, table_name=t.table_name, status=t.status,
                        completed_rows=t.completed_rows, total_rows=t.total_rows, errored_rows=t.errored_rows,
                        rate_per_second=t.rate_per_second)
              for t in snap.tables_of(Phase.IMPORT_DATA)]
    jobs = pending = None
    control = read_control(store, mid, Phase.IMPORT_DATA, PARALLEL_JOBS)
    if control is not None and runner is not None and control.applied_at is not None \
            and control.applied_at >= runner.lease.started_at:
        jobs = parse_parallel_jobs(control.applied_value)
        if control.status == ControlStatus.PENDING:
            pending = parse_parallel_jobs(control.requested_value)
    failures = [e for e in snap.recent_events if e.phase == Phase.IMPORT_DATA.value
                and e.event_type in ("phase_failed", "runner_taken_over")]
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    return ImportSnapshot(
        migration_name=migration.migration_name, running=running,
        runner_host=runner.lease.host if runner is not None else None,
        parallel_jobs=jobs, pending_jobs=pending, tables=tables, remaining_chunks=_remaining_chunks(store, mid),
        restarts=len(failures), last_failure=failures[-1].message if failures else None,
        activity=target_activity(store), cpu_count=os.cpu_count() or 1, load_average=load,
        runner_on_this_host=runner is not None and runner.lease.host == socket.gethostname(),
        target_on_this_host=is_this_host(target.host),
    )


def target_activity(store: StateStore) -> TargetActivity:
    rows = store.conn.execute(
        """SELECT application_name = %s, state, wait_event_type, left(ltrim(query), 4) ILIKE 'COPY',
                  pg_blocking_pids(pid)
           FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'""",
        (IMPORT_APPLICATION,)).fetchall()
    act = TargetActivity()
    blockers: set[int] = set()
    for is_import, state, wait, is_copy, blocking in rows:
        if not is_import:
            act.other_active_sessions += state == "active"
            continue
        act.import_sessions += 1
        if state == "active" and is_copy:
            act.active_copies += 1
        if state == "active" and wait:
            act.waits[wait] = act.waits.get(wait, 0) + 1
        blockers.update(int(p) for p in blocking or [])
    act.blocked_by = sorted(blockers)
    return act


def _remaining_chunks(store: StateStore, mid: UUID) -> int:
    row = store.conn.execute(
        """SELECT count(*) FROM ybvoyager.export_chunks c
           WHERE c.migration_uuid = %s AND NOT EXISTS (
               SELECT 1 FROM ybvoyager.import_batches b WHERE b.migration_uuid = c.migration_uuid
                 AND b.schema_name = c.schema_name AND b.table_name = c.table_name AND b.chunk_id = c.chunk_id)""",
        (mid,)).fetchone()
    return int(row[0]) if row else 0
