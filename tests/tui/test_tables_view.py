"""The numbers behind the table progress screen: pure functions of table_progress rows (no database, no UI)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from voyager_tui.engine.models import (
    MigrationRecord,
    MigrationSnapshot,
    PhaseState,
    RunnerLease,
    RunnerState,
    RunnerView,
    TableProgress,
)
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.tui.tables_view import (
    SortBy,
    StatusFilter,
    bar_parts,
    default_phase,
    format_eta,
    format_rate,
    next_sort,
    overall,
    phase_moving,
    sort_keys,
    table_lines,
)

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def row(name: str, total: int | None, done: int, status: str, rate: float | None = None, errored: int = 0,
        phase: Phase = Phase.IMPORT_DATA) -> TableProgress:
    schema, table = name.split(".")
    return TableProgress(schema_name=schema, table_name=table, phase=phase, total_rows=total, completed_rows=done,
                         status=status, rate_per_second=rate, errored_rows=errored)


def snapshot(statuses: dict[Phase, PhaseStatus], tables: list[TableProgress],
             runner: RunnerState | None = None) -> MigrationSnapshot:
    mig = MigrationRecord(migration_uuid=uuid.uuid4(), migration_name="m", source_db_type="postgresql",
                          source_db_identifier="x", source_schemas=["public"], target_db_name="t",
                          created_at=NOW, updated_at=NOW)
    runners = []
    if runner is not None:
        lease = RunnerLease(phase=Phase.IMPORT_DATA, holder_id=uuid.uuid4(), host="h", pid=1, started_at=NOW,
                            heartbeat_at=NOW)
        runners.append(RunnerView(lease=lease, state=runner, silent_for=timedelta(0), reason="r"))
    return MigrationSnapshot(server_time=NOW, schema_version=3, migration=mig,
                             phases=[PhaseState(phase=p, status=s) for p, s in statuses.items()],
                             tables=tables, runners=runners)


LINES = table_lines([
    row("public.orders", 400, 100, "IN_PROGRESS", 50.0),
    row("public.items", 1000, 900, "IN_PROGRESS", 300.0, errored=4),
    row("public.users", 200, 150, "COMPLETED", 80.0),  # the estimate was high; done is done
    row("public.audit", None, 0, "NOT_STARTED"),
    row("sales.invoices", 600, 150, "FAILED", 10.0),
])


def test_eta_is_remaining_rows_over_the_rate_and_only_for_running_tables() -> None:
    by_key = {line.key: line for line in LINES}
    assert by_key["public.orders"].eta_seconds == 6.0
    assert by_key["public.orders"].rate == 50.0
    assert by_key["public.users"].rate is None and by_key["public.users"].eta_seconds is None
    assert by_key["sales.invoices"].rate is None  # a failed table's last rate is stale
    assert by_key["public.users"].fraction == 1.0
    assert by_key["public.audit"].fraction is None
    stalled = table_lines([row("public.orders", 400, 100, "IN_PROGRESS", 50.0)], moving=False)
    assert stalled[0].rate is None and stalled[0].eta_seconds is None


def test_overall_sums_and_status_counts() -> None:
    o = overall(LINES)
    assert o.done_rows == 1300 and o.total_rows is None  # public.audit has no row count
    assert (o.bar_done, o.bar_total) == (1350, 2200)  # known totals only; the done table counts in full
    assert o.errored_rows == 4
    assert o.rate == 350.0
    assert o.eta_seconds is None  # unknown remaining rows for public.audit
    assert o.counts == [("running", 2), ("done", 1), ("failed", 1), ("not started", 1)]
    known = overall(LINES[:2])
    assert known.eta_seconds == pytest.approx(400 / 350)
    assert overall(table_lines([row("a.b", 1, 0, "PAUSED")])).counts == [("PAUSED", 1)]


def test_sorting_puts_tables_without_a_value_last_in_both_directions() -> None:
    assert sort_keys(LINES, SortBy.NAME) == ["public.audit", "public.items", "public.orders", "public.users",
                                             "sales.invoices"]
    assert sort_keys(LINES, SortBy.STATUS) == ["public.items", "public.orders", "sales.invoices", "public.audit",
                                               "public.users"]
    assert sort_keys(LINES, SortBy.PROGRESS) == ["public.users", "public.items", "public.orders",
                                                 "sales.invoices", "public.audit"]
    assert sort_keys(LINES, SortBy.RATE) == ["public.items", "public.orders", "public.audit", "public.users",
                                             "sales.invoices"]
    assert sort_keys(LINES, SortBy.RATE, reverse=True)[:2] == ["public.orders", "public.items"]
    assert sort_keys(LINES, SortBy.ETA) == ["public.items", "public.orders", "public.audit", "public.users",
                                            "sales.invoices"]
    assert [next_sort(s) for s in SortBy] == [SortBy.STATUS, SortBy.PROGRESS, SortBy.RATE, SortBy.ETA, SortBy.NAME]
    assert SortBy.ETA.describe(reverse=True) == "sorted by ETA, latest first"


def test_filters() -> None:
    def keep(name: str, status: StatusFilter) -> list[str]:
        return [line.key for line in LINES if line.matches(name, status)]

    assert keep("ORD", StatusFilter.ALL) == ["public.orders"]
    assert keep("", StatusFilter.RUNNING) == ["public.orders", "public.items"]
    assert keep("", StatusFilter.ERRORED) == ["public.items", "sales.invoices"]
    assert keep("", StatusFilter.DONE) == ["public.users"]
    assert len(keep("", StatusFilter.NOT_DONE)) == 4
    assert keep("sales", StatusFilter.NOT_DONE) == ["sales.invoices"]
    assert [f.next() for f in StatusFilter][-1] is StatusFilter.ALL


def test_text_bar_and_numbers() -> None:
    assert bar_parts(0.62) == ("██████", "░░░░", " 62%")
    assert bar_parts(0.999) == ("█████████", "░", " 99%")  # 100% only when really done
    assert bar_parts(1.0) == ("██████████", "", "100%")
    assert bar_parts(None) == ("", "░░░░░░░░░░", "   -")
    assert format_rate(2140.4) == "2,140/s" and format_rate(None) == "-"
    assert format_rate(3340, "rows/s") == "3,340 rows/s"
    assert format_eta(59.2) == "1m 00s" and format_eta(None) == "-"


def test_default_phase_and_whether_it_moves() -> None:
    orders = row("public.orders", 10, 1, "IN_PROGRESS", 1.0)
    verify = row("public.orders", 10, 10, "COMPLETED", phase=Phase.VERIFY)
    assert default_phase(snapshot({}, [])) == Phase.EXPORT_DATA
    assert default_phase(snapshot({}, [orders, verify])) == Phase.VERIFY
    running = {Phase.EXPORT_DATA: PhaseStatus.IN_PROGRESS, Phase.IMPORT_DATA: PhaseStatus.IN_PROGRESS}
    assert default_phase(snapshot(running, [verify])) == Phase.IMPORT_DATA
    assert phase_moving(snapshot(running, [], RunnerState.RUNNING), Phase.IMPORT_DATA)
    assert not phase_moving(snapshot(running, [], RunnerState.CRASHED), Phase.IMPORT_DATA)
    assert not phase_moving(snapshot(running, []), Phase.IMPORT_DATA)
    assert not phase_moving(snapshot({Phase.IMPORT_DATA: PhaseStatus.FAILED}, []), Phase.IMPORT_DATA)
    assert phase_moving(snapshot({}, [orders]), Phase.IMPORT_DATA)  # rows alone, whoever writes them
