"""What to do next: a pure function of a migration snapshot (plus which steps this build can run)."""

from __future__ import annotations

import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .connections import ConnectionParams
from .models import MigrationRecord, MigrationSnapshot, RunnerState
from .phases import DONE, PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus, missing_prerequisites
from .steps import unavailable_reason

NextKind = Literal["run", "resume", "retry", "wait", "done"]

_WHY: dict[Phase, str] = {
    Phase.EXPORT_SCHEMA: "Nothing has been exported yet. Exporting the schema of the source is the first step: "
    "it writes the DDL of the chosen schemas to the export directory, split by object type.",
    Phase.ANALYZE_SCHEMA: "The schema is exported. Analyzing it finds every construct the target does not "
    "support, with a workaround for each, before anything is created in the target.",
    Phase.IMPORT_SCHEMA: "The schema has been analyzed. Importing it creates tables, types and functions in the "
    "target; indexes and constraints that are faster to build after the data wait for finalize.",
    Phase.EXPORT_DATA: "The schema is in place. Exporting the data copies every table of the source into the "
    "export directory in resumable chunks.",
    Phase.IMPORT_DATA: "Exported chunks are ready. Importing them loads the rows into the target in parallel, "
    "each batch exactly once, resumable after any interruption.",
    Phase.FINALIZE_SCHEMA: "All rows are in. Finalizing builds the deferred indexes and constraints and "
    "restores sequences.",
    Phase.VERIFY: "Verifying compares row counts and per-chunk checksums of every table on both sides, so the "
    "cutover decision rests on evidence.",
    Phase.CUTOVER: "The data is verified. Cutover records the switch and prints the steps to point the "
    "application at the target.",
    Phase.END: "The application runs on the target. Ending the migration archives reports and schema and "
    "cleans the export directory; the history stays readable.",
}


class NextStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: NextKind
    phase: Phase | None
    title: str
    why: str
    argv: list[str]
    """The exact command, never with a password. Empty when there is nothing to run."""
    can_run_here: bool
    not_here_reason: str | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def command_lines(self) -> list[str]:
        """The command wrapped for display: the subcommand on the first line, one flag per line after it."""
        if not self.argv:
            return []
        first = next((i for i, a in enumerate(self.argv) if a.startswith("--")), len(self.argv))
        lines = [shlex.join(self.argv[:first])]
        i = first
        while i < len(self.argv):
            take = 2 if i + 1 < len(self.argv) and not self.argv[i + 1].startswith("--") else 1
            lines.append("  " + shlex.join(self.argv[i:i + take]))
            i += take
        return [line + " \\" for line in lines[:-1]] + [lines[-1]]


def step_argv(phase: Phase, migration: MigrationRecord, target: ConnectionParams) -> list[str]:
    argv = ["voyager-tui", *PHASE_SPECS[phase].cli, "--migration-name", migration.migration_name]
    argv += target_flags(target)
    return argv


def target_flags(target: ConnectionParams) -> list[str]:
    flags = ["--target-db-host", target.host, "--target-db-port", str(target.port),
             "--target-db-user", target.user, "--target-db-name", target.dbname]
    if target.sslmode != "prefer":
        flags += ["--target-ssl-mode", target.sslmode]
    return flags


def next_step(snapshot: MigrationSnapshot, target: ConnectionParams) -> NextStep:
    statuses = snapshot.statuses
    mig = snapshot.migration

    def make(kind: NextKind, phase: Phase, title: str, why: str, wait_for: Phase | None = None) -> NextStep:
        reason = (f"it can start once {PHASE_SPECS[wait_for].title} completes" if wait_for
                  else unavailable_reason(phase, snapshot))
        return NextStep(kind=kind, phase=phase, title=title, why=why, argv=step_argv(phase, mig, target),
                        can_run_here=reason is None, not_here_reason=reason)

    if statuses.get(Phase.END) == PhaseStatus.COMPLETED:
        return NextStep(kind="done", phase=None, title="Migration complete",
                        why="Every phase is done. The history and reports stay readable in the target.",
                        argv=[], can_run_here=False, not_here_reason="nothing left to run")

    running = [p for p in PHASE_ORDER if statuses.get(p) == PhaseStatus.IN_PROGRESS]
    for phase in running:
        runner = snapshot.runner(phase)
        if runner is None or runner.state == RunnerState.CRASHED:
            title = PHASE_SPECS[phase].title
            reason = runner.reason if runner else "no process holds it (it was stopped or crashed)"
            return make("resume", phase, f"Resume {title}",
                        f"{title} was interrupted: {reason}. Running it again continues where it stopped.")

    failed = next((p for p in PHASE_ORDER if statuses.get(p) == PhaseStatus.FAILED), None)
    if failed is not None:
        title = PHASE_SPECS[failed].title
        error = snapshot.phase(failed).error_message or "see `voyager-tui migrate history`"
        return make("retry", failed, f"Fix the problem, then re-run {title}", f"{title} failed: {error}")

    for phase in PHASE_ORDER:
        spec = PHASE_SPECS[phase]
        if spec.optional or statuses.get(phase) in DONE or phase in running:
            continue
        if not missing_prerequisites(phase, statuses):
            return make("run", phase, f"Run {spec.title}", _WHY[phase])

    # Everything startable is running: say what to wait for and what comes after it.
    assert running, "a migration that has not ended always has a phase to run, retry or wait for"
    phase = running[0]
    runner = snapshot.runner(phase)
    after = next((p for p in PHASE_ORDER[PHASE_ORDER.index(phase) + 1:]
                  if not PHASE_SPECS[p].optional and statuses.get(p) not in DONE), phase)
    title = PHASE_SPECS[phase].title
    why = f"{title} is {runner.reason if runner else 'running'}."
    if after != phase:
        why += f" When it completes, run {PHASE_SPECS[after].title}."
    return make("wait", after, f"Wait for {title} to complete", why, wait_for=phase)
