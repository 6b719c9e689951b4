"""The event log of one migration, newest at the bottom, growing live."""

from __future__ import annotations

from uuid import UUID

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from ...engine.formatting import format_time
from ...engine.phases import phase_title
from ..widgets.banner import TargetBanner
from ..widgets.keyed_table import as_text
from .base import LiveScreen


class HistoryScreen(LiveScreen):
    BINDINGS = [Binding("escape", "back", "Back", id="back")]

    def __init__(self, target_key: str, migration_uuid: UUID) -> None:
        super().__init__()
        self.target_key = target_key
        self.migration_uuid = migration_uuid

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        yield Static(id="history-title", classes="section-title")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        for col in ("#", "Time", "Event", "Phase", "What happened", "By"):
            table.add_column(col, key=col)
        self.vapp.watch_events(self.target_key, self.migration_uuid)

    def on_unmount(self) -> None:
        self.vapp.unwatch_events(self.target_key, self.migration_uuid)

    def refresh_view(self) -> None:
        super().refresh_view()
        events = self.vapp.events.get((self.target_key, self.migration_uuid), [])
        poll = self.vapp.polls.get(self.target_key)
        name = next((s.migration.migration_name for s in poll.summaries
                     if s.migration.migration_uuid == self.migration_uuid), "") if poll else ""
        self.sub_title = f"{name} history"
        plural = "" if len(events) == 1 else "s"
        self.query_one("#history-title", Static).update(Text(f"History of {name} — {len(events)} event{plural}"))
        table = self.query_one("#events", DataTable)
        at_end = table.cursor_row >= table.row_count - 1
        new = [e for e in events if str(e.event_id) not in table.rows]
        for e in new:  # events never change once written: append only
            cells = (str(e.event_id), format_time(e.created_at, short=True), e.event_type, phase_title(e.phase),
                     e.message, e.actor or "")
            table.add_row(*(as_text(c) for c in cells), key=str(e.event_id))
        if new and at_end:
            table.move_cursor(row=table.row_count - 1)

    def action_back(self) -> None:
        self.app.pop_screen()
