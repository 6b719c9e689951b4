"""Live table progress of one data phase: per-table rows, errors, rate, ETA and bar; sortable and filterable.

It renders the same polled snapshot as the Migration screen (only `ybvoyager.table_progress` rows and the
phase's status), so it shows the same thing whichever process or machine runs the phase.
"""

from __future__ import annotations

from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static

from ...engine.formatting import format_count
from ...engine.models import MigrationSnapshot
from ...engine.phases import PHASE_SPECS, Phase, PhaseStatus
from ..tables_view import (
    DATA_PHASES,
    DONE,
    FAILED,
    NOT_STARTED,
    RUNNING,
    SortBy,
    StatusFilter,
    TableLine,
    bar_parts,
    default_phase,
    format_eta,
    format_rate,
    format_rows,
    next_sort,
    overall,
    phase_moving,
    sort_keys,
    table_lines,
)
from ..widgets.banner import TargetBanner
from ..widgets.keyed_table import Cell, sync_rows
from .base import MigrationLiveScreen

COLUMNS = ("Table", "Status", "Rows (done / total)", "Errored", "Rate", "ETA", "Progress")
_STATUS_STYLE = {RUNNING: "yellow", DONE: "green", FAILED: "red", NOT_STARTED: "dim"}
_PHASE_STYLE = {PhaseStatus.COMPLETED: "green", PhaseStatus.IN_PROGRESS: "yellow", PhaseStatus.FAILED: "red"}
_PHASES = Binding.Group("Phase", compact=True)


def table_cells(line: TableLine) -> list[Cell]:
    """One DataTable row. Names and statuses come from the database: Text, never markup."""
    style = _STATUS_STYLE.get(line.status, "")
    errored = line.row.errored_rows
    filled, empty, pct = bar_parts(line.fraction)
    return [
        Text(line.key),
        Text(line.status, style=style),
        Text(format_rows(line.row), justify="right"),
        Text(format_count(errored), style="bold red" if errored else "dim", justify="right"),
        Text(format_rate(line.rate), justify="right"),
        Text(format_eta(line.eta_seconds), justify="right"),
        Text.assemble((filled, style or "default"), (empty, "dim"), " ", pct),
    ]


class TableProgressScreen(MigrationLiveScreen):
    AUTO_FOCUS = "#tables"
    BINDINGS = [
        Binding("1", "show_phase('export_data')", "Export data", id="phase_export", group=_PHASES),
        Binding("2", "show_phase('import_data')", "Import data", id="phase_import", group=_PHASES),
        Binding("3", "show_phase('verify')", "Verify", id="phase_verify", group=_PHASES),
        Binding("s", "sort_next", "Sort", id="sort_next"),
        Binding("S", "sort_reverse", "Reverse", id="sort_reverse"),
        Binding("slash", "focus_filter", "Filter", id="filter_name"),
        Binding("f", "filter_status", "Status filter", id="filter_status"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, target_key: str, migration_uuid: UUID, phase: Phase | None = None) -> None:
        super().__init__(target_key, migration_uuid)
        self.chosen_phase = phase
        """The phase picked with 1/2/3; until then the screen follows default_phase()."""
        self.sort = SortBy.NAME
        self.reverse = False
        self.status_filter = StatusFilter.ALL
        self.name_filter = ""
        self.lines: list[TableLine] = []
        """Every table of the shown phase, before filtering."""
        self._shown_phase: Phase | None = None

    @property
    def phase(self) -> Phase:
        if self.chosen_phase is not None:
            return self.chosen_phase
        return default_phase(self.snapshot) if self.snapshot is not None else DATA_PHASES[0]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        yield Static(id="tables-phases")
        yield Static("Loading tables …", id="tables-summary")
        with Horizontal(id="tables-overall"):
            yield Static("Overall", id="overall-label")
            yield ProgressBar(total=1, show_eta=False, id="overall-bar")
        with Horizontal(id="tables-filters"):
            yield Input(placeholder="/ filter by table name", id="table-filter", compact=True)
            yield Static(id="tables-view")
        yield DataTable(id="tables", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#tables", DataTable)
        for col in COLUMNS:
            table.add_column(col, key=col)
        self.query_one("#tables-overall").display = False  # until the first snapshot with tables

    # ---- rendering ---------------------------------------------------------------------------

    def refresh_view(self) -> None:
        super().refresh_view()
        snap = self.latest_snapshot()
        if snap is None:
            return
        self.sub_title = f"{snap.migration.migration_name} tables"
        self.show()

    def show(self) -> None:
        """Render the last snapshot with the current phase, sort and filters."""
        snap = self.snapshot
        if snap is None:
            return
        phase = self.phase
        moving = phase_moving(snap, phase)
        self.lines = table_lines(snap.tables_of(phase), moving=moving)
        self._show_phases(snap, phase)
        self._show_summary(snap, phase, moving)
        self._show_rows(phase)

    def _show_phases(self, snap: MigrationSnapshot, current: Phase) -> None:
        parts: list[Text | tuple[str, str] | str] = []
        for n, phase in enumerate(DATA_PHASES, start=1):
            label = f" {n} {PHASE_SPECS[phase].title} ({len(snap.tables_of(phase))}) "
            parts.append((label, "bold reverse" if phase == current else "dim"))
            parts.append(" ")
        self.query_one("#tables-phases", Static).update(Text.assemble(*parts))

    def _show_summary(self, snap: MigrationSnapshot, phase: Phase, moving: bool) -> None:
        title = PHASE_SPECS[phase].title
        status = snap.phase(phase).status
        head = Text.assemble((title, "bold"), " ", (status.value, _PHASE_STYLE.get(status, "dim")))
        runner = snap.runner(phase)
        if status == PhaseStatus.IN_PROGRESS and not moving:
            why = runner.reason if runner is not None else "no process is running it"
            head.append(f" — interrupted: {why}; rates and ETAs are unknown", style="red")
        elif runner is not None:
            head.append(f" — {runner.reason}", style="dim")
        bar = self.query_one("#overall-bar", ProgressBar)
        bar_row = self.query_one("#tables-overall")
        if not self.lines:
            self.query_one("#tables-summary", Static).update(
                head + Text(f"\nNo table progress reported for {title} yet.", style="dim"))
            bar_row.display = False
            return
        o = overall(self.lines)
        counts = " · ".join(f"{n} {word}" for word, n in o.counts)
        plural = "" if o.tables == 1 else "s"
        stats = Text.assemble(
            (f"{o.tables} table{plural}: ", "bold"), counts, "\n",
            ("Rows ", "bold"), f"{format_count(o.done_rows)} / {format_count(o.total_rows)} · ",
            (f"{format_count(o.errored_rows)} errored", "bold red" if o.errored_rows else ""),
        )
        if all(line.status == DONE for line in self.lines):
            stats.append(" · all done", style="green")
        else:
            stats.append(f" · rate {format_rate(o.rate, 'rows/s')} · ETA {format_eta(o.eta_seconds)}")
        self.query_one("#tables-summary", Static).update(head + "\n" + stats)
        bar_row.display = True
        if o.bar_total > 0:
            bar.update(total=o.bar_total, progress=o.bar_done)
        else:  # nothing with a row count: full when every table is done, else empty (never indeterminate)
            bar.update(total=1, progress=1 if all(line.status == DONE for line in self.lines) else 0)

    def _show_rows(self, phase: Phase) -> None:
        table: DataTable[Cell] = self.query_one("#tables", DataTable)
        visible = [line for line in self.lines if line.matches(self.name_filter, self.status_filter)]
        keep = self._cursor_key(table) if phase == self._shown_phase else None
        sync_rows(table, {line.key: table_cells(line) for line in visible})
        order = sort_keys(visible, self.sort, self.reverse)
        if [row.key.value for row in table.ordered_rows] != order:
            rank = {key: i for i, key in enumerate(order)}
            table.sort("Table", key=lambda cell: rank[str(cell)])
        if phase != self._shown_phase:
            self._shown_phase = phase
            table.move_cursor(row=0)
        elif keep is not None and keep in table.rows and table.get_row_index(keep) != table.cursor_row:
            table.move_cursor(row=table.get_row_index(keep))
        shown = f"Showing {len(visible)} of {len(self.lines)}" if self.lines else "No tables"
        what = [shown, f"status: {self.status_filter.value}", self.sort.describe(self.reverse)]
        self.query_one("#tables-view", Static).update(Text(" · ".join(what), style="dim"))

    @staticmethod
    def _cursor_key(table: DataTable[Cell]) -> str | None:
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key

    # ---- actions -----------------------------------------------------------------------------

    def action_show_phase(self, phase: str) -> None:
        self.chosen_phase = Phase(phase)
        self.show()

    def action_sort_next(self) -> None:
        self.sort = next_sort(self.sort)
        self.reverse = False
        self.show()

    def action_sort_reverse(self) -> None:
        self.reverse = not self.reverse
        self.show()

    def action_filter_status(self) -> None:
        self.status_filter = self.status_filter.next()
        self.show()

    def action_focus_filter(self) -> None:
        self.query_one("#table-filter", Input).focus()

    @on(Input.Changed, "#table-filter")
    def _name_changed(self, event: Input.Changed) -> None:
        self.name_filter = event.value.strip()
        self.show()

    @on(Input.Submitted, "#table-filter")
    def _name_submitted(self) -> None:
        self.query_one("#tables", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#table-filter", Input)
        if box.has_focus:  # escape in the filter box clears it and goes back to the table
            box.value = ""
            self.query_one("#tables", DataTable).focus()
            return
        self.app.pop_screen()
