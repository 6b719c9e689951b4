"""Rich renderings of engine models for the terminal."""

from __future__ import annotations

from datetime import timedelta

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..engine.formatting import format_duration, format_percent, format_time, printable
from ..engine.models import Event, MigrationSnapshot, MigrationSummary
from ..engine.next_step import NextStep
from ..engine.phases import PhaseStatus, phase_title
from ..engine.status_view import current_activity, phase_rows

STATUS_STYLES = {
    PhaseStatus.COMPLETED: "green",
    PhaseStatus.IN_PROGRESS: "yellow",
    PhaseStatus.FAILED: "red",
    PhaseStatus.SKIPPED: "dim",
    PhaseStatus.NOT_STARTED: "dim",
}


def status_box(snapshot: MigrationSnapshot, step: NextStep, target_label: str) -> Panel:
    mig = snapshot.migration
    head = Table.grid(padding=(0, 1))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("Migration:", printable(mig.migration_name))
    head.add_row("UUID:", str(mig.migration_uuid))
    head.add_row("Source:", printable(f"{mig.source_label}  ({mig.source_db_version or 'unknown version'})"))
    head.add_row("Target:", f"{target_label}  ({mig.target_db_type or 'unknown'})")

    phases = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    phases.add_column("  Phase", min_width=18)
    phases.add_column("Status", min_width=12)
    phases.add_column("Progress", justify="right")
    phases.add_column("Duration", justify="right")
    for row in phase_rows(snapshot):
        style = "red" if row.interrupted else STATUS_STYLES[row.status]
        dur = None if row.duration_seconds is None else timedelta(seconds=row.duration_seconds)
        phases.add_row(Text.assemble((row.symbol, style), " ", row.title), Text(row.status_label, style=style),
                       format_percent(row.progress), format_duration(dur))

    activity = Text("Current Activity:\n", style="bold")
    activity.append(printable("\n".join("  " + line for line in current_activity(snapshot))))
    parts: list[RenderableType] = [head, Text(""), phases, Rule(style="dim"), activity, Rule(style="dim"),
                                   next_step_text(step)]
    return Panel(Group(*parts), title=Text("MIGRATION STATUS", style="bold"), box=box.DOUBLE, expand=False, width=84)


def next_step_text(step: NextStep) -> Group:
    parts: list[RenderableType] = [Text.assemble(("▶ NEXT STEP: ", "bold cyan"), (printable(step.title), "bold")),
                                   Padding(Text(printable(step.why)), (0, 0, 0, 2))]
    if step.argv:
        parts.append(Padding(Text(printable("\n".join(step.command_lines())), style="cyan"), (1, 0, 0, 4)))
        if not step.can_run_here and step.not_here_reason:
            parts.append(Padding(Text(printable(f"(not runnable here: {step.not_here_reason})"), style="dim"),
                                 (0, 0, 0, 2)))
    return Group(*parts)


def history_table(events: list[Event]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Migration history", expand=True)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Time", no_wrap=True)
    table.add_column("Event", no_wrap=True)
    table.add_column("What happened", ratio=1)
    table.add_column("By", style="dim", no_wrap=True, max_width=18)
    for e in events:
        table.add_row(str(e.event_id), format_time(e.created_at, short=True), e.event_type, printable(e.message),
                      printable(e.actor or ""))
    return table


def migrations_table(summaries: list[MigrationSummary]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Migrations in this target", expand=True)
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("Source", ratio=1)
    table.add_column("Where it stands", ratio=1)
    table.add_column("Done", justify="right", no_wrap=True)
    table.add_column("Updated", no_wrap=True)
    for s in summaries:
        m = s.migration
        where = f"{phase_title(m.current_phase)} {m.current_status or ''}".strip()
        if s.crashed:
            where += " (runner crashed)"
        elif s.running_on:
            where += f" (on {s.running_on})"
        source = f"{m.source_db_name} [{', '.join(m.source_schemas)}]"
        table.add_row(printable(m.migration_name), printable(source), printable(where),
                      f"{s.phases_done}/{s.phases_total}", format_time(m.updated_at, short=True))
    return table
