"""Rich renderings of engine models for the terminal."""

from __future__ import annotations

from datetime import timedelta

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..engine.formatting import format_duration, format_percent, format_time
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
    head.add_row("Migration:", mig.migration_name)
    head.add_row("UUID:", str(mig.migration_uuid))
    head.add_row("Source:", f"{mig.source_label}  ({mig.source_db_version or 'unknown version'})")
    head.add_row("Target:", f"{target_label}  ({mig.target_db_type or 'unknown'})")

    phases = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    phases.add_column(" ", width=1)
    phases.add_column("Phase", min_width=16)
    phases.add_column("Status", min_width=12)
    phases.add_column("Progress", justify="right")
    phases.add_column("Duration", justify="right")
    for row in phase_rows(snapshot):
        style = "red" if row.interrupted else STATUS_STYLES[row.status]
        dur = None if row.duration_seconds is None else timedelta(seconds=row.duration_seconds)
        phases.add_row(Text(row.symbol, style=style), row.title, Text(row.status_label, style=style),
                       format_percent(row.progress), format_duration(dur))

    activity = Text("Current Activity:\n", style="bold")
    activity.append("\n".join("  " + line for line in current_activity(snapshot)))
    parts: list[RenderableType] = [head, Text(""), phases, Rule(style="dim"), activity, Rule(style="dim"),
                                   next_step_text(step)]
    return Panel(Group(*parts), title="[bold]MIGRATION STATUS[/]", box=box.DOUBLE, expand=False, width=84)


def next_step_text(step: NextStep) -> Text:
    text = Text("▶ NEXT STEP: ", style="bold cyan")
    text.append(step.title, style="bold")
    text.append("\n  " + step.why)
    if step.argv:
        text.append("\n\n")
        text.append("\n".join("    " + line for line in step.command_lines()), style="cyan")
        if not step.can_run_here and step.not_here_reason:
            text.append(f"\n  (not runnable here: {step.not_here_reason})", style="dim")
    return text


def history_table(events: list[Event]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Migration history")
    table.add_column("#", justify="right", style="dim")
    table.add_column("Time")
    table.add_column("Event")
    table.add_column("Phase")
    table.add_column("What happened", overflow="fold")
    table.add_column("By", style="dim")
    for e in events:
        table.add_row(str(e.event_id), format_time(e.created_at), e.event_type, phase_title(e.phase), e.message,
                      e.actor or "")
    return table


def migrations_table(summaries: list[MigrationSummary]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Migrations in this target")
    table.add_column("Name", style="bold")
    table.add_column("UUID", style="dim")
    table.add_column("Source")
    table.add_column("Phase")
    table.add_column("Status")
    table.add_column("Done", justify="right")
    table.add_column("Updated")
    for s in summaries:
        m = s.migration
        status = m.current_status or "-"
        if s.crashed:
            status += " (runner crashed)"
        elif s.running_on:
            status += f" (on {s.running_on})"
        table.add_row(m.migration_name, str(m.migration_uuid), m.source_label, phase_title(m.current_phase), status,
                      f"{s.phases_done}/{s.phases_total}", format_time(m.updated_at))
    return table
