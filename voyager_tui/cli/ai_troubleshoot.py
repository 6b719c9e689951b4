"""`voyager-tui ai troubleshoot`: advice on a running import, and a live change of its parallelism."""

from __future__ import annotations

import time
from typing import Any

import click

from ..engine.errors import VoyagerError
from .options import migration_options, migration_selector, target_options, target_params, tty_prompt


@click.command("troubleshoot")
@migration_options
@target_options
@click.option("--parallel-jobs", type=click.IntRange(1, 64), default=None,
              help="Change the running import to this many parallel jobs instead of the recommended number.")
@click.option("--yes", is_flag=True, help="Apply the change without asking.")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0, 600), default=10.0, show_default=True,
              help="Seconds to wait for the running import to acknowledge the change.")
def troubleshoot_cmd(**kw: Any) -> None:
    """Read a running import's rates, errors, the target's activity and this machine's cores; recommend changes
    and apply a new parallelism to the import without restarting it."""
    from ..engine import run_controls
    from ..engine.ai.troubleshoot import advise, collect, proposed_jobs
    from ..engine.connections import connect_pg
    from ..engine.phases import Phase
    from ..engine.secrets import DbRole
    from ..engine.state_store import StateStore

    target = target_params(kw)
    name, uid = migration_selector(kw)
    out = click.echo
    with connect_pg(target, DbRole.TARGET, prompt=tty_prompt, application_name="voyager-tui-ai") as conn:
        store = StateStore(conn)
        migration = store.resolve_migration(name, uid)
        snap = collect(store, migration, target)
        if not snap.running:
            raise VoyagerError(f"import data of migration {migration.migration_name} is not running: nothing to "
                               "troubleshoot (start it with `voyager-tui migrate import data`)")
        recs = advise(snap)
        act = snap.activity
        jobs = snap.parallel_jobs
        out(f"Import data of {migration.migration_name}: running on {snap.runner_host} with "
            + (f"{jobs} parallel job(s)" if jobs is not None else "an unknown number of parallel jobs")
            + (f" ({snap.pending_jobs} requested, not acknowledged yet)" if snap.pending_jobs is not None else ""))
        done = sum(1 for t in snap.tables if t.status == "COMPLETED")
        out(f"  rate: {snap.rate:,.0f} rows/s; {snap.completed_rows:,} rows loaded, {snap.errored_rows:,} set aside; "
            f"{done}/{len(snap.tables)} tables done; {snap.remaining_chunks} chunk(s) left")
        waits = ", ".join(f"{n} on {kind}" for kind, n in sorted(act.waits.items())) or "none"
        out(f"  target: {act.import_sessions} import session(s), {act.active_copies} running COPY; waits: {waits}; "
            f"{act.other_active_sessions} other active session(s)"
            + ("; on this machine" if snap.target_on_this_host else ""))
        load = f", load {snap.load_average:.1f}" if snap.load_average is not None else ""
        out(f"  this machine: {snap.cpu_count} core(s){load}"
            + ("; runs the import" if snap.runner_on_this_host else ""))
        out("Findings:")
        for n, r in enumerate(recs, 1):
            out(f"  {n}. {r.title}: {r.reason}")
        wanted: int | None = kw["parallel_jobs"] or proposed_jobs(recs)
        if wanted is None:
            out("No change to apply")
            return
        if jobs is not None and wanted == jobs and snap.pending_jobs is None:
            out(f"The import already runs with {jobs} parallel job(s): nothing to apply")
            return
        shown = "?" if jobs is None else str(jobs)
        out(f"Change: parallel jobs {shown} → {wanted}")
        if not kw["yes"] and _ask("Apply? [y/n]") != "y":
            out("Not applied")
            return
        reason = "requested with --parallel-jobs" if kw["parallel_jobs"] else next(
            (r.title for r in recs if r.parallel_jobs is not None), "")
        control = run_controls.request_setting(store, migration.migration_uuid, Phase.IMPORT_DATA,
                                               run_controls.PARALLEL_JOBS, wanted, reason=reason)
        deadline = time.monotonic() + kw["wait_seconds"]
        while True:
            now = run_controls.read_control(store, migration.migration_uuid, Phase.IMPORT_DATA,
                                            run_controls.PARALLEL_JOBS)
            if now is None or now.request_id != control.request_id:
                out("Superseded: another request or a new run replaced this one; run ai troubleshoot again")
                return
            if now.status == run_controls.ControlStatus.APPLIED:
                out(f"Import now runs with {now.applied_value} parallel job(s) (was {shown})")
                return
            if now.status == run_controls.ControlStatus.REJECTED:
                raise VoyagerError(f"the import rejected the change: {now.message}")
            if time.monotonic() >= deadline:
                out(f"Requested {wanted} parallel job(s); the import has not acknowledged it yet (it checks about "
                    "once a second; see `voyager-tui migrate history` for import_parallelism_changed)")
                return
            time.sleep(0.2)  # the importer polls the control row about once a second


def _ask(question: str) -> str:
    try:
        value: str = click.prompt(question, type=click.Choice(["y", "n"]), default="n", show_choices=False,
                                  show_default=False)
    except click.Abort:
        return "n"  # no terminal answer (EOF): change nothing
    return value
