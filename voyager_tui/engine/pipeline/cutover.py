"""Step: cutover (offline) — a go/no-go gate, then the switch is recorded and the steps printed."""

from __future__ import annotations

from typing import Any

from ..data.verify import LedgerState, ledger_state
from ..errors import VoyagerError
from ..models import MigrationSnapshot
from ..phases import Phase, PhaseStatus
from ..steps import StepContext, register_step
from ._base import PostgresStep


def cutover_blockers(ctx: StepContext, snapshot: MigrationSnapshot) -> list[str]:
    """Everything that must hold before the application may switch; empty means go."""
    blockers = []
    if snapshot.phase(Phase.IMPORT_DATA).status != PhaseStatus.COMPLETED:
        blockers.append("import data has not completed")
    if snapshot.phase(Phase.FINALIZE_SCHEMA).status != PhaseStatus.COMPLETED:
        blockers.append("finalize schema has not completed")
    elif "sequences_restored" not in snapshot.phase(Phase.FINALIZE_SCHEMA).metadata:
        blockers.append("sequences were not restored by finalize schema")
    report = ctx.store.latest_report(ctx.migration.migration_uuid, "verification")
    if snapshot.phase(Phase.VERIFY).status != PhaseStatus.COMPLETED or report is None:
        blockers.append("verify has not completed")
    elif not report.get("clean"):
        blockers.append("the last verification found differences")
    elif report.get("ledger") is None:
        blockers.append("the last verification predates ledger tracking: verify again")
    else:
        mid = ctx.migration.migration_uuid
        seen = LedgerState.model_validate(report["ledger"])
        now = ledger_state(ctx.store, mid)
        restarted = ctx.store.conn.execute(
            """SELECT EXISTS (SELECT 1 FROM ybvoyager.events WHERE migration_uuid = %s AND event_id > %s
                              AND event_type IN ('import_start_clean', 'import_truncated'))""",
            (mid, seen.last_event_id)).fetchone()
        if (now.batches, now.last_imported_at) != (seen.batches, seen.last_imported_at) or \
                (restarted is not None and restarted[0]):
            blockers.append("rows were imported or tables emptied after the last verification: verify again")
    return blockers


class CutoverStep(PostgresStep):
    phase = Phase.CUTOVER
    needs_export_dir = False

    def run(self, ctx: StepContext) -> dict[str, Any]:
        snapshot = ctx.store.snapshot(ctx.migration.migration_uuid)
        blockers = cutover_blockers(ctx, snapshot)
        if blockers:
            raise VoyagerError("no-go for cutover: " + "; ".join(blockers))
        t = ctx.target
        steps = [
            "Stop the application's writes to the source (put it in maintenance mode).",
            f"Point the application at the target: host {t.host}, port {t.port}, database {t.dbname}.",
            "Start the application and run its smoke tests against the target.",
            "Keep the source read-only until you are confident; then run `voyager-tui migrate end`.",
        ]
        ctx.store.record_event(ctx.migration.migration_uuid, "cutover",
                               "Cutover: the application switches to the target", phase=Phase.CUTOVER,
                               data={"steps": steps})
        summary = "GO for cutover. Switch the application now:\n" + "\n".join(
            f"  {i}. {s}" for i, s in enumerate(steps, start=1))
        return {"steps": steps, "summary": summary}


register_step(CutoverStep())
