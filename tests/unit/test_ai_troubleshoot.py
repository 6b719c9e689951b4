"""The deterministic rules of `ai troubleshoot`: a snapshot in, recommendations out."""

from __future__ import annotations

from typing import Any

from voyager_tui.engine.ai.troubleshoot import (
    Action,
    ImportSnapshot,
    TableRate,
    TargetActivity,
    advise,
    is_this_host,
    proposed_jobs,
)
from voyager_tui.engine.run_controls import parse_parallel_jobs


def snap(**kw: Any) -> ImportSnapshot:
    base: dict[str, Any] = {
        "migration_name": "shop", "running": True, "runner_host": "box", "parallel_jobs": 4, "cpu_count": 4,
        "load_average": 3.0, "remaining_chunks": 50, "runner_on_this_host": True, "target_on_this_host": False,
        "tables": [TableRate(schema_name="public", table_name="t", status="IN_PROGRESS", completed_rows=1000,
                             total_rows=10_000, rate_per_second=500.0)],
        "activity": TargetActivity(import_sessions=4, active_copies=4),
    }
    return ImportSnapshot(**(base | kw))


def actions(s: ImportSnapshot) -> list[Action]:
    return [r.action for r in advise(s)]


def test_not_running_says_so_and_changes_nothing() -> None:
    recs = advise(snap(running=False))
    assert [r.action for r in recs] == [Action.NOT_RUNNING] and proposed_jobs(recs) is None
    assert "import data of shop is not running" in recs[0].reason


def test_more_jobs_than_cores_on_one_machine_with_waits_halves_to_the_cores() -> None:
    s = snap(parallel_jobs=4, cpu_count=2, target_on_this_host=True,
             activity=TargetActivity(import_sessions=4, active_copies=4, waits={"LWLock": 3}))
    recs = advise(s)
    assert recs[0].action == Action.FEWER_JOBS and proposed_jobs(recs) == 1
    assert "4 parallel jobs on 2 core(s)" in recs[0].reason and "3 on LWLock" in recs[0].reason


def test_more_jobs_than_cores_on_one_machine_without_waits_goes_down_to_the_cores() -> None:
    s = snap(parallel_jobs=8, cpu_count=4, target_on_this_host=True)
    assert proposed_jobs(advise(s)) == 4


def test_the_same_jobs_on_a_remote_target_are_not_reduced_by_the_core_rule() -> None:
    s = snap(parallel_jobs=8, cpu_count=4, target_on_this_host=False, load_average=6.0)
    assert actions(s) == [Action.KEEP] and proposed_jobs(advise(s)) is None


def test_sessions_mostly_waiting_on_the_server_halve_the_jobs() -> None:
    s = snap(parallel_jobs=6, cpu_count=16, activity=TargetActivity(import_sessions=6, waits={"IO": 2, "LWLock": 2}))
    recs = advise(s)
    assert recs[0].action == Action.FEWER_JOBS and recs[0].parallel_jobs == 3


def test_idle_machine_with_work_left_doubles_up_to_the_cap() -> None:
    assert proposed_jobs(advise(snap(parallel_jobs=2, cpu_count=4, load_average=0.4))) == 4
    # Single machine: capped at the cores, not twice the cores.
    assert proposed_jobs(advise(snap(parallel_jobs=3, cpu_count=4, load_average=0.4, target_on_this_host=True))) == 4
    # Nothing to gain near the end, when nothing loads, or when the load is unknown.
    assert proposed_jobs(advise(snap(parallel_jobs=2, load_average=0.4, remaining_chunks=2))) is None
    stalled = [TableRate(schema_name="public", table_name="t", status="IN_PROGRESS", completed_rows=0,
                         rate_per_second=0.0)]
    assert proposed_jobs(advise(snap(parallel_jobs=2, load_average=0.4, tables=stalled))) is None
    assert proposed_jobs(advise(snap(parallel_jobs=2, load_average=None))) is None


def test_lock_waits_name_the_blocker_and_do_not_ask_for_more_jobs() -> None:
    s = snap(parallel_jobs=1, load_average=0.1, activity=TargetActivity(import_sessions=1, waits={"Lock": 1},
                                                                        blocked_by=[4242]))
    recs = advise(s)
    assert proposed_jobs(recs) is None
    blocked = next(r for r in recs if r.action == Action.BLOCKED)
    assert "held by 4242" in blocked.reason


def test_errored_rows_restarts_and_the_tail_are_reported() -> None:
    tables = [TableRate(schema_name="public", table_name="t", status="IN_PROGRESS", completed_rows=990,
                        errored_rows=10, rate_per_second=100.0)]
    s = snap(tables=tables, restarts=2, last_failure="Import Data failed: boom", remaining_chunks=3)
    recs = {r.action: r for r in advise(s)}
    assert "10 row(s) (1.0%)" in recs[Action.ERRORED_ROWS].reason
    assert "2 time(s)" in recs[Action.RESTARTS].reason and "boom" in recs[Action.RESTARTS].reason
    assert "only 3 chunk(s) are left for 4 jobs" in recs[Action.IDLE_JOBS].reason


def test_unknown_parallelism_changes_nothing() -> None:
    assert proposed_jobs(advise(snap(parallel_jobs=None, cpu_count=1, target_on_this_host=True))) is None


def test_helpers() -> None:
    assert [parse_parallel_jobs(v) for v in (3, "4", 0, 65, "x", True, None, 2.5)] == [3, 4, None, None, None, None,
                                                                                       None, None]
    assert is_this_host("127.0.0.1") and is_this_host("localhost") and is_this_host("/var/run/postgresql")
    assert not is_this_host("db.example.invalid") and not is_this_host(None)
