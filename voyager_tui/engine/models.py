"""Typed rows of schema ybvoyager and the snapshot the UIs render."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .phases import PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus

# A runner that has not written a heartbeat for this long is reported as crashed.
DEFAULT_STALE_AFTER = timedelta(seconds=30)


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class MigrationRecord(_Row):
    migration_uuid: UUID
    migration_name: str
    source_db_type: str
    source_db_host: str | None = None
    source_db_port: int | None = None
    source_db_user: str | None = None
    source_db_name: str | None = None
    source_db_version: str | None = None
    source_db_identifier: str
    source_ssl_mode: str | None = None
    source_schemas: list[str]
    target_db_name: str
    target_db_type: str | None = None
    target_db_version: str | None = None
    export_dir: str | None = None
    created_at: datetime
    updated_at: datetime
    current_phase: str | None = None
    current_status: str | None = None
    voyager_version: str | None = None
    voyager_host: str | None = None

    @property
    def is_complete(self) -> bool:
        return self.current_phase == Phase.END and self.current_status == PhaseStatus.COMPLETED

    @property
    def source_label(self) -> str:
        where = f"{self.source_db_host}:{self.source_db_port}/{self.source_db_name}"
        return f"{self.source_db_type} {where} [{', '.join(self.source_schemas)}]"


class PhaseState(_Row):
    phase: Phase
    status: PhaseStatus = PhaseStatus.NOT_STARTED
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TableProgress(_Row):
    schema_name: str
    table_name: str
    phase: Phase
    total_rows: int | None = None
    completed_rows: int = 0
    errored_rows: int = 0
    status: str = "NOT_STARTED"
    started_at: datetime | None = None
    completed_at: datetime | None = None
    rate_per_second: float | None = None
    updated_at: datetime | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.table_name}"


class RunnerState(StrEnum):
    RUNNING = "RUNNING"
    CRASHED = "CRASHED"


class RunnerLease(_Row):
    phase: Phase
    holder_id: UUID
    host: str
    pid: int
    command: str = ""
    started_at: datetime
    heartbeat_at: datetime


class RunnerView(_Row):
    """A lease judged against the server clock: is the process behind it alive?"""

    lease: RunnerLease
    state: RunnerState
    silent_for: timedelta
    """Time since the last heartbeat."""
    reason: str


class Event(_Row):
    event_id: int
    event_type: str
    phase: str | None = None
    message: str = ""
    event_data: dict[str, Any] = Field(default_factory=dict)
    actor: str | None = None
    created_at: datetime


class PhaseProgress(_Row):
    done: int
    total: int | None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class SchemaFailures(_Row):
    """Objects the latest import schema run could not create, and where the AI fixes proposed since that run stand.

    Each failed object is counted once: accepted if any fix for it was accepted, else rejected if one was rejected,
    else pending if a fix waits for a decision, else unproposed.
    """

    failed: int = 0
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    attempted: bool = False
    """Fixes were proposed since that run (an `ai_fixes_proposed` event), so objects without one stay unproposed."""

    @property
    def proposed(self) -> int:
        return self.accepted + self.rejected + self.pending


class MigrationSnapshot(_Row):
    """Everything a status view needs about one migration, read in one statement."""

    server_time: datetime
    schema_version: int
    migration: MigrationRecord
    phases: list[PhaseState]
    tables: list[TableProgress] = Field(default_factory=list)
    runners: list[RunnerView] = Field(default_factory=list)
    recent_events: list[Event] = Field(default_factory=list)
    schema_failures: SchemaFailures = Field(default_factory=SchemaFailures)

    def phase(self, phase: Phase) -> PhaseState:
        for st in self.phases:
            if st.phase == phase:
                return st
        return PhaseState(phase=phase)

    @property
    def statuses(self) -> dict[Phase, PhaseStatus]:
        return {st.phase: st.status for st in self.phases}

    def runner(self, phase: Phase) -> RunnerView | None:
        for r in self.runners:
            if r.lease.phase == phase:
                return r
        return None

    def tables_of(self, phase: Phase) -> list[TableProgress]:
        return [t for t in self.tables if t.phase == phase]

    def duration(self, phase: Phase) -> timedelta | None:
        st = self.phase(phase)
        if st.started_at is None:
            return None
        end = st.completed_at if st.status != PhaseStatus.IN_PROGRESS and st.completed_at else self.server_time
        return max(timedelta(0), end - st.started_at)

    def progress(self, phase: Phase) -> PhaseProgress | None:
        """Rows done/total for table-tracking phases; 1/1 for a completed phase; None when unknown."""
        st = self.phase(phase)
        tables = self.tables_of(phase)
        if PHASE_SPECS[phase].tracks_tables and tables:
            totals = [t.total_rows for t in tables]
            total = None if any(t is None for t in totals) else sum(t or 0 for t in totals)
            return PhaseProgress(done=sum(t.completed_rows for t in tables), total=total)
        if st.status == PhaseStatus.COMPLETED:
            return PhaseProgress(done=1, total=1)
        meta = st.metadata.get("progress")
        if isinstance(meta, dict) and isinstance(meta.get("done"), int):
            total = meta.get("total")
            return PhaseProgress(done=meta["done"], total=total if isinstance(total, int) else None)
        return None


class MigrationSummary(_Row):
    """One line of `migrate list` and the Home screen."""

    migration: MigrationRecord
    phases_done: int
    """Required phases done; the optional assessment does not count."""
    phases_total: int = sum(1 for p in PHASE_ORDER if not PHASE_SPECS[p].optional)
    running_on: str | None = None
    crashed: bool = False

    @property
    def is_active(self) -> bool:
        return not self.migration.is_complete
