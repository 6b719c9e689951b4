"""Home: every migration of every known target, active first."""

from __future__ import annotations

from uuid import UUID

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from ...engine.formatting import format_time
from ...engine.phases import phase_title
from ..widgets.banner import TargetBanner
from ..widgets.keyed_table import Cell, sync_rows
from .base import LiveScreen

COLUMNS = ("Migration", "Source", "Phase", "Status", "Done", "Updated", "Target")


def row_key(target_key: str, migration_uuid: UUID) -> str:
    return f"{target_key}|{migration_uuid}"


class HomeScreen(LiveScreen):
    BINDINGS = [
        Binding("enter", "open_selected", "Open", id="open_migration"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "enter_password", "Password", id="enter_password"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        yield Static(id="targets")
        yield Static("Active migrations", classes="section-title")
        yield DataTable(id="active", cursor_type="row", zebra_stripes=True)
        yield Static("Completed migrations", classes="section-title")
        yield DataTable(id="completed", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            for col in COLUMNS:
                table.add_column(col, key=col)

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
        self._open(event.row_key.value)

    def action_open_selected(self) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else self.query_one("#active", DataTable)
        if table.row_count:
            self._open(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _open(self, key: str | None) -> None:
        if not key:
            return
        target_key, _, uid = key.rpartition("|")
        self.vapp.open_migration(target_key, UUID(uid))

    def action_refresh(self) -> None:
        self.vapp.poll_all_now()

    def action_enter_password(self) -> None:
        self.vapp.ask_password()
