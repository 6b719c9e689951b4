"""The migration state machine: phases, their statuses, prerequisites and legal transitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidTransition


class Phase(StrEnum):
    ASSESSMENT = "assessment"
    EXPORT_SCHEMA = "export_schema"
    ANALYZE_SCHEMA = "analyze_schema"
    IMPORT_SCHEMA = "import_schema"
    EXPORT_DATA = "export_data"
    IMPORT_DATA = "import_data"
    FINALIZE_SCHEMA = "finalize_schema"
    VERIFY = "verify"
    CUTOVER = "cutover"
    END = "end"


class PhaseStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class PhaseSpec:
    phase: Phase
    title: str
    short: str
    """Label under the timeline dot."""
    cli: tuple[str, ...]
    """Words after `voyager-tui` that run this phase."""
    requires_done: tuple[Phase, ...] = ()
    requires_started: tuple[Phase, ...] = ()
    """Phases that must at least be running (import data may follow a running export)."""
    optional: bool = False
    rerunnable: bool = False
    """May go from COMPLETED back to IN_PROGRESS (e.g. re-import schema after a fix)."""
    tracks_tables: bool = False
    """Progress comes from ybvoyager.table_progress rows of this phase."""


P = Phase
PHASE_SPECS: dict[Phase, PhaseSpec] = {
    s.phase: s
    for s in (
        PhaseSpec(P.ASSESSMENT, "Assessment", "Assess", ("assessment", "run"), optional=True, rerunnable=True),
        PhaseSpec(P.EXPORT_SCHEMA, "Export Schema", "Export\nSchema", ("migrate", "export", "schema"),
                  rerunnable=True),
        PhaseSpec(P.ANALYZE_SCHEMA, "Analyze Schema", "Analyze\nSchema", ("migrate", "analyze", "schema"),
                  requires_done=(P.EXPORT_SCHEMA,), rerunnable=True),
        PhaseSpec(P.IMPORT_SCHEMA, "Import Schema", "Import\nSchema", ("migrate", "import", "schema"),
                  requires_done=(P.ANALYZE_SCHEMA,), rerunnable=True),
        # Data phases may run again: finished chunks are skipped, so a re-run only does what is missing.
        PhaseSpec(P.EXPORT_DATA, "Export Data", "Export\nData", ("migrate", "export", "data"),
                  requires_done=(P.EXPORT_SCHEMA,), rerunnable=True, tracks_tables=True),
        PhaseSpec(P.IMPORT_DATA, "Import Data", "Import\nData", ("migrate", "import", "data"),
                  requires_done=(P.IMPORT_SCHEMA,), requires_started=(P.EXPORT_DATA,), rerunnable=True,
                  tracks_tables=True),
        PhaseSpec(P.FINALIZE_SCHEMA, "Finalize Schema", "Finalize\nSchema", ("migrate", "finalize", "schema"),
                  requires_done=(P.IMPORT_DATA,), rerunnable=True),
        # After finalize: on PostgreSQL the keys that verify's chunk ranges are read by are built there.
        PhaseSpec(P.VERIFY, "Verify Data", "Verify", ("migrate", "verify"),
                  requires_done=(P.FINALIZE_SCHEMA,), rerunnable=True, tracks_tables=True),
        PhaseSpec(P.CUTOVER, "Cutover", "Cutover", ("migrate", "cutover"),
                  requires_done=(P.FINALIZE_SCHEMA, P.VERIFY)),
        PhaseSpec(P.END, "End Migration", "End", ("migrate", "end"), requires_done=(P.CUTOVER,)),
    )
}
PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)

DONE = frozenset({PhaseStatus.COMPLETED, PhaseStatus.SKIPPED})
STARTED = frozenset({PhaseStatus.IN_PROGRESS, PhaseStatus.COMPLETED})

_ALLOWED: dict[PhaseStatus, frozenset[PhaseStatus]] = {
    PhaseStatus.NOT_STARTED: frozenset({PhaseStatus.IN_PROGRESS, PhaseStatus.SKIPPED}),
    # IN_PROGRESS -> IN_PROGRESS is a new runner resuming after a crash.
    PhaseStatus.IN_PROGRESS: frozenset({PhaseStatus.IN_PROGRESS, PhaseStatus.COMPLETED, PhaseStatus.FAILED}),
    PhaseStatus.FAILED: frozenset({PhaseStatus.IN_PROGRESS, PhaseStatus.SKIPPED}),
    PhaseStatus.SKIPPED: frozenset({PhaseStatus.IN_PROGRESS}),
    PhaseStatus.COMPLETED: frozenset({PhaseStatus.IN_PROGRESS}),
}


def missing_prerequisites(phase: Phase, statuses: Mapping[Phase, PhaseStatus]) -> list[Phase]:
    spec = PHASE_SPECS[phase]
    missing = [p for p in spec.requires_done if statuses.get(p) not in DONE]
    missing += [p for p in spec.requires_started if statuses.get(p) not in STARTED]
    return missing


def check_transition(phase: Phase, new: PhaseStatus, statuses: Mapping[Phase, PhaseStatus]) -> None:
    """Raise InvalidTransition unless `phase` may move to `new` given every phase's status."""
    old = statuses.get(phase, PhaseStatus.NOT_STARTED)
    spec = PHASE_SPECS[phase]
    if statuses.get(Phase.END) == PhaseStatus.COMPLETED:
        raise InvalidTransition("the migration has ended; its history stays readable but nothing more runs")
    if new not in _ALLOWED[old]:
        raise InvalidTransition(f"{spec.title} cannot go from {old} to {new}")
    if new == PhaseStatus.SKIPPED and not spec.optional:
        raise InvalidTransition(f"{spec.title} cannot be skipped")
    if old == PhaseStatus.COMPLETED and new == PhaseStatus.IN_PROGRESS and not spec.rerunnable:
        raise InvalidTransition(f"{spec.title} has completed and cannot be run again")
    if new == PhaseStatus.IN_PROGRESS and old != PhaseStatus.IN_PROGRESS:
        missing = missing_prerequisites(phase, statuses)
        if missing:
            names = ", ".join(PHASE_SPECS[p].title for p in missing)
            raise InvalidTransition(f"{spec.title} cannot start before {names}")


def current_phase(statuses: Mapping[Phase, PhaseStatus]) -> tuple[Phase, PhaseStatus]:
    """The phase a one-line summary should name: a running or failed one, else the last one done."""
    for wanted in (PhaseStatus.IN_PROGRESS, PhaseStatus.FAILED):
        for phase in PHASE_ORDER:
            if statuses.get(phase) == wanted:
                return phase, wanted
    last: tuple[Phase, PhaseStatus] | None = None
    for phase in PHASE_ORDER:
        st = statuses.get(phase, PhaseStatus.NOT_STARTED)
        if st in DONE:
            last = (phase, st)
    if last is None:
        return Phase.EXPORT_SCHEMA, PhaseStatus.NOT_STARTED
    return last


def phase_title(value: str | None) -> str:
    """Title of a phase stored as text; unknown names (from a newer tool) are shown as they are."""
    if value is None:
        return ""
    try:
        return PHASE_SPECS[Phase(value)].title
    except ValueError:
        return value
