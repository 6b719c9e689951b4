"""The phase timeline of the seed's migration view: ●────●────○ with labels under each dot."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...engine.phases import PHASE_ORDER, PHASE_SPECS, PhaseStatus
from ...engine.status_view import PhaseRow

CELL = 9
_STYLE = {
    PhaseStatus.COMPLETED: "bold green",
    PhaseStatus.IN_PROGRESS: "bold yellow",
    PhaseStatus.FAILED: "bold red",
    PhaseStatus.SKIPPED: "dim",
    PhaseStatus.NOT_STARTED: "dim",
}


def render_timeline(rows: list[PhaseRow]) -> Text:
    by_phase = {r.phase: r for r in rows}
    dots = Text()
    for i, phase in enumerate(PHASE_ORDER):
        row = by_phase[phase]
        style = "bold red" if row.interrupted else _STYLE[row.status]
        dots.append(row.symbol, style=style)
        if i < len(PHASE_ORDER) - 1:
            done = row.status in (PhaseStatus.COMPLETED, PhaseStatus.SKIPPED)
            dots.append("─" * (CELL - 1), style="green" if done else "dim")
    label_lines = [Text(), Text()]
    for phase in PHASE_ORDER:
        words = PHASE_SPECS[phase].short.split("\n")
        for line_no in range(2):
            word = words[line_no] if line_no < len(words) else ""
            label_lines[line_no].append(word.ljust(CELL)[:CELL], style=_label_style(by_phase[phase]))
    return Text("\n").join([dots, *label_lines])


def _label_style(row: PhaseRow) -> str:
    if row.interrupted or row.status == PhaseStatus.FAILED:
        return "red"
    return "bold" if row.status == PhaseStatus.IN_PROGRESS else ""


class Timeline(Static):
    """Shows where a migration stands along its phases."""

    DEFAULT_CSS = """
    Timeline { height: 3; width: auto; }
    """

    def show(self, rows: list[PhaseRow]) -> None:
        self.update(render_timeline(rows))

