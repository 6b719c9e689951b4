"""The status of a migration as rows and lines, shared by `migrate status` and the TUI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .formatting import format_count
from .models import MigrationSnapshot, RunnerState
from .phases import PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus

SYMBOLS = {
    PhaseStatus.COMPLETED: "✓",
    PhaseStatus.IN_PROGRESS: "●",
    PhaseStatus.FAILED: "✗",
    PhaseStatus.SKIPPED: "⊘",
    PhaseStatus.NOT_STARTED: "○",
}

_VERBS = {Phase.EXPORT_DATA: "Exporting", Phase.IMPORT_DATA: "Importing", Phase.VERIFY: "Verifying"}


class PhaseRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    phase: Phase
    title: str
    status: PhaseStatus
    interrupted: bool
    """IN_PROGRESS, but no live process runs it."""
    progress: float | None
    duration_seconds: float | None
    error: str | None

    @property
    def symbol(self) -> str:
        return "✗" if self.interrupted else SYMBOLS[self.status]

    @property
    def status_label(self) -> str:
        return "INTERRUPTED" if self.interrupted else self.status.value


def phase_rows(snapshot: MigrationSnapshot) -> list[PhaseRow]:
    rows = []
    for phase in PHASE_ORDER:
        st = snapshot.phase(phase)
        runner = snapshot.runner(phase)
        interrupted = st.status == PhaseStatus.IN_PROGRESS and (runner is None or runner.state == RunnerState.CRASHED)
        prog = snapshot.progress(phase)
        dur = snapshot.duration(phase)
        rows.append(PhaseRow(
            phase=phase, title=PHASE_SPECS[phase].title, status=st.status, interrupted=interrupted,
            progress=prog.fraction if prog else None,
            duration_seconds=dur.total_seconds() if dur is not None else None,
            error=st.error_message,
        ))
    return rows


def current_activity(snapshot: MigrationSnapshot) -> list[str]:
    """One line per running phase (who runs it, or that it was interrupted) and its busiest table."""
    lines: list[str] = []
    for phase in PHASE_ORDER:
        if snapshot.phase(phase).status != PhaseStatus.IN_PROGRESS:
            continue
        title = PHASE_SPECS[phase].title
        runner = snapshot.runner(phase)
        if runner is None:
            lines.append(f"{title}: interrupted — no process is running it")
        elif runner.state == RunnerState.CRASHED:
            lines.append(f"{title}: interrupted — {runner.reason}")
        else:
            lines.append(f"{title}: {runner.reason}")
        active = [t for t in snapshot.tables_of(phase) if t.status == PhaseStatus.IN_PROGRESS]
        if active:
            t = max(active, key=lambda t: (t.updated_at is not None, t.updated_at))
            verb = _VERBS.get(phase, "Processing")
            lines.append(f"{verb} table: {t.qualified_name} "
                         f"({format_count(t.completed_rows)} / {format_count(t.total_rows)} rows)")
    return lines or ["No step is running."]
