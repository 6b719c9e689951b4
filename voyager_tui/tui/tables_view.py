"""The numbers of the live table progress screen, computed from table_progress rows only (no Textual here).

Everything is derived from the polled snapshot (rows done/total, errored rows, the rate the runner wrote),
never from the wall clock, so the same snapshot always renders the same ETAs — on any machine, whichever
process or host runs the phase.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from ..engine.formatting import format_count, format_duration
from ..engine.models import MigrationSnapshot, RunnerState, TableProgress
from ..engine.phases import Phase, PhaseStatus

DATA_PHASES: tuple[Phase, ...] = (Phase.EXPORT_DATA, Phase.IMPORT_DATA, Phase.VERIFY)
"""The phases whose progress is kept per table, in the order of the 1/2/3 keys."""

RUNNING = "IN_PROGRESS"
DONE = "COMPLETED"
FAILED = "FAILED"
NOT_STARTED = "NOT_STARTED"

# Status sort order and the words of the overall counts; unknown statuses sort last, shown as written.
_STATUS_RANK = {RUNNING: 0, FAILED: 1, NOT_STARTED: 2, DONE: 3}
_STATUS_WORDS = {RUNNING: "running", FAILED: "failed", NOT_STARTED: "not started", DONE: "done"}


class SortBy(StrEnum):
    NAME = "name"
    STATUS = "status"
    PROGRESS = "progress"
    RATE = "rate"
    ETA = "eta"

    def describe(self, reverse: bool) -> str:
        """`sorted by rate, fastest first`: the column and what comes first."""
        first, last = _SORT_ENDS[self]
        return f"sorted by {'ETA' if self is SortBy.ETA else self.value}, {last if reverse else first}"


_SORT_ENDS = {
    SortBy.NAME: ("A→Z", "Z→A"),
    SortBy.STATUS: ("running first", "done first"),
    SortBy.PROGRESS: ("most done first", "least done first"),
    SortBy.RATE: ("fastest first", "slowest first"),
    SortBy.ETA: ("soonest first", "latest first"),
}


class StatusFilter(StrEnum):
    ALL = "all"
    RUNNING = "running"
    NOT_DONE = "not done"
    ERRORED = "errored"
    DONE = "done"

    def next(self) -> StatusFilter:
        members = list(StatusFilter)
        return members[(members.index(self) + 1) % len(members)]


def next_sort(sort: SortBy) -> SortBy:
    members = list(SortBy)
    return members[(members.index(sort) + 1) % len(members)]


@dataclass(frozen=True)
class TableLine:
    """One table of one phase, with what the screen derives from it."""

    row: TableProgress
    fraction: float | None
    """0..1; None when the total is unknown and the table is not done."""
    rate: float | None
    """Rows/s the runner reports, for a running table whose phase is moving; None otherwise (it would be stale)."""
    eta_seconds: float | None
    """Remaining rows / rate; None when either is unknown."""

    @property
    def key(self) -> str:
        return self.row.qualified_name

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def remaining(self) -> int | None:
        if self.row.status == DONE:
            return 0
        if self.row.total_rows is None:
            return None
        return max(0, self.row.total_rows - self.row.completed_rows)

    def matches(self, name: str, status: StatusFilter) -> bool:
        """Substring of `schema.table` (case-insensitive) and the status filter."""
        if name and name.casefold() not in self.key.casefold():
            return False
        if status is StatusFilter.RUNNING:
            return self.status == RUNNING
        if status is StatusFilter.NOT_DONE:
            return self.status != DONE
        if status is StatusFilter.ERRORED:
            return self.row.errored_rows > 0 or self.status == FAILED
        if status is StatusFilter.DONE:
            return self.status == DONE
        return True


def table_fraction(row: TableProgress) -> float | None:
    if row.status == DONE:
        return 1.0  # row counts are estimates; a finished table is 100% whatever the estimate said
    if row.total_rows is None:
        return None
    if row.total_rows <= 0:
        return 0.0
    return min(1.0, max(0.0, row.completed_rows / row.total_rows))


def phase_moving(snapshot: MigrationSnapshot, phase: Phase) -> bool:
    """False when the phase is known to be stopped (failed, or IN_PROGRESS with no live runner): rates are stale."""
    status = snapshot.phase(phase).status
    if status == PhaseStatus.FAILED:
        return False
    if status == PhaseStatus.IN_PROGRESS:
        runner = snapshot.runner(phase)
        return runner is not None and runner.state == RunnerState.RUNNING
    return True


def table_lines(rows: Iterable[TableProgress], *, moving: bool = True) -> list[TableLine]:
    lines = []
    for row in rows:
        rate = row.rate_per_second if moving and row.status == RUNNING else None
        eta = None
        if rate and rate > 0 and row.total_rows is not None:
            eta = max(0, row.total_rows - row.completed_rows) / rate
        lines.append(TableLine(row=row, fraction=table_fraction(row), rate=rate, eta_seconds=eta))
    return lines


def default_phase(snapshot: MigrationSnapshot) -> Phase:
    """The data phase running now (the later one if two run), else the latest one with table rows."""
    running = [p for p in DATA_PHASES if snapshot.phase(p).status == PhaseStatus.IN_PROGRESS]
    if running:
        return running[-1]
    with_rows = [p for p in DATA_PHASES if snapshot.tables_of(p)]
    return with_rows[-1] if with_rows else DATA_PHASES[0]


def sort_keys(lines: Sequence[TableLine], sort: SortBy, reverse: bool = False) -> list[str]:
    """Row keys in display order. Ties go by name; tables without a value (no rate, no ETA) always come last."""
    by_name = sorted(lines, key=lambda line: line.key, reverse=reverse and sort is SortBy.NAME)
    if sort is SortBy.NAME:
        return [line.key for line in by_name]

    def value(line: TableLine) -> float | None:
        if sort is SortBy.STATUS:
            return _STATUS_RANK.get(line.status, len(_STATUS_RANK))
        if sort is SortBy.PROGRESS:
            return None if line.fraction is None else -line.fraction
        if sort is SortBy.RATE:
            return None if line.rate is None else -line.rate
        return line.eta_seconds

    valued = [(v, line) for line in by_name if (v := value(line)) is not None]
    valued.sort(key=lambda pair: pair[0], reverse=reverse)  # stable: ties stay by name
    return [line.key for _, line in valued] + [line.key for line in by_name if value(line) is None]


@dataclass(frozen=True)
class Overall:
    tables: int
    done_rows: int
    total_rows: int | None
    """None when some table has no row count."""
    bar_done: int
    bar_total: int
    """The overall bar: rows of the tables with a known count (a done table counts in full)."""
    errored_rows: int
    rate: float | None
    """Sum of the rates of the running tables; None when none reports one."""
    eta_seconds: float | None
    counts: list[tuple[str, int]]
    """(status word, tables) in a fixed order."""

    @property
    def fraction(self) -> float | None:
        return None if self.bar_total <= 0 else min(1.0, self.bar_done / self.bar_total)


def overall(lines: Sequence[TableLine]) -> Overall:
    totals = [line.row.total_rows for line in lines]
    known = [line for line in lines if line.row.total_rows is not None]
    bar_total = sum(line.row.total_rows or 0 for line in known)
    bar_done = sum((line.row.total_rows or 0) if line.status == DONE
                   else min(line.row.completed_rows, line.row.total_rows or 0) for line in known)
    rates = [line.rate for line in lines if line.rate is not None]
    rate = sum(rates) if rates else None
    remaining = [line.remaining for line in lines]
    eta = None
    if rate and all(r is not None for r in remaining):
        eta = sum(r or 0 for r in remaining) / rate
    by_status = Counter(line.status for line in lines)
    counts = [(_STATUS_WORDS[s], by_status.pop(s)) for s in (RUNNING, DONE, FAILED, NOT_STARTED) if by_status[s]]
    counts += sorted(by_status.items())
    return Overall(tables=len(lines), done_rows=sum(line.row.completed_rows for line in lines),
                   total_rows=None if any(t is None for t in totals) else sum(t or 0 for t in totals),
                   bar_done=bar_done, bar_total=bar_total, errored_rows=sum(line.row.errored_rows for line in lines),
                   rate=rate, eta_seconds=eta, counts=counts)


# ---- text --------------------------------------------------------------------------------------

BAR_WIDTH = 10


def bar_parts(fraction: float | None, width: int = BAR_WIDTH) -> tuple[str, str, str]:
    """(filled, empty, percent) of a text bar like `██████░░░░ 62%`; the percent is floored (100% only when done)."""
    if fraction is None:
        return "", "░" * width, "   -"
    filled = math.floor(fraction * width + 1e-9)
    return "█" * filled, "░" * (width - filled), f"{math.floor(fraction * 100 + 1e-9):>3d}%"


def format_rate(rate: float | None, unit: str = "/s") -> str:
    """`2,140/s` in a table cell, `3,340 rows/s` in a sentence."""
    return "-" if rate is None else f"{rate:,.0f}{'' if unit.startswith('/') else ' '}{unit}"


def format_eta(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=math.ceil(seconds)))


def format_rows(row: TableProgress) -> str:
    return f"{format_count(row.completed_rows)} / {format_count(row.total_rows)}"
