"""Review AI suggestions of one migration: see the proof, then accept, reject, edit or validate again.

Every action is a thread worker on its own target connection; decisions are written to ybvoyager.suggestions at
once (the store also puts them on the migration's timeline), and only the changed row is updated in place.
"""

from __future__ import annotations

import difflib
import getpass
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from ...engine.ai.models import Decision, Suggestion, ValidationStatus
from ...engine.ai.store import decide, get_suggestion, list_suggestions, save_suggestions, update_suggested_sql
from ...engine.ai.validate import validate
from ...engine.connections import connect_pg
from ...engine.errors import VoyagerError, one_line
from ...engine.formatting import format_time
from ...engine.secrets import DbRole
from ..widgets.banner import TargetBanner
from .base import LiveScreen

COLUMNS = ("object", "issue", "provider", "validation", "decision")
_HEADINGS = ("Object", "Issue type", "Provider", "Validation", "Decision")
_VALIDATION_STYLE = {ValidationStatus.VALID: "green", ValidationStatus.INVALID: "red",
                     ValidationStatus.PENDING: "yellow"}
_DECISION_STYLE = {Decision.ACCEPTED: "bold green", Decision.REJECTED: "red", Decision.PENDING: "dim"}
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def reviewer() -> str:
    """Who decides, as recorded in the audit trail: the OS user at this machine."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


def sql_diff(original: str, suggested: str) -> tuple[Text, Text]:
    """Both SQL texts with the tokens that differ highlighted: removed ones in the original, added ones in the
    suggestion. Token-level, so a changed keyword inside a long line stands out."""
    old, new = _TOKEN.findall(original), _TOKEN.findall(suggested)
    left, right = Text(), Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            left.append("".join(old[i1:i2]))
            right.append("".join(new[j1:j2]))
            continue
        left.append("".join(old[i1:i2]), style="bold red reverse")
        right.append("".join(new[j1:j2]), style="bold green reverse")
    return left, right


def row_cells(s: Suggestion) -> list[Text]:
    """One DataTable row; names come from the database, so Text and never markup."""
    edited = " (edited)" if s.edited else ""
    return [
        Text(f"{s.object_type} {s.object_name}"),
        Text(s.issue_type),
        Text(s.provider + (f" ({s.model})" if s.model else "")),
        Text(s.validation_status.value + edited, style=_VALIDATION_STYLE[s.validation_status]),
        Text(s.decision.value, style=_DECISION_STYLE[s.decision]),
    ]


def detail_text(s: Suggestion) -> Text:
    out = Text.assemble(("Reason  ", "bold"), s.reason)
    if not s.suggested_sql.strip():
        out.append("\n(the fix drops the object: there is no SQL to run)", style="dim")
    if s.caveats:
        out.append("\nCaveats", style="bold")
        for c in s.caveats:
            out.append(f"\n  • {c}")
    decided = ""
    if s.decision != Decision.PENDING:
        decided = f" — {s.decision.value.lower()} by {s.decided_by or '?'} at {format_time(s.decided_at)}"
    out.append("\nDecision  ", style="bold")
    out.append(s.decision.value + decided, style=_DECISION_STYLE[s.decision])
    out.append("\nValidation on the target  ", style="bold")
    out.append(s.validation_status.value, style=_VALIDATION_STYLE[s.validation_status])
    out.append("\n" + (s.validation_evidence or "not validated yet: press v"), style="dim")
    return out


class EditSuggestionScreen(ModalScreen[str | None]):
    """The suggested SQL in an editor; ctrl+s saves (the screen behind re-validates it), escape discards."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save and validate", id="save_edit"),
        Binding("escape", "cancel", "Discard", id="cancel_edit"),
    ]

    def __init__(self, title: str, suggested_sql: str) -> None:
        super().__init__()
        self.title_text = title
        self.suggested_sql = suggested_sql

    def compose(self) -> ComposeResult:
        with Vertical(id="sugg-edit-box"):
            yield Static(Text(self.title_text, style="bold"), id="sugg-edit-title")
            yield TextArea(self.suggested_sql, id="sugg-edit", show_line_numbers=True)
            yield Static(Text("ctrl+s saves and validates on the target · escape discards", style="dim"))
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.cursor_blink = False  # a steady cursor: the edit view renders the same every time
        area.focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SuggestionReviewScreen(LiveScreen):
    AUTO_FOCUS = "#suggestions"
    BINDINGS = [
        Binding("a", "accept", "Accept", id="accept_suggestion"),
        Binding("r", "reject", "Reject", id="reject_suggestion"),
        Binding("e", "edit", "Edit", id="edit_suggestion"),
        Binding("v", "validate", "Validate again", id="validate_suggestion"),
        Binding("A", "accept_all", "Accept all valid", id="accept_all_valid"),
        Binding("w", "write_fixes", "Write accepted fixes", id="write_fixes"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, target_key: str, migration_uuid: UUID) -> None:
        super().__init__()
        self.target_key = target_key
        self.migration_uuid = migration_uuid
        self.items: dict[str, Suggestion] = {}
        self.loaded = False
        self._polling = False
        self._writes = 0
        """Bumped by every local change, so a poll that read the table before it does not undo it on screen."""
        self._leaving = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        yield Static("Loading suggestions …", id="sugg-title", classes="section-title")
        yield DataTable(id="suggestions", cursor_type="row", zebra_stripes=True)
        yield Static(id="sugg-message")
        with VerticalScroll(id="sugg-detail"):
            with Horizontal(id="sugg-sql"):
                with Vertical(classes="sugg-pane"):
                    yield Static(Text("Original", style="bold"))
                    yield Static(id="sugg-original")
                with Vertical(classes="sugg-pane"):
                    yield Static(Text("Suggested", style="bold"))
                    yield Static(id="sugg-suggested")
            yield Static(id="sugg-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#suggestions", DataTable)
        for key, heading in zip(COLUMNS, _HEADINGS, strict=True):
            table.add_column(heading, key=key)
        self.sub_title = "AI suggestions"
        self.load()

    # ---- target access (worker threads) ------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        params = self.vapp.targets[self.target_key]
        with connect_pg(params, DbRole.TARGET, password=self.vapp.password_for(self.target_key),
                        application_name="voyager-tui review") as conn:
            yield conn

    def _on_target(self, job: Callable[[psycopg.Connection[Any]], None]) -> None:
        """Run `job` on a fresh target connection; a refusal or a target error is shown in place, never raised."""
        try:
            with self._conn() as conn:
                job(conn)
        except (VoyagerError, psycopg.Error) as exc:
            self.app.call_from_thread(self._message, one_line(exc), "red")

    @work(thread=True, exclusive=True, group="suggestions-load", exit_on_error=False)
    def load(self) -> None:
        def job(conn: psycopg.Connection[Any]) -> None:
            found = list_suggestions(conn, self.migration_uuid)
            self.app.call_from_thread(self._show_all, found)
        self._on_target(job)

    def refresh_view(self) -> None:
        super().refresh_view()
        # Called after every poll of the app: re-read the suggestions unless the previous read is still running,
        # so decisions made elsewhere (another reviewer, `ai convert`) appear within a poll or two.
        if self.loaded and not self._polling:
            self._polling = True
            self._poll(self._writes)

    @work(thread=True, group="suggestions-poll", exit_on_error=False)
    def _poll(self, writes: int) -> None:
        found: list[Suggestion] | None = None
        try:
            with self._conn() as conn:
                found = list_suggestions(conn, self.migration_uuid)
        except (VoyagerError, psycopg.Error):
            pass  # the app's own poll reports a lost target in the banner
        finally:
            self.app.call_from_thread(self._polled, found, writes)

    def _polled(self, found: list[Suggestion] | None, writes: int) -> None:
        self._polling = False
        if found is None or writes != self._writes or not self.is_mounted:
            return
        table = self.query_one("#suggestions", DataTable)
        keep = {str(s.suggestion_id) for s in found}
        for key in [k for k in self.items if k not in keep]:
            del self.items[key]
            table.remove_row(key)
        for s in found:
            if self.items.get(str(s.suggestion_id)) != s:
                self._apply(s)
        self._title()

    @work(thread=True, exclusive=True, group="suggestions-write", exit_on_error=False)
    def _decide(self, ids: list[UUID], decision: Decision) -> None:
        who = reviewer()

        def job(conn: psycopg.Connection[Any]) -> None:
            for sid in ids:
                done = decide(conn, sid, decision, who)
                self.app.call_from_thread(self._apply, done)
            verb = "accepted" if decision == Decision.ACCEPTED else "rejected"
            self.app.call_from_thread(self._message, f"{len(ids)} suggestion(s) {verb} by {who}", "green")
        self._on_target(job)

    @work(thread=True, exclusive=True, group="suggestions-write", exit_on_error=False)
    def _revalidate(self, sid: UUID, edited_sql: str | None) -> None:
        def job(conn: psycopg.Connection[Any]) -> None:
            if edited_sql is not None:
                current = update_suggested_sql(conn, sid, edited_sql, reviewer())
                self.app.call_from_thread(self._apply, current)
            else:
                current = get_suggestion(conn, sid)
            stored = save_suggestions(conn, [validate(conn, current)])[0]
            self.app.call_from_thread(self._apply, stored)
            self.app.call_from_thread(self._message, f"validated on the target: {stored.validation_status.value}",
                                      _VALIDATION_STYLE[stored.validation_status])
        self._on_target(job)

    # ---- rendering (UI thread) ---------------------------------------------------------------

    def _show_all(self, found: list[Suggestion]) -> None:
        table = self.query_one("#suggestions", DataTable)
        table.clear()
        self.items = {str(s.suggestion_id): s for s in found}
        for key, s in self.items.items():
            table.add_row(*row_cells(s), key=key)
        self.loaded = True
        self._title()
        self._show_detail()

    def _apply(self, s: Suggestion) -> None:
        self._writes += 1
        key = str(s.suggestion_id)
        table = self.query_one("#suggestions", DataTable)
        self.items[key] = s
        if key not in table.rows:
            table.add_row(*row_cells(s), key=key)
        else:
            for column, cell in zip(COLUMNS, row_cells(s), strict=True):
                table.update_cell(key, column, cell, update_width=True)
        self._title()
        if key == self.current_key:
            self._show_detail()

    def _title(self) -> None:
        counts = {d: sum(1 for s in self.items.values() if s.decision == d) for d in Decision}
        valid = sum(1 for s in self.items.values() if s.validation_status == ValidationStatus.VALID)
        self.query_one("#sugg-title", Static).update(Text(
            f"AI suggestions — {len(self.items)} in all, {valid} valid, {counts[Decision.ACCEPTED]} accepted, "
            f"{counts[Decision.REJECTED]} rejected, {counts[Decision.PENDING]} undecided"))

    def _message(self, text: str, style: str = "") -> None:
        self.query_one("#sugg-message", Static).update(Text(text, style=style))

    @property
    def current_key(self) -> str | None:
        table = self.query_one("#suggestions", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @property
    def current(self) -> Suggestion | None:
        key = self.current_key
        return self.items.get(key) if key else None

    def _show_detail(self) -> None:
        s = self.current
        if s is None:
            empty = "No suggestions for this migration yet: run `voyager-tui ai convert`." if self.loaded else ""
            self.query_one("#sugg-info", Static).update(Text(empty, style="dim"))
            return
        left, right = sql_diff(s.original_sql, s.suggested_sql)
        self.query_one("#sugg-original", Static).update(left)
        self.query_one("#sugg-suggested", Static).update(right)
        self.query_one("#sugg-info", Static).update(detail_text(s))

    @on(DataTable.RowHighlighted, "#suggestions")
    def _highlighted(self) -> None:
        self._message("")
        self._show_detail()

    # ---- actions -----------------------------------------------------------------------------

    def action_accept(self) -> None:
        s = self.current
        if s is not None:
            self._decide([s.suggestion_id], Decision.ACCEPTED)  # the store refuses one that is not VALID

    def action_reject(self) -> None:
        s = self.current
        if s is not None:
            self._decide([s.suggestion_id], Decision.REJECTED)

    def action_accept_all(self) -> None:
        ids = [s.suggestion_id for s in self.items.values()
               if s.validation_status == ValidationStatus.VALID and s.decision != Decision.ACCEPTED]
        if not ids:
            self._message("no validated suggestion is waiting for a decision", "yellow")
            return
        self._decide(ids, Decision.ACCEPTED)

    def action_validate(self) -> None:
        s = self.current
        if s is not None:
            self._message(f"validating {s.object_name} on the target …")
            self._revalidate(s.suggestion_id, None)

    def action_edit(self) -> None:
        s = self.current
        if s is None:
            return

        def saved(text: str | None) -> None:
            if text is not None and text != s.suggested_sql:
                self._message(f"saving and validating {s.object_name} on the target …")
                self._revalidate(s.suggestion_id, text)

        self.app.push_screen(EditSuggestionScreen(f"Edit the fix for {s.object_type} {s.object_name}",
                                                  s.suggested_sql), saved)

    def action_write_fixes(self) -> None:
        self._message("writing the accepted fixes into the export's schema files …")
        self._write_fixes(False)

    def action_back(self) -> None:
        if self._leaving:
            return
        if any(s.decision == Decision.ACCEPTED for s in self.items.values()):
            self._leaving = True
            self._message("writing the accepted fixes into the export's schema files …")
            self._write_fixes(True)
            return
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="suggestions-write", exit_on_error=False)
    def _write_fixes(self, then_leave: bool) -> None:
        """Accepted fixes for the failures of import schema's latest run go into objects.json, as `ai convert`
        writes them, so the next step becomes re-running import schema."""
        from ...engine.ai.convert import migration_failures, write_accepted
        from ...engine.phases import Phase
        from ...engine.state_store import StateStore

        text, style = "", "green"
        try:
            with self._conn() as conn:
                store = StateStore(conn)
                since = store.snapshot(self.migration_uuid, events=0).phase(Phase.IMPORT_SCHEMA).started_at
                migration = store.get_migration(uuid=self.migration_uuid)
                failures = migration_failures(migration)
                written, kept = write_accepted(conn, migration, failures, since)
            if written:
                text = f"wrote {written} accepted fix(es) into {failures.manifest_path} (original kept as {kept})"
            else:
                text = "no accepted fix for a failure of the latest import schema run: nothing to write"
        except (VoyagerError, psycopg.Error, OSError) as exc:  # OSError: a read-only or full export dir
            text, style = f"accepted fixes not written: {one_line(exc)}", "red"
        self.app.call_from_thread(self._written, text, style, then_leave)

    def _written(self, text: str, style: str, then_leave: bool) -> None:
        if not then_leave:
            self._message(text, style)
            return
        self.notify(text, title="AI suggestions", severity="error" if style == "red" else "information",
                    markup=False)
        self._leaving = False
        if self.app.screen is self:
            self.app.pop_screen()
        self.vapp.poll_all_now()
