"""Typed reads and writes of schema ybvoyager. Every write that spans rows runs in one transaction."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict

from .. import __version__
from .errors import DuplicateMigration, LeaseHeld, MigrationNotFound
from .lease import RunnerIdentity, actor, judge
from .models import (
    DEFAULT_STALE_AFTER,
    Event,
    MigrationRecord,
    MigrationSnapshot,
    MigrationSummary,
    PhaseState,
    RunnerLease,
    RunnerState,
    SchemaFailures,
    TableProgress,
)
from .phases import PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus, check_transition, current_phase
from .state_schema import ensure_schema


class NewMigration(BaseModel):
    """What `migrate init` learned about a migration before registering it."""

    model_config = ConfigDict(frozen=True)

    migration_name: str
    source_db_type: str
    source_db_host: str | None
    source_db_port: int | None
    source_db_user: str | None
    source_db_name: str | None
    source_db_version: str | None
    source_db_identifier: str
    source_ssl_mode: str = "prefer"
    source_schemas: list[str]
    target_db_name: str
    target_db_type: str
    target_db_version: str
    export_dir: str | None = None
    migration_uuid: UUID | None = None


class TableProgressUpdate(BaseModel):
    """One table's progress write. `completed_rows` sets, `completed_delta` adds (atomic across writers)."""

    model_config = ConfigDict(frozen=True)

    schema_name: str
    table_name: str
    phase: Phase
    total_rows: int | None = None
    completed_rows: int | None = None
    completed_delta: int = 0
    errored_rows: int | None = None
    errored_delta: int = 0
    status: str | None = None
    rate_per_second: float | None = None


_EVENT_FOR_STATUS = {
    PhaseStatus.IN_PROGRESS: "phase_started",
    PhaseStatus.COMPLETED: "phase_completed",
    PhaseStatus.FAILED: "phase_failed",
    PhaseStatus.SKIPPED: "phase_skipped",
}

# The failures of import schema's latest run (its report, if written during that run) against the suggestions made
# since the run started, matched by the object label import schema uses (pipeline.import_schema.label).
_SCHEMA_FAILURES_SQL = """
SELECT jsonb_build_object(
    'failed', count(*),
    'accepted', count(*) FILTER (WHERE d.accepted),
    'rejected', count(*) FILTER (WHERE d.rejected AND NOT d.accepted),
    'pending', count(*) FILTER (WHERE d.pending AND NOT d.accepted AND NOT d.rejected),
    'attempted', COALESCE(bool_or(EXISTS (
        SELECT 1 FROM ybvoyager.events e WHERE e.migration_uuid = s.migration_uuid
           AND e.event_type = 'ai_fixes_proposed' AND e.created_at >= s.started_at)), FALSE))
  FROM ybvoyager.migration_state s
  JOIN LATERAL (SELECT r.report_data, r.generated_at FROM ybvoyager.reports r
                WHERE r.migration_uuid = s.migration_uuid AND r.report_type = 'schema_import'
                ORDER BY r.report_version DESC LIMIT 1) r ON r.generated_at >= s.started_at
  CROSS JOIN LATERAL jsonb_array_elements(r.report_data -> 'failed') f
  CROSS JOIN LATERAL (
    SELECT COALESCE(bool_or(g.decision = 'ACCEPTED'), FALSE) AS accepted,
           COALESCE(bool_or(g.decision = 'REJECTED'), FALSE) AS rejected,
           COALESCE(bool_or(g.decision = 'PENDING'), FALSE) AS pending
      FROM ybvoyager.suggestions g
      CROSS JOIN LATERAL (SELECT split_part(btrim(g.original_sql, E' \\t\\r\\n'), E'\\n', 1) AS first) l
     WHERE g.migration_uuid = s.migration_uuid AND g.created_at >= s.started_at
       AND f ->> 'object' = CASE g.object_type
             WHEN 'OTHER' THEN CASE WHEN length(l.first) <= 90 THEN l.first ELSE left(l.first, 77) || '... #'
                 || left(encode(sha256(convert_to(btrim(g.original_sql, E' \\t\\r\\n'), 'UTF8')), 'hex'), 8) END
             WHEN 'SCHEMA' THEN 'schema ' || g.object_name
             WHEN 'COMMENT' THEN 'comment on ' || g.object_name
             ELSE lower(g.object_type) || ' ' || g.object_name END) d
 WHERE s.migration_uuid = %(u)s AND s.phase = 'import_schema' AND s.step = ''
   AND s.status IN ('COMPLETED', 'FAILED')
"""

_SNAPSHOT_SQL = """
SELECT COALESCE(%(as_of)s::timestamptz, now()),
  (SELECT version FROM ybvoyager.schema_version),
  (SELECT to_jsonb(m) FROM ybvoyager.migrations m WHERE m.migration_uuid = %(u)s),
  COALESCE((SELECT jsonb_agg(to_jsonb(s)) FROM ybvoyager.migration_state s
            WHERE s.migration_uuid = %(u)s AND s.step = ''), '[]'::jsonb),
  COALESCE((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.phase, t.schema_name, t.table_name)
            FROM ybvoyager.table_progress t WHERE t.migration_uuid = %(u)s), '[]'::jsonb),
  COALESCE((SELECT jsonb_agg(to_jsonb(l)) FROM ybvoyager.runner_leases l
            WHERE l.migration_uuid = %(u)s), '[]'::jsonb),
  COALESCE((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.event_id)
            FROM (SELECT * FROM ybvoyager.events WHERE migration_uuid = %(u)s
                  ORDER BY event_id DESC LIMIT %(n)s) e), '[]'::jsonb),
  (""" + _SCHEMA_FAILURES_SQL + """)
"""

_LIST_SQL = """
SELECT to_jsonb(m), COALESCE(%(as_of)s::timestamptz, now()),
  (SELECT count(*) FROM ybvoyager.migration_state s WHERE s.migration_uuid = m.migration_uuid
      AND s.step = '' AND s.status IN ('COMPLETED', 'SKIPPED') AND s.phase <> ALL(%(optional)s)),
  COALESCE((SELECT jsonb_agg(to_jsonb(l)) FROM ybvoyager.runner_leases l
            JOIN ybvoyager.migration_state s ON s.migration_uuid = l.migration_uuid AND s.phase = l.phase
                 AND s.step = '' AND s.status = 'IN_PROGRESS'
            WHERE l.migration_uuid = m.migration_uuid), '[]'::jsonb)
FROM ybvoyager.migrations m ORDER BY m.created_at, m.migration_name
"""

_PROGRESS_SQL = """
INSERT INTO ybvoyager.table_progress AS tp (migration_uuid, schema_name, table_name, phase, total_rows,
    completed_rows, errored_rows, status, started_at, completed_at, rate_per_second, updated_at)
VALUES (%(u)s, %(schema)s, %(table)s, %(phase)s, %(total)s::bigint,
    COALESCE(%(abs)s::bigint, 0) + %(delta)s::bigint, COALESCE(%(err_abs)s::bigint, 0) + %(err)s::bigint,
    COALESCE(%(status)s::text, 'NOT_STARTED'),
    CASE WHEN %(status)s::text = 'IN_PROGRESS' THEN now() END,
    CASE WHEN %(status)s::text IN ('COMPLETED', 'FAILED') THEN now() END,
    %(rate)s::float8, now())
ON CONFLICT (migration_uuid, schema_name, table_name, phase) DO UPDATE SET
    total_rows = COALESCE(EXCLUDED.total_rows, tp.total_rows),
    completed_rows = COALESCE(%(abs)s::bigint, tp.completed_rows) + %(delta)s::bigint,
    errored_rows = COALESCE(%(err_abs)s::bigint, tp.errored_rows) + %(err)s::bigint,
    status = COALESCE(%(status)s::text, tp.status),
    started_at = COALESCE(tp.started_at, CASE WHEN %(status)s::text = 'IN_PROGRESS' THEN now() END),
    completed_at = CASE WHEN %(status)s::text IN ('COMPLETED', 'FAILED') THEN now()
                        WHEN %(status)s::text IS NOT NULL THEN NULL ELSE tp.completed_at END,
    rate_per_second = COALESCE(%(rate)s::float8, tp.rate_per_second),
    updated_at = now()
"""


class StateStore:
    """The target's ybvoyager schema, through one autocommit connection.

    Not for sharing across threads that write concurrently: give each thread its own store.
    """

    def __init__(self, conn: psycopg.Connection[Any], *, create: bool = False) -> None:
        if not conn.autocommit:
            raise ValueError("StateStore needs an autocommit connection; it opens its own transactions")
        self.conn = conn
        self.schema_version = ensure_schema(conn, create=create)

    # ---- migrations -------------------------------------------------------------------------

    def register_migration(self, new: NewMigration) -> MigrationRecord:
        mid = new.migration_uuid or uuid.uuid4()
        schemas = sorted(set(new.source_schemas))
        try:
            with self.conn.transaction():
                self._check_unique(new, schemas)
                self.conn.execute(
                    """INSERT INTO ybvoyager.migrations (migration_uuid, migration_name, source_db_type,
                        source_db_host, source_db_port, source_db_user, source_db_name, source_db_version,
                        source_db_identifier, source_schemas, target_db_name, target_db_type,
                        target_db_version, export_dir, current_phase, current_status, voyager_version,
                        voyager_host, source_ssl_mode)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    (mid, new.migration_name, new.source_db_type, new.source_db_host, new.source_db_port,
                     new.source_db_user, new.source_db_name, new.source_db_version, new.source_db_identifier,
                     schemas, new.target_db_name, new.target_db_type, new.target_db_version, new.export_dir,
                     Phase.EXPORT_SCHEMA.value, PhaseStatus.NOT_STARTED.value, __version__,
                     socket.gethostname(), new.source_ssl_mode),
                )
                with self.conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO ybvoyager.migration_state (migration_uuid, phase, status) VALUES (%s, %s, %s)",
                        [(mid, p.value, PhaseStatus.NOT_STARTED.value) for p in PHASE_ORDER],
                    )
                self._event(mid, "migration_registered", None,
                            f"Migration {new.migration_name} registered ({new.source_db_type} source)",
                            {"source_db_version": new.source_db_version, "source_schemas": schemas,
                             "target_db_version": new.target_db_version})
        except pg_errors.UniqueViolation:
            # A concurrent init got there between our check and our insert.
            self._check_unique(new, schemas)
            raise
        return self.get_migration(uuid=mid)

    def _check_unique(self, new: NewMigration, schemas: list[str]) -> None:
        row = self.conn.execute(
            """SELECT migration_name, migration_uuid FROM ybvoyager.migrations
               WHERE migration_name = %s
                  OR (source_db_identifier = %s AND source_schemas = %s AND target_db_name = %s)""",
            (new.migration_name, new.source_db_identifier, schemas, new.target_db_name),
        ).fetchone()
        if row is None:
            return
        if row[0] == new.migration_name:
            raise DuplicateMigration(f"a migration named {row[0]!r} already exists in this target ({row[1]})")
        raise DuplicateMigration(
            f"this source ({new.source_db_identifier}, schemas {', '.join(schemas)}) is already being migrated "
            f"into {new.target_db_name} by migration {row[0]!r} ({row[1]})"
        )

    def get_migration(self, *, name: str | None = None, uuid: UUID | None = None) -> MigrationRecord:
        if uuid is not None:
            row = self.conn.execute(
                "SELECT to_jsonb(m) FROM ybvoyager.migrations m WHERE migration_uuid = %s", (uuid,)
            ).fetchone()
            wanted = str(uuid)
        else:
            row = self.conn.execute(
                "SELECT to_jsonb(m) FROM ybvoyager.migrations m WHERE migration_name = %s", (name,)
            ).fetchone()
            wanted = repr(name)
        if row is None:
            names = [s.migration.migration_name for s in self.list_migrations()]
            known = f"; migrations here: {', '.join(names)}" if names else "; this target has no migrations"
            raise MigrationNotFound(f"no migration {wanted} in this target{known}")
        return MigrationRecord.model_validate(row[0])

    def resolve_migration(self, name: str | None, uuid: UUID | None) -> MigrationRecord:
        """By name or uuid; with neither, the only active migration of the target."""
        if name is not None or uuid is not None:
            return self.get_migration(name=name, uuid=uuid)
        summaries = self.list_migrations()
        active = [s.migration for s in summaries if s.is_active]
        if len(active) == 1:
            return active[0]
        if not active and len(summaries) == 1:
            return summaries[0].migration  # the target's only migration, finished: its status stays readable
        if not summaries:
            raise MigrationNotFound("this target has no migrations (run `voyager-tui migrate init`)")
        names = ", ".join(s.migration.migration_name for s in summaries)
        raise MigrationNotFound(f"say which migration with --migration-name or --migration-uuid ({names})")

    def list_migrations(self, *, as_of: datetime | None = None,
                        stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[MigrationSummary]:
        out = []
        params = {"as_of": as_of, "optional": [p.value for p in PHASE_ORDER if PHASE_SPECS[p].optional]}
        for mig, now, done, leases in self.conn.execute(_LIST_SQL, params).fetchall():
            views = [judge(RunnerLease.model_validate(x), now, stale_after) for x in leases]
            running = [v for v in views if v.state == RunnerState.RUNNING]
            out.append(MigrationSummary(
                migration=MigrationRecord.model_validate(mig),
                phases_done=int(done),
                running_on=running[0].lease.host if running else None,
                crashed=any(v.state == RunnerState.CRASHED for v in views),
            ))
        return out

    def snapshot(self, migration_uuid: UUID, *, events: int = 20, as_of: datetime | None = None,
                 stale_after: timedelta = DEFAULT_STALE_AFTER) -> MigrationSnapshot:
        row = self.conn.execute(_SNAPSHOT_SQL, {"u": migration_uuid, "n": events, "as_of": as_of}).fetchone()
        assert row is not None
        server_time, version, mig, phases, tables, leases, evts, failures = row
        if mig is None:
            raise MigrationNotFound(f"no migration {migration_uuid} in this target")
        by_phase = {p["phase"]: p for p in phases}
        return MigrationSnapshot(
            server_time=server_time,
            schema_version=version,
            migration=MigrationRecord.model_validate(mig),
            phases=[PhaseState.model_validate(by_phase.get(p.value, {"phase": p.value})) for p in PHASE_ORDER],
            tables=[TableProgress.model_validate(t) for t in tables],
            runners=[judge(RunnerLease.model_validate(x), server_time, stale_after) for x in leases],
            recent_events=[Event.model_validate(e) for e in evts],
            schema_failures=SchemaFailures.model_validate(failures or {}),
        )

    # ---- phases -----------------------------------------------------------------------------

    def set_phase_status(self, migration_uuid: UUID, phase: Phase, status: PhaseStatus, *,
                         error: str | None = None, metadata: dict[str, Any] | None = None,
                         message: str | None = None) -> PhaseState:
        """Move a phase to `status` if the state machine allows it; records an event in the same transaction."""
        with self.conn.transaction():
            locked = self.conn.execute(
                "SELECT 1 FROM ybvoyager.migrations WHERE migration_uuid = %s FOR UPDATE", (migration_uuid,)
            ).fetchone()
            if locked is None:
                raise MigrationNotFound(f"no migration {migration_uuid} in this target")
            statuses = self._statuses(migration_uuid)
            old = statuses.get(phase, PhaseStatus.NOT_STARTED)
            check_transition(phase, status, statuses)
            row = self.conn.execute(
                """UPDATE ybvoyager.migration_state SET
                       status = %(new)s,
                       started_at = CASE WHEN %(new)s = 'IN_PROGRESS' AND status <> 'IN_PROGRESS' THEN now()
                                         ELSE started_at END,
                       completed_at = CASE WHEN %(new)s IN ('COMPLETED', 'FAILED', 'SKIPPED') THEN now() END,
                       error_message = %(err)s,
                       metadata = metadata || %(meta)s,
                       updated_at = now()
                   WHERE migration_uuid = %(u)s AND phase = %(phase)s AND step = ''
                   RETURNING to_jsonb(migration_state.*)""",
                {"new": status.value, "err": error, "meta": Jsonb(metadata or {}), "u": migration_uuid,
                 "phase": phase.value},
            ).fetchone()
            assert row is not None
            statuses[phase] = status
            cur_phase, cur_status = current_phase(statuses)
            self.conn.execute(
                """UPDATE ybvoyager.migrations SET current_phase = %s, current_status = %s, updated_at = now()
                   WHERE migration_uuid = %s""",
                (cur_phase.value, cur_status.value, migration_uuid),
            )
            kind = "phase_resumed" if old == status == PhaseStatus.IN_PROGRESS else _EVENT_FOR_STATUS[status]
            title = PHASE_SPECS[phase].title
            text = message or {
                "phase_started": f"{title} started",
                "phase_resumed": f"{title} resumed",
                "phase_completed": f"{title} completed",
                "phase_failed": f"{title} failed: {error or 'unknown error'}",
                "phase_skipped": f"{title} skipped",
            }[kind]
            self._event(migration_uuid, kind, phase, text, {"from": old.value, "to": status.value})
        return PhaseState.model_validate(row[0])

    def _statuses(self, migration_uuid: UUID) -> dict[Phase, PhaseStatus]:
        rows = self.conn.execute(
            "SELECT phase, status FROM ybvoyager.migration_state WHERE migration_uuid = %s AND step = ''",
            (migration_uuid,),
        ).fetchall()
        return {Phase(p): PhaseStatus(s) for p, s in rows}

    # ---- table progress ---------------------------------------------------------------------

    def write_table_progress(self, migration_uuid: UUID, updates: Sequence[TableProgressUpdate]) -> None:
        """Upsert progress rows; deltas add atomically, so concurrent writers never lose counts."""
        if not updates:
            return
        params = [
            {"u": migration_uuid, "schema": u.schema_name, "table": u.table_name, "phase": u.phase.value,
             "total": u.total_rows, "abs": u.completed_rows, "delta": u.completed_delta,
             "err": u.errored_delta, "err_abs": u.errored_rows, "status": u.status, "rate": u.rate_per_second}
            for u in updates
        ]
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(_PROGRESS_SQL, params)

    # ---- events -----------------------------------------------------------------------------

    def record_event(self, migration_uuid: UUID, event_type: str, message: str, *,
                     phase: Phase | None = None, data: dict[str, Any] | None = None) -> None:
        self._event(migration_uuid, event_type, phase, message, data or {})

    def _event(self, migration_uuid: UUID, event_type: str, phase: Phase | None, message: str,
               data: dict[str, Any]) -> None:
        self.conn.execute(
            """INSERT INTO ybvoyager.events (migration_uuid, event_type, phase, message, event_data, actor)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (migration_uuid, event_type, phase.value if phase else None, message, Jsonb(data), actor()),
        )

    def events(self, migration_uuid: UUID, *, after_id: int = 0, newest: int = 1000) -> list[Event]:
        """Events after `after_id`, oldest first; at most the `newest` most recent of them."""
        rows = self.conn.execute(
            """SELECT e FROM (SELECT to_jsonb(x) AS e, x.event_id FROM ybvoyager.events x
                              WHERE migration_uuid = %s AND event_id > %s
                              ORDER BY event_id DESC LIMIT %s) newest
               ORDER BY event_id""",
            (migration_uuid, after_id, newest),
        ).fetchall()
        return [Event.model_validate(r[0]) for r in rows]

    # ---- reports ----------------------------------------------------------------------------

    def save_report(self, migration_uuid: UUID, report_type: str, data: dict[str, Any]) -> int:
        """Store a new version of a report; returns its version number."""
        with self.conn.transaction():
            self.conn.execute("SELECT 1 FROM ybvoyager.migrations WHERE migration_uuid = %s FOR UPDATE",
                              (migration_uuid,))
            row = self.conn.execute(
                """INSERT INTO ybvoyager.reports (migration_uuid, report_type, report_version, report_data)
                   SELECT %s, %s, COALESCE(max(report_version), 0) + 1, %s FROM ybvoyager.reports
                   WHERE migration_uuid = %s AND report_type = %s
                   RETURNING report_version""",
                (migration_uuid, report_type, Jsonb(data), migration_uuid, report_type),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def latest_report(self, migration_uuid: UUID, report_type: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            """SELECT report_data FROM ybvoyager.reports WHERE migration_uuid = %s AND report_type = %s
               ORDER BY report_version DESC LIMIT 1""",
            (migration_uuid, report_type),
        ).fetchone()
        return None if row is None else dict(row[0])

    # ---- runner leases ----------------------------------------------------------------------

    def acquire_lease(self, migration_uuid: UUID, phase: Phase, me: RunnerIdentity, *, command: str = "",
                      stale_after: timedelta = DEFAULT_STALE_AFTER) -> RunnerLease:
        """Take the phase's lease; a crashed holder's lease is taken over, a live one raises LeaseHeld."""
        for attempt in range(2):
            try:
                return self._acquire(migration_uuid, phase, me, command, stale_after)
            except pg_errors.UniqueViolation:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _acquire(self, migration_uuid: UUID, phase: Phase, me: RunnerIdentity, command: str,
                 stale_after: timedelta) -> RunnerLease:
        with self.conn.transaction():
            row = self.conn.execute(
                """SELECT to_jsonb(l), now() FROM ybvoyager.runner_leases l
                   WHERE migration_uuid = %s AND phase = %s FOR UPDATE""",
                (migration_uuid, phase.value),
            ).fetchone()
            title = PHASE_SPECS[phase].title
            if row is not None:
                held = judge(RunnerLease.model_validate(row[0]), row[1], stale_after)
                if held.lease.holder_id != me.holder_id:
                    if held.state == RunnerState.RUNNING:
                        raise LeaseHeld(f"{title} is already {held.reason}")
                    self._event(migration_uuid, "runner_taken_over", phase,
                                f"{title}: taking over from a crashed runner ({held.reason})",
                                {"old_host": held.lease.host, "old_pid": held.lease.pid})
            got = self.conn.execute(
                """INSERT INTO ybvoyager.runner_leases (migration_uuid, phase, holder_id, host, pid, command)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (migration_uuid, phase) DO UPDATE SET holder_id = EXCLUDED.holder_id,
                       host = EXCLUDED.host, pid = EXCLUDED.pid, command = EXCLUDED.command,
                       started_at = now(), heartbeat_at = now()
                   RETURNING to_jsonb(runner_leases.*)""",
                (migration_uuid, phase.value, me.holder_id, me.host, me.pid, command),
            ).fetchone()
        assert got is not None
        return RunnerLease.model_validate(got[0])

    def heartbeat(self, migration_uuid: UUID, phase: Phase, me: RunnerIdentity) -> bool:
        row = self.conn.execute(
            """UPDATE ybvoyager.runner_leases SET heartbeat_at = now()
               WHERE migration_uuid = %s AND phase = %s AND holder_id = %s RETURNING 1""",
            (migration_uuid, phase.value, me.holder_id),
        ).fetchone()
        return row is not None

    def release_lease(self, migration_uuid: UUID, phase: Phase, me: RunnerIdentity) -> None:
        self.conn.execute(
            "DELETE FROM ybvoyager.runner_leases WHERE migration_uuid = %s AND phase = %s AND holder_id = %s",
            (migration_uuid, phase.value, me.holder_id),
        )
