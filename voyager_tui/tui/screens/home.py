"""Home: every migration of every known target, active first, and the local assessments."""

from __future__ import annotations

from uuid import UUID

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from ...engine.assessment.registry import AssessmentEntry, EntryState, known_assessments
from ...engine.formatting import format_time
from ...engine.phases import phase_title
from ..widgets.banner import TargetBanner
from ..widgets.keyed_table import Cell, sync_rows
from .base import LiveScreen

COLUMNS = ("Migration", "Source", "Phase", "Status", "Done", "Updated", "Target")
ASSESSMENT_COLUMNS = ("Assessment", "Source", "L3", "L2", "L1", "Generated", "Status")
_ENTRY_STYLE = {EntryState.REPORTED: "green", EntryState.NOT_REPORTED: "yellow", EntryState.MISSING: "red",
                EntryState.BROKEN: "red"}


def assessment_cells(entry: AssessmentEntry) -> list[Cell]:
    source = entry.source_db_type or "-"
    if entry.db_name:
        source += f" {entry.db_name}"
    counts = [Text(str(entry.issue_counts[lvl]), justify="right", style=style) if lvl in entry.issue_counts
              else Text("-", justify="right", style="dim")
              for lvl, style in (("LEVEL_3", "bold red"), ("LEVEL_2", "yellow"), ("LEVEL_1", ""))]
    return [entry.name, source, *counts, format_time(entry.generated_at, short=True),
            Text(entry.status_text, style=_ENTRY_STYLE[entry.state])]


def row_key(target_key: str, migration_uuid: UUID) -> str:
    return f"{target_key}|{migration_uuid}"


class HomeScreen(LiveScreen):
    assessments: dict[str, AssessmentEntry]
    """Row key (the dir) -> what the listing showed, so Enter opens what the user saw."""
    BINDINGS = [
        Binding("enter", "open_selected", "Open", id="open_migration"),
        Binding("n", "new_assessment", "New assessment", id="new_assessment"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "enter_password", "Password", id="enter_password"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.assessments = {}
        self._assessments_stale = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        yield Static(id="targets")
        yield Static("Active migrations", classes="section-title")
        yield DataTable(id="active", cursor_type="row", zebra_stripes=True)
        yield Static("Completed migrations", classes="section-title")
        yield DataTable(id="completed", cursor_type="row", zebra_stripes=True)
        yield Static("Assessments", classes="section-title")
        yield Static(id="assessments-note")
        yield DataTable(id="assessments", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for col in ASSESSMENT_COLUMNS if table.id == "assessments" else COLUMNS:
                table.add_column(col, key=col)
        self.load_assessments()

    def on_screen_resume(self) -> None:
        # LiveScreen's own on_screen_resume runs too (Textual calls the handler of every class in the MRO).
        # Only after an assessment screen, which may have written one: a reload on every resume would also start
        # a worker and a repaint while the app shuts down (the demo's hangup test hangs on that repaint).
        if self.ready and self._assessments_stale:
            self._assessments_stale = False
            self.load_assessments()

    # ---- local assessments -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="assessments", exit_on_error=False, description="list assessments")
    def load_assessments(self) -> list[AssessmentEntry]:
        return known_assessments()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "assessments" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        note = self.query_one("#assessments-note", Static)
        if event.state == WorkerState.ERROR:
            note.update(Text(f"Cannot list assessments: {event.worker.error}", style="red"))
            return
        entries: list[AssessmentEntry] = event.worker.result or []
        self.assessments = {str(e.path): e for e in entries}
        sync_rows(self.query_one("#assessments", DataTable),
                  {str(e.path): assessment_cells(e) for e in entries})
        note.update(Text("" if entries else "No assessments yet. Press n to assess a source database.",
                         style="dim"))
        note.display = not entries

    def refresh_view(self) -> None:
        super().refresh_view()
        app = self.vapp
        active: dict[str, list[Cell]] = {}
        completed: dict[str, list[Cell]] = {}
        lines: list[Text] = []
        if not app.targets:
            lines.append(Text("No targets yet. Register a migration with `voyager-tui migrate init …` "
                              "(it remembers the target), or try `voyager-tui demo`."))
        for key in app.targets:
            poll = app.polls.get(key)
            if key in app.lost:
                lines.append(Text.assemble(("✗ ", "red"), f"{key}: unreachable"))
            elif poll is None:
                lines.append(Text.assemble(("… ", "dim"), f"{key}: connecting"))
            elif poll.note:
                lines.append(Text.assemble(("○ ", "dim"), f"{key}: no migrations yet"))
            else:
                lines.append(Text.assemble(("● ", "green"), f"{key}: {len(poll.summaries)} migration(s)"))
            for s in poll.summaries if poll else []:
                m = s.migration
                status = Text(m.current_status or "-")
                if s.crashed:
                    status = Text("INTERRUPTED", style="red")
                elif s.running_on:
                    status = Text(f"{m.current_status} on {s.running_on}", style="yellow")
                cells: list[Cell] = [m.migration_name, f"{m.source_db_name} [{', '.join(m.source_schemas)}]",
                                     phase_title(m.current_phase), status, f"{s.phases_done}/{s.phases_total}",
                                     format_time(m.updated_at, short=True), key]
                (active if s.is_active else completed)[row_key(key, m.migration_uuid)] = cells
        self.query_one("#targets", Static).update(Text("\n").join(lines))
        sync_rows(self.query_one("#active", DataTable), active)
        sync_rows(self.query_one("#completed", DataTable), completed)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "assessments":
            self._open_assessment(event.row_key.value)
        else:
            self._open(event.row_key.value)

    def action_open_selected(self) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else self.query_one("#active", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.id == "assessments":
                self._open_assessment(key)
            else:
                self._open(key)

    def _open_assessment(self, key: str | None) -> None:
        entry = self.assessments.get(key or "")
        if entry is None:
            return
        if entry.state is EntryState.REPORTED:
            self._assessments_stale = True
            self.vapp.open_assessment(entry.path)
        elif entry.state is EntryState.NOT_REPORTED:
            self.notify(f"{entry.problem}: voyager-tui assessment generate-report --assessment-dir {entry.path}",
                        title="Not reported yet", severity="warning", markup=False)
        else:
            self.notify(entry.problem or entry.state.value, title=f"Cannot open {entry.name}", severity="error",
                        markup=False)

    def action_new_assessment(self) -> None:
        from .assessment_wizard import AssessmentWizardScreen

        self._assessments_stale = True
        self.app.push_screen(AssessmentWizardScreen())

    def _open(self, key: str | None) -> None:
        if not key:
            return
        target_key, _, uid = key.rpartition("|")
        self.vapp.open_migration(target_key, UUID(uid))

    def action_refresh(self) -> None:
        self.vapp.poll_all_now()
        self.load_assessments()

    def action_enter_password(self) -> None:
        self.vapp.ask_password()
