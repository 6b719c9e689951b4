"""Every remaining step of an offline migration in one process, in the order `next_step` gives.

One process instead of one per step saves a start-up per step, and export data and import data run side by
side (import loads each chunk as soon as it is exported), as two `migrate` commands in two terminals would.
Cutover is never run: it is a decision with a go/no-go gate, so the run stops at verify at the latest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from .connections import ConnectionParams, connect_pg
from .errors import StepCancelled, VoyagerError
from .models import RunnerState
from .next_step import NextStep, next_step
from .phases import DONE, PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus
from .secrets import DbRole, PasswordPrompt
from .state_store import StateStore
from .steps import Reporter, registered_step, run_step, unavailable_reason

# Phases a run may go through; cutover and end are decisions a person takes.
RUNNABLE = tuple(p for p in PHASE_ORDER[:PHASE_ORDER.index(Phase.VERIFY) + 1] if not PHASE_SPECS[p].optional)
_EXPORT_STARTED_TIMEOUT = 60.0


class RunOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    ran: list[Phase]
    next: NextStep
    """What to do after the run: the step it stopped before."""


def run_remaining(
    target: ConnectionParams,
    migration_uuid: UUID,
    *,
    through: Phase = Phase.VERIFY,
    options: dict[str, Any] | None = None,
    reporter_for: Callable[[Phase], Reporter] | None = None,
    cancel: threading.Event | None = None,
    password: str | None = None,
    source_password: str | None = None,
    prompt: PasswordPrompt | None = None,
    command: str = "",
    on_phase_done: Callable[[Phase, str | None], None] | None = None,
) -> RunOutcome:
    """Run next steps until `through` is done, or until the next step is not one to run here (a failure to fix,
    a phase another process runs, cutover). A failing step raises, as running it alone would."""
    if through not in RUNNABLE:
        raise VoyagerError(f"a run goes through {PHASE_SPECS[Phase.VERIFY].title} at the latest; "
                           f"{PHASE_SPECS[through].title} is a decision to take with its own command")
    cancel = cancel or threading.Event()
    ran: list[Phase] = []

    def options_for(phase: Phase, implied: dict[str, Any] | None = None) -> dict[str, Any]:
        """The step's own options among those given (export_dir applies to every step), over the ones the next
        step's command implies."""
        step = registered_step(phase)
        known = {o.key for o in step.options} | {"export_dir"} if step else {"export_dir"}
        return (implied or {}) | {k: v for k, v in (options or {}).items() if k in known and v is not None}

    def run(phase: Phase, stop: threading.Event, implied: dict[str, Any] | None = None) -> None:
        state = run_step(target, migration_uuid, phase, reporter=reporter_for(phase) if reporter_for else None,
                         cancel=stop, password=password, source_password=source_password, prompt=prompt,
                         command=command, options=options_for(phase, implied))
        ran.append(phase)
        if on_phase_done is not None:
            summary = state.metadata.get("summary")
            on_phase_done(phase, summary if isinstance(summary, str) else None)

    while True:
        snap = _snapshot(target, migration_uuid, password, prompt)
        step = next_step(snap, target)
        phase = step.phase
        # "retry": running the command again is the user's way of saying the problem is fixed, as with a step.
        if (step.kind not in ("run", "resume", "retry") or phase is None
                or PHASE_ORDER.index(phase) > PHASE_ORDER.index(through) or (ran and ran[-1] == phase)
                or unavailable_reason(phase, snap, options_for(phase, step.options)) is not None):
            return RunOutcome(ran=ran, next=step)
        if cancel.is_set():
            raise StepCancelled("cancelled by the user")
        if (phase == Phase.EXPORT_DATA and PHASE_ORDER.index(through) >= PHASE_ORDER.index(Phase.IMPORT_DATA)
                and snap.statuses.get(Phase.IMPORT_DATA) not in DONE):
            _export_and_import(run, target, migration_uuid, password, prompt, cancel)
        else:
            run(phase, cancel, step.options)  # the flags `migrate next` would print for this step


def _snapshot(target: ConnectionParams, mid: UUID, password: str | None, prompt: PasswordPrompt | None) -> Any:
    with connect_pg(target, DbRole.TARGET, password=password, prompt=prompt,
                    application_name="voyager-tui-run") as conn:
        return StateStore(conn).snapshot(mid, events=0)


def _export_and_import(run: Callable[[Phase, threading.Event], None], target: ConnectionParams, mid: UUID,
                       password: str | None, prompt: PasswordPrompt | None, cancel: threading.Event) -> None:
    """Export and import side by side; the import starts once the export holds its phase (before that, it would
    take a not-started export for a stopped one)."""
    errors: dict[Phase, BaseException] = {}
    stops = {Phase.EXPORT_DATA: threading.Event(), Phase.IMPORT_DATA: threading.Event()}

    def guarded(phase: Phase) -> None:
        try:
            run(phase, stops[phase])
        except BaseException as exc:
            errors[phase] = exc
            for other in stops.values():  # the other half is resumable; stop it rather than run on alone
                other.set()

    def relay_cancel() -> None:
        while not all_done.wait(0.2):
            if cancel.is_set():
                for stop in stops.values():
                    stop.set()
                return

    all_done = threading.Event()
    exporter = threading.Thread(target=guarded, args=(Phase.EXPORT_DATA,), name="voyager-run-export")
    importer = threading.Thread(target=guarded, args=(Phase.IMPORT_DATA,), name="voyager-run-import")
    threading.Thread(target=relay_cancel, name="voyager-run-cancel", daemon=True).start()
    try:
        exporter.start()
        _wait_export_started(target, mid, password, prompt, exporter)
        if Phase.EXPORT_DATA not in errors:
            importer.start()
        exporter.join()
        if importer.ident is not None:
            importer.join()
    except BaseException:  # Ctrl-C reaches this thread, not the workers: stop them at their next unit of work
        for stop in stops.values():
            stop.set()
        raise
    finally:
        all_done.set()
        exporter.join()
        if importer.ident is not None:
            importer.join()
    if errors:
        raise next(iter(errors.values()))  # the first failure; the other half then stopped because of it


def _wait_export_started(target: ConnectionParams, mid: UUID, password: str | None, prompt: PasswordPrompt | None,
                         exporter: threading.Thread) -> None:
    """Until the exporter holds a live lease: a status alone is not enough, since a resumed or retried export
    is IN_PROGRESS or FAILED from its earlier run before this one takes over."""
    deadline = time.monotonic() + _EXPORT_STARTED_TIMEOUT
    with connect_pg(target, DbRole.TARGET, password=password, prompt=prompt,
                    application_name="voyager-tui-run") as conn:
        store = StateStore(conn)
        while exporter.is_alive() and time.monotonic() < deadline:
            snap = store.snapshot(mid, events=0)
            runner = snap.runner(Phase.EXPORT_DATA)
            if ((runner is not None and runner.state == RunnerState.RUNNING)
                    or snap.statuses.get(Phase.EXPORT_DATA) == PhaseStatus.COMPLETED):
                return
            time.sleep(0.02)  # polling the exporter's own phase row: there is no notification to wait on
