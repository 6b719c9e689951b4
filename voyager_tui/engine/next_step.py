"""What to do next: a pure function of a migration snapshot (plus which steps this build can run)."""

from __future__ import annotations

import shlex
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .connections import ConnectionParams
from .models import MigrationRecord, MigrationSnapshot, RunnerState
from .phases import DONE, PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus, missing_prerequisites
from .steps import unavailable_reason

NextKind = Literal["run", "resume", "retry", "wait", "review", "done"]

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
    options: dict[str, Any] = Field(default_factory=dict)
    """Step options the command's flags stand for, so running it here does the same as the command."""

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


def convert_argv(migration: MigrationRecord, target: ConnectionParams) -> list[str]:
    return ["voyager-tui", "ai", "convert", "--migration-name", migration.migration_name, *target_flags(target)]


def _objects(n: int) -> str:
    return f"{n} object{'' if n == 1 else 's'}"


def _schema_fix_step(snapshot: MigrationSnapshot, target: ConnectionParams,
                     running: list[Phase]) -> NextStep | None:
    """Import schema left failures: review fixes for them, or re-run it with the accepted ones.

    Only while import data has not started: once rows are loaded, the schema is settled and the user has chosen to
    continue past the failures. Failures whose fixes were all rejected (or that no provider could fix) do not hold
    the migration up: the normal order goes on.
    """
    statuses = snapshot.statuses
    fx = snapshot.schema_failures
    status = statuses.get(Phase.IMPORT_SCHEMA)
    if (not fx.failed or status not in (PhaseStatus.COMPLETED, PhaseStatus.FAILED) or Phase.IMPORT_SCHEMA in running
            or statuses.get(Phase.IMPORT_DATA, PhaseStatus.NOT_STARTED) != PhaseStatus.NOT_STARTED):
        return None
    mig = snapshot.migration
    if fx.pending or not (fx.proposed or fx.attempted):
        how = ((f"{fx.pending} suggested fix waits" if fx.pending == 1 else f"{fx.pending} suggested fixes wait")
               + " for a decision" if fx.proposed
               else "no fixes have been proposed for them yet")
        why = (f"Import schema {'failed' if status == PhaseStatus.FAILED else 'completed'}, but "
               f"{_objects(fx.failed)} could not be created (see schema/failed.sql); {how}. Reviewing proposes a "
               "fix for each, proves it on the target, and lets you accept or reject it; accepted fixes are "
               "written into the export's schema files.")
        return NextStep(kind="review", phase=Phase.IMPORT_SCHEMA,
                        title=f"Review fixes for {_objects(fx.failed)} import schema could not create",
                        why=why, argv=convert_argv(mig, target), can_run_here=True)
    if not fx.accepted:
        return None
    left = fx.failed - fx.accepted
    why = (f"{_objects(fx.accepted)} of the {fx.failed} that failed now have accepted fixes in the schema files. "
           "Re-running import schema creates them; objects already created count as done.")
    argv = step_argv(Phase.IMPORT_SCHEMA, mig, target)
    options: dict[str, Any] = {}
    if left:
        why += f" The other {_objects(left)} still fail: the run continues past them."
        argv.append("--continue-on-error")
        options["continue_on_error"] = True
    reason = unavailable_reason(Phase.IMPORT_SCHEMA, snapshot, options)
    fixes = "1 accepted fix" if fx.accepted == 1 else f"{fx.accepted} accepted fixes"
    return NextStep(kind="retry" if status == PhaseStatus.FAILED else "run", phase=Phase.IMPORT_SCHEMA,
                    title=f"Re-run {PHASE_SPECS[Phase.IMPORT_SCHEMA].title} with {fixes}",
                    why=why, argv=argv, can_run_here=reason is None, not_here_reason=reason, options=options)


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

    fix = _schema_fix_step(snapshot, target, running)
    if fix is not None:
        return fix

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
