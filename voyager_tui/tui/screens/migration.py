"""One migration: the phase timeline, per-phase status, current activity and the recommended next step."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from ...engine.connections import needs_password
from ...engine.errors import ConnectionFailed, VoyagerError, one_line
from ...engine.formatting import format_duration, format_percent, format_time
from ...engine.next_step import NextStep, next_step
from ...engine.phases import PHASE_ORDER, PHASE_SPECS, Phase, PhaseStatus
from ...engine.status_view import current_activity, phase_rows
from ...engine.steps import registered_step, run_step
from ..messages import StepProgress
from ..widgets.banner import TargetBanner
from ..widgets.keyed_table import Cell, sync_rows
from ..widgets.timeline import Timeline
from .base import MigrationLiveScreen

_STATUS_STYLE = {
    PhaseStatus.COMPLETED: "green", PhaseStatus.IN_PROGRESS: "yellow", PhaseStatus.FAILED: "red",
    PhaseStatus.SKIPPED: "dim", PhaseStatus.NOT_STARTED: "dim",
}


class UIReporter:
    """Lets a step running in a worker thread report progress to the screen."""

    def __init__(self, screen: MigrationScreen, phase: Phase) -> None:
        self.screen = screen
        self.phase = phase

    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None:
        pct = f" ({done / total:.0%})" if done is not None and total else ""
        self.screen.post_message(StepProgress(self.phase, message + pct))


class MigrationScreen(MigrationLiveScreen):
    BINDINGS = [
        Binding("enter", "run_next_step", "Run step", id="run_next_step"),
        Binding("o", "run_with_options", "Run with options", id="run_with_options"),
        Binding("R", "run_to_verify", "Run to verify", id="run_to_verify"),
        Binding("c", "copy_command", "Copy command", id="copy_command"),
        Binding("h", "show_history", "History", id="show_history"),
        Binding("t", "show_tables", "Tables", id="show_tables"),
        Binding("s", "review_suggestions", "AI suggestions", id="review_suggestions"),
        Binding("x", "cancel_step", "Cancel step", id="cancel_step"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, target_key: str, migration_uuid: UUID) -> None:
        super().__init__(target_key, migration_uuid)
        self.step: NextStep | None = None
        self._cancel: threading.Event | None = None
        self.has_suggestions = False
        """Whether ybvoyager.suggestions holds any for this migration: the `s` key is shown only then."""
        self._proposing = False
        self._ran_all = False
        """Whether the last run here was `R` (every step up to verify) rather than one step."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBanner()
        with VerticalScroll(id="body"):
            yield Static("Loading migration …", id="mig-header")
            yield Timeline(id="timeline")
            yield DataTable(id="phases", cursor_type="none", show_cursor=False)
            yield Static(id="activity")
            with Vertical(id="next-step"):
                yield Static(id="next-title")
                yield Static(id="next-why")
                yield Static(id="next-command")
                yield Static(id="next-note")
            yield Static(id="step-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#phases", DataTable)
        for col in ("Phase", "Status", "Progress", "Duration", "Started"):
            table.add_column(col, key=col)
        self._check_suggestions()

    def on_screen_resume(self) -> None:
        # Textual also runs LiveScreen.on_screen_resume (handlers run for each class in the MRO).
        self._check_suggestions()

    def _check_suggestions(self) -> None:
        self.run_worker(self._count_suggestions, thread=True, group="suggestions-check", exclusive=True,
                        exit_on_error=False, name="count suggestions")

    def _count_suggestions(self) -> None:
        from ...engine.ai.store import list_suggestions
        from ...engine.connections import connect_pg
        from ...engine.secrets import DbRole

        try:
            with connect_pg(self.vapp.targets[self.target_key], DbRole.TARGET,
                            password=self.vapp.password_for(self.target_key)) as conn:
                found = bool(list_suggestions(conn, self.migration_uuid))
        except Exception:  # an unreachable or older target simply has no suggestions to review here
            found = False
        self.app.call_from_thread(self._set_has_suggestions, found)

    def _set_has_suggestions(self, found: bool) -> None:
        self.has_suggestions = found
        self.refresh_bindings()

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def refresh_view(self) -> None:
        super().refresh_view()
        snap = self.latest_snapshot()
        if snap is None:
            return
        self.step = next_step(snap, self.vapp.targets[self.target_key])
        mig = snap.migration
        self.sub_title = mig.migration_name
        self.query_one("#mig-header", Static).update(Text.assemble(
            ("Migration ", "dim"), (mig.migration_name, "bold"), ("  ", ""), (str(mig.migration_uuid), "dim"),
            "\n", ("Source ", "dim"), f"{mig.source_label} ({mig.source_db_version})",
            "\n", ("Target ", "dim"), f"{self.target_key} ({mig.target_db_type})",
        ))
        rows = phase_rows(snap)
        self.query_one(Timeline).show(rows)
        cells: dict[str, list[Cell]] = {}
        for row in rows:
            style = "red" if row.interrupted else _STATUS_STYLE[row.status]
            dur = None if row.duration_seconds is None else timedelta(seconds=row.duration_seconds)
            cells[row.phase.value] = [
                Text.assemble((row.symbol, style), " ", row.title), Text(row.status_label, style=style),
                format_percent(row.progress), format_duration(dur),
                format_time(snap.phase(row.phase).started_at, short=True),
            ]
        sync_rows(self.query_one("#phases", DataTable), cells)
        self.query_one("#activity", Static).update(
            Text("Current activity: ", style="bold") + Text("\n".join(current_activity(snap))))
        self._show_step(self.step)
        self.refresh_bindings()

    def _show_step(self, step: NextStep) -> None:
        title = Text.assemble(("▶ Next step: ", "bold cyan"), (step.title, "bold"))
        self.query_one("#next-title", Static).update(title)
        self.query_one("#next-why", Static).update(Text(step.why))  # holds error text: never markup
        self.query_one("#next-command", Static).update(Text("\n".join(step.command_lines()), style="cyan"))
        if not step.argv:
            note = ""
        elif self.running:
            note = "A step is running here: x cancels it."
        elif step.kind == "review":
            note = "enter proposes fixes and opens the review · o re-runs Import Schema with options instead"
        elif step.can_run_here:
            note = "enter runs it here · c copies the command"
        else:
            note = f"Not runnable here: {step.not_here_reason}. c copies the command to run it elsewhere."
        self.query_one("#next-note", Static).update(Text(note, style="dim"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("run_next_step", "run_with_options"):
            return True if self.step and self.step.can_run_here and not self.running else None
        if action == "run_to_verify":
            return True if self._can_run_to_verify() else None
        if action == "copy_command":
            return True if self.step and self.step.argv else None
        if action == "cancel_step":
            return self.running
        if action == "review_suggestions":
            return self.has_suggestions
        return True

    def action_copy_command(self) -> None:
        if self.step and self.step.argv:
            self.app.copy_to_clipboard(self.step.command)
            self.notify(self.step.command, title="Command copied", markup=False)

    def action_run_with_options(self) -> None:
        step = self.step
        if step is None or step.phase is None or self.running or not step.can_run_here:
            return
        declared = registered_step(step.phase)
        if declared is None or not declared.options:
            self.notify(f"{PHASE_SPECS[step.phase].title} has no options", severity="information")
            return
        from .step_options import StepOptionsScreen

        def chosen(options: dict[str, Any] | None) -> None:
            if options is not None:
                self.action_run_next_step(options)

        self.app.push_screen(StepOptionsScreen(PHASE_SPECS[step.phase].title, declared.options), chosen)

    def action_run_next_step(self, options: dict[str, Any] | None = None) -> None:
        step = self.step
        if step is None or step.phase is None or self.running:
            return
        if not step.can_run_here:
            self.notify(step.not_here_reason or "this step cannot run here", title="Not runnable here",
                        severity="warning", markup=False)
            return
        if step.kind == "review" and options is None:
            self._start_review()
            return
        options = options if options is not None else dict(step.options) or None
        self._cancel = threading.Event()
        self._ran_all = False
        self.query_one("#step-status", Static).update(f"Running {PHASE_SPECS[step.phase].title} …")
        self.run_worker(partial(self._run, step.phase, self._cancel, step.command, options), thread=True, group="step",
                        exclusive=True, exit_on_error=False, name=f"step {step.phase.value}")
        self.refresh_bindings()
        self._show_step(step)

    def _can_run_to_verify(self) -> bool:
        step = self.step
        return (step is not None and step.kind in ("run", "resume", "retry") and step.can_run_here
                and not self.running
                and step.phase is not None and PHASE_ORDER.index(step.phase) <= PHASE_ORDER.index(Phase.VERIFY))

    def action_run_to_verify(self) -> None:
        """Every remaining step up to verify in one worker, as `migrate run` does; x cancels the running ones."""
        if not self._can_run_to_verify():
            return
        self._cancel = threading.Event()
        self._ran_all = True
        self.query_one("#step-status", Static).update("Running every step up to Verify Data …")
        self.run_worker(partial(self._run_all, self._cancel), thread=True, group="step", exclusive=True,
                        exit_on_error=False, name="steps up to verify")
        self.refresh_bindings()
        if self.step is not None:
            self._show_step(self.step)

    def _run_all(self, cancel: threading.Event) -> Any:
        from ...engine.run_remaining import run_remaining

        return run_remaining(self.vapp.targets[self.target_key], self.migration_uuid,
                             reporter_for=lambda phase: UIReporter(self, phase), cancel=cancel,
                             password=self.vapp.password_for(self.target_key),
                             source_password=self.vapp.source_password_for(self.target_key, self.migration_uuid),
                             command="voyager-tui (app): run all to verify")

    def _run(self, phase: Phase, cancel: threading.Event, command: str, options: dict[str, Any] | None) -> Any:
        return run_step(self.vapp.targets[self.target_key], self.migration_uuid, phase,
                        reporter=UIReporter(self, phase), cancel=cancel,
                        password=self.vapp.password_for(self.target_key),
                        source_password=self.vapp.source_password_for(self.target_key, self.migration_uuid),
                        command=command, options=options)

    def _start_review(self) -> None:
        """Propose fixes for import schema's failures (unless there are some since that run), then review them."""
        if self._proposing:
            return  # a second enter while the first proposal runs would store every fix twice
        self._proposing = True
        self.query_one("#step-status", Static).update("Proposing fixes and validating them on the target …")
        started = self.snapshot.phase(Phase.IMPORT_SCHEMA).started_at if self.snapshot else None
        self.run_worker(partial(self._propose, started), thread=True, group="review-prepare", exclusive=True,
                        exit_on_error=False, name="propose fixes")

    def _propose(self, since: datetime | None) -> None:
        from ...engine.ai.convert import migration_failures, propose_missing
        from ...engine.ai.rules import suggest as rule_suggest
        from ...engine.connections import connect_pg
        from ...engine.secrets import DbRole
        from ...engine.state_store import StateStore

        try:
            with connect_pg(self.vapp.targets[self.target_key], DbRole.TARGET,
                            password=self.vapp.password_for(self.target_key),
                            application_name="voyager-tui review") as conn:
                migration = StateStore(conn).get_migration(uuid=self.migration_uuid)
                made = propose_missing(conn, migration, migration_failures(migration), since, [rule_suggest])
        except (VoyagerError, psycopg.Error, OSError) as exc:  # OSError: failed.sql unreadable, say
            self.app.call_from_thread(self._review_failed, one_line(exc))
            return
        self.app.call_from_thread(self._open_review, made)

    def _review_failed(self, error: str) -> None:
        self._proposing = False
        self.query_one("#step-status", Static).update(Text(f"Cannot propose fixes: {error}", style="red"))
        self.notify(error, title="Cannot propose fixes", severity="error", markup=False)

    def _open_review(self, made: int) -> None:
        self._proposing = False
        self.query_one("#step-status", Static).update(
            f"{made} new suggestion(s) proposed and validated." if made else "")
        self.has_suggestions = True
        self.action_review_suggestions()

    def action_cancel_step(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.query_one("#step-status", Static).update("Cancelling …")

    @on(StepProgress)
    def _on_progress(self, message: StepProgress) -> None:
        self.query_one("#step-status", Static).update(Text(f"{PHASE_SPECS[message.phase].title}: {message.text}"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "step" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                                WorkerState.CANCELLED):
            return
        self._cancel = None
        status = self.query_one("#step-status", Static)
        error = event.worker.error if event.state == WorkerState.ERROR else None
        if isinstance(error, ConnectionFailed) and str(error).startswith("cannot connect to source") \
                and needs_password(str(error)):
            status.update("The source needs a password.")
            self._ask_source_password()
        elif error is not None:
            status.update(Text(f"Step failed: {one_line(error)}", style="red"))
            self.notify(one_line(error), title="Step failed", severity="error", markup=False)
        elif event.worker.name == "steps up to verify":
            ran = event.worker.result.ran if event.worker.result is not None else []
            done = ", ".join(PHASE_SPECS[p].title for p in ran) or "nothing"
            status.update(f"Ran {done}.")
        else:
            status.update("Step finished.")
        self.refresh_bindings()
        self.vapp.poll_now(self.target_key)

    def _ask_source_password(self) -> None:
        from .password import PasswordScreen

        def got(password: str | None) -> None:
            if password:
                self.vapp.set_source_password(self.target_key, self.migration_uuid, password)
                # The run failed on the connection: start it again, as it was started, now with the password.
                if self._ran_all:
                    self.action_run_to_verify()
                else:
                    self.action_run_next_step()

        label = self.snapshot.migration.source_label if self.snapshot else "the source"
        self.app.push_screen(PasswordScreen(f"source {label}"), got)

    def action_show_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.target_key, self.migration_uuid))

    def action_show_tables(self) -> None:
        from .tables import TableProgressScreen

        self.app.push_screen(TableProgressScreen(self.target_key, self.migration_uuid))

    def action_review_suggestions(self) -> None:
        from .suggestions import SuggestionReviewScreen

        self.app.push_screen(SuggestionReviewScreen(self.target_key, self.migration_uuid))

    def action_back(self) -> None:
        self.app.pop_screen()

