"""New assessment: source type → connection → schemas → options → run with live progress → the report.

Every database call runs in a thread worker; the screen only reads widgets and renders results. The password
stays in this screen's memory for the run, is never shown (masked input), logged or put in a worker description.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...engine.assessment.layout import AssessmentDir, SourceDbType
from ...engine.assessment.registry import default_assessment_dir, remember_assessment
from ...engine.assessment.report_model import AssessmentReport
from ...engine.assessment.source_probe import SourceProbe, probe_postgresql
from ...engine.connections import ConnectionParams, SslMode
from ...engine.errors import StepCancelled, VoyagerError, one_line
from ...engine.yb_versions import LATEST_STABLE, YBVersion

STEPS = ("source", "connection", "schemas", "options", "run")
STEP_TITLES = {"source": "Source", "connection": "Connection", "schemas": "Schemas", "options": "Options",
               "run": "Run"}
SSL_CHOICES: tuple[SslMode, ...] = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_NAME_OK = re.compile(r"[^A-Za-z0-9_.-]+")

SOURCE_HELP = {
    SourceDbType.POSTGRESQL: (
        "Connects to the database now (read-only: catalog queries, pg_dump --schema-only, two samples of the "
        "statistics counters) and writes the report under the assessment dir. No target is needed."),
}


def scripts_commands(db_type: SourceDbType) -> str:
    """The offline path for sources the wizard cannot reach itself: a DBA runs scripts, we ingest their output."""
    return "\n".join([
        f"voyager-tui assessment generate-scripts --source-db-type {db_type.value} --output-dir ./assessment-scripts",
        "# a DBA runs the scripts against the source (see the README in that dir) and sends back the output dir",
        "voyager-tui assessment ingest-metadata --assessment-dir ./assessment "
        "--metadata-dir ./collected-metadata",
        f"voyager-tui assessment generate-report --assessment-dir ./assessment --target-db-version {LATEST_STABLE}",
        "voyager-tui assessment view --assessment-dir ./assessment",
    ])


def source_help(db_type: SourceDbType) -> Text:
    if db_type in SOURCE_HELP:
        return Text(SOURCE_HELP[db_type])
    title = "MySQL / MariaDB" if db_type is SourceDbType.MYSQL else "Oracle"
    return Text.assemble(
        (f"{title} is assessed from scripts, not from here. ", "bold"),
        "Generate the collection scripts, have a DBA run them on the source, then ingest the files they "
        "produce and build the report:\n\n",
        (scripts_commands(db_type), "cyan"),
    )


def suggested_name(database: str) -> str:
    return _NAME_OK.sub("-", database).strip("-.") or "assessment"


@dataclass(frozen=True)
class RunRequest:
    params: ConnectionParams
    schemas: tuple[str, ...]
    assessment_dir: Path
    target_version: str
    iops_interval: float

    def __repr__(self) -> str:  # worker descriptions and logs: nothing secret is in here, keep it short anyway
        return f"RunRequest({self.params.label}, {list(self.schemas)}, {self.assessment_dir})"


class AssessmentProgress(Message):
    """The run's latest progress; only the newest matters. done/total None leaves the bar as it is."""

    bubble = False

    def __init__(self, text: str, done: int | None, total: int | None) -> None:
        super().__init__()
        self.text = text
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AssessmentProgress)


def run_assessment(request: RunRequest, password: str | None, cancel: threading.Event,
                   progress: Callable[[str, int | None, int | None], None]) -> AssessmentReport:
    """Collect, ingest and report; blocking, meant for a worker thread."""
    from ...engine.assessment.collect_pg import collect_into
    from ...engine.assessment.report import generate_report

    created = not request.assessment_dir.exists()
    adir = AssessmentDir(request.assessment_dir)
    try:
        collect_into(adir.root, request.params, password, list(request.schemas),
                     iops_interval=request.iops_interval, progress=progress, cancel=cancel)
        if cancel.is_set():
            raise StepCancelled("the assessment was cancelled")
        progress("Building the report", None, None)
        report = generate_report(adir.root, request.target_version)
    except BaseException:
        if created:  # a dir this run made holds nothing worth keeping; one that existed is left as it was
            shutil.rmtree(adir.root, ignore_errors=True)
        raise
    remember_assessment(adir.root)
    return report


class AssessmentWizardScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="wizard_back"),
        Binding("ctrl+n", "next", "Next", id="wizard_next"),
        Binding("ctrl+t", "test_connection", "Test connection", id="wizard_test_connection"),
        Binding("x", "cancel_run", "Cancel run", id="wizard_cancel_run"),
        Binding("r", "retry_run", "Retry", id="wizard_retry_run"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step = "source"
        self.source_type = SourceDbType.POSTGRESQL
        self.params: ConnectionParams | None = None
        self._password: str | None = None
        self.probe: SourceProbe | None = None
        self.request: RunRequest | None = None
        self._cancel: threading.Event | None = None
        self.run_failed = False
        self._default_dir = ""

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="wizard-steps")
        with ContentSwitcher(initial="step-source", id="wizard-body"):
            with Vertical(id="step-source", classes="wizard-step"):
                yield Label("What kind of database do you want to assess?", classes="section-title")
                yield OptionList(
                    Option("PostgreSQL — connect and collect now", id=SourceDbType.POSTGRESQL.value),
                    Option("MySQL / MariaDB — collect with scripts", id=SourceDbType.MYSQL.value),
                    Option("Oracle — collect with scripts", id=SourceDbType.ORACLE.value),
                    id="source-type",
                )
                yield Static(id="source-help")
            with VerticalScroll(id="step-connection", classes="wizard-step"):
                yield Label("Connect to the PostgreSQL source", classes="section-title")
                with Grid(id="conn-form"):
                    yield Label("Host")
                    yield Input("127.0.0.1", id="conn-host")
                    yield Label("Port")
                    yield Input("5432", id="conn-port")
                    yield Label("User")
                    yield Input("postgres", id="conn-user")
                    yield Label("Database")
                    yield Input("postgres", id="conn-database")
                    yield Label("SSL mode")
                    yield Select([(m, m) for m in SSL_CHOICES], value="prefer", allow_blank=False, id="conn-sslmode")
                    yield Label("Password")
                    yield Input(password=True, placeholder="empty: SOURCE_DB_PASSWORD, ~/.pgpass or keyring",
                                id="conn-password")
                with Horizontal(classes="wizard-buttons"):
                    yield Button("Test connection", id="test-connection")
                    yield Button("Next", variant="primary", id="conn-next")
                yield Static(id="conn-status")
            with Vertical(id="step-schemas", classes="wizard-step"):
                yield Label("Schemas to assess", classes="section-title")
                yield Static(id="schemas-source", classes="dim")
                yield SelectionList[str](id="schemas")
                yield Static(id="schemas-error", classes="error")
                with Horizontal(classes="wizard-buttons"):
                    yield Button("Next", variant="primary", id="schemas-next")
            with VerticalScroll(id="step-options", classes="wizard-step"):
                yield Label("Options", classes="section-title")
                with Grid(id="options-form"):
                    yield Label("Name")
                    yield Input(id="opt-name")
                    yield Label("Assessment dir")
                    yield Input(id="opt-dir")
                    yield Label("Target YugabyteDB")
                    yield Input(LATEST_STABLE, id="opt-target")
                    yield Label("IOPS window (s)")
                    yield Input("60", id="opt-iops", type="integer")
                yield Static(Text("The IOPS window is how long the run waits between two samples of the "
                                  "statistics counters to measure reads/s and writes/s per table.", style="dim"),
                             id="options-help")
                yield Static(id="options-error", classes="error")
                with Horizontal(classes="wizard-buttons"):
                    yield Button("Run assessment", variant="primary", id="options-run")
            with Vertical(id="step-run", classes="wizard-step"):
                yield Label("Running the assessment", classes="section-title")
                yield Static(id="run-what")
                yield ProgressBar(total=None, show_eta=False, id="run-progress")
                yield Static(id="run-step")
                yield Static(id="run-error", classes="error")
                yield Static(id="run-hint", classes="dim")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "new assessment"
        self.query_one("#source-type", OptionList).highlighted = 0
        self._show_step("source")

    def _show_step(self, step: str) -> None:
        self.step = step
        self.query_one("#wizard-body", ContentSwitcher).current = f"step-{step}"
        parts: list[tuple[str, str] | str] = []
        for n, name in enumerate(STEPS, start=1):
            if n > 1:
                parts.append((" > ", "dim"))
            parts.append((f" {n} {STEP_TITLES[name]} ", "bold reverse" if name == step else "dim"))
        self.query_one("#wizard-steps", Static).update(Text.assemble(*parts))
        focus = {"source": "#source-type", "connection": "#conn-host", "schemas": "#schemas", "options": "#opt-name"}
        if step in focus:
            self.query_one(focus[step]).focus()
        self.refresh_bindings()

    # ---- step 1: source type -----------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#source-type")
    def _source_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.source_type = SourceDbType(event.option.id or SourceDbType.POSTGRESQL.value)
        self.query_one("#source-help", Static).update(source_help(self.source_type))

    @on(OptionList.OptionSelected, "#source-type")
    def _source_selected(self, event: OptionList.OptionSelected) -> None:
        self.source_type = SourceDbType(event.option.id or SourceDbType.POSTGRESQL.value)
        self.action_next()

    # ---- step 2: connection ------------------------------------------------------------------

    def _read_connection(self) -> ConnectionParams | None:
        """The form as ConnectionParams, or None after showing what is wrong in place."""
        values = {k: self.query_one(f"#conn-{k}", Input).value.strip() for k in ("host", "port", "user", "database")}
        for key in ("host", "user", "database"):
            if not values[key]:
                self._conn_problem(f"{key.capitalize()} is required.", f"#conn-{key}")
                return None
        port = values["port"]
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            self._conn_problem("Port must be a whole number from 1 to 65535.", "#conn-port")
            return None
        sslmode = self.query_one("#conn-sslmode", Select).value
        return ConnectionParams(host=values["host"], port=int(port), user=values["user"],
                                dbname=values["database"], sslmode=sslmode if sslmode in SSL_CHOICES else "prefer")

    def _conn_problem(self, text: str, focus: str) -> None:
        self.query_one("#conn-status", Static).update(Text(text, style="red"))
        self.query_one(focus).focus()

    def _start_probe(self, advance: bool) -> None:
        params = self._read_connection()
        if params is None:
            return
        password = self.query_one("#conn-password", Input).value or None
        self.query_one("#conn-status", Static).update(Text(f"Connecting to {params.label} …", style="dim"))
        self._probe(params, password, advance)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False, description="probe the source")
    def _probe(self, params: ConnectionParams, password: str | None, advance: bool) -> tuple[
            ConnectionParams, str | None, SourceProbe, bool]:
        return params, password, probe_postgresql(params, password), advance

    def _probe_done(self, event: Worker.StateChanged) -> None:
        status = self.query_one("#conn-status", Static)
        if event.state == WorkerState.ERROR:
            status.update(Text(f"✗ {one_line(event.worker.error or Exception('failed'))}", style="red"))
            return
        result = event.worker.result
        if result is None:  # cancelled by a newer probe (exclusive group)
            return
        params, password, probe, advance = result
        self.params, self._password, self.probe = params, password, probe
        status.update(Text.assemble(("✓ ", "green"), f"Connected to {params.label}: {probe.summary}"))
        if advance:
            self._fill_schemas(probe, params)
            self._show_step("schemas")

    @on(Button.Pressed, "#test-connection")
    def _test_pressed(self) -> None:
        self.action_test_connection()

    @on(Button.Pressed, "#conn-next")
    def _conn_next_pressed(self) -> None:
        self.action_next()

    @on(Input.Submitted, "#step-connection Input")
    def _conn_submitted(self) -> None:
        self.action_next()

    # ---- step 3: schemas ---------------------------------------------------------------------

    def _fill_schemas(self, probe: SourceProbe, params: ConnectionParams) -> None:
        chosen = set(self.selected_schemas) or ({"public"} & {s.name for s in probe.schemas})
        sel: SelectionList[str] = self.query_one("#schemas", SelectionList)
        sel.clear_options()
        # Text, not str: a plain string prompt is markup, and a schema named "x[/]" would crash the screen.
        sel.add_options([(Text(f"{s.name}  ({s.tables} table{'' if s.tables == 1 else 's'})"), s.name,
                          s.name in chosen) for s in probe.schemas])
        if probe.schemas:
            sel.highlighted = 0  # so space toggles right away
        self.query_one("#schemas-source", Static).update(
            Text(f"Schemas of {params.label}. Space toggles one; ctrl+n goes on."))
        self.query_one("#schemas-error", Static).update(
            "" if probe.schemas else "This database has no user schemas to assess.")

    @property
    def selected_schemas(self) -> list[str]:
        return list(self.query_one("#schemas", SelectionList).selected)

    @on(Button.Pressed, "#schemas-next")
    def _schemas_next_pressed(self) -> None:
        self.action_next()

    def _schemas_done(self) -> bool:
        if not self.selected_schemas:
            self.query_one("#schemas-error", Static).update("Select at least one schema (space toggles).")
            self.query_one("#schemas").focus()
            return False
        self.query_one("#schemas-error", Static).update("")
        return True

    # ---- step 4: options ---------------------------------------------------------------------

    def _enter_options(self) -> None:
        name_box = self.query_one("#opt-name", Input)
        if not name_box.value and self.params is not None:
            name_box.value = suggested_name(self.params.dbname)
            self._sync_dir(name_box.value)
        self._show_step("options")

    @on(Input.Changed, "#opt-name")
    def _name_changed(self, event: Input.Changed) -> None:
        self._sync_dir(event.value)

    def _sync_dir(self, name: str) -> None:
        """The dir follows the name until the user edits the dir."""
        dir_box = self.query_one("#opt-dir", Input)
        if dir_box.value and dir_box.value != self._default_dir:
            return
        try:
            self._default_dir = str(default_assessment_dir(name))
        except VoyagerError:
            self._default_dir = ""
        dir_box.value = self._default_dir

    def _read_options(self) -> RunRequest | None:
        error = self.query_one("#options-error", Static)

        def problem(text: str, focus: str) -> None:
            error.update(text)
            self.query_one(focus).focus()

        name = self.query_one("#opt-name", Input).value.strip()
        try:
            default_assessment_dir(name)
        except VoyagerError as exc:
            problem(f"Name: {exc}.", "#opt-name")
            return None
        dir_text = self.query_one("#opt-dir", Input).value.strip()
        if not dir_text:
            problem("Assessment dir is required.", "#opt-dir")
            return None
        adir = AssessmentDir(Path(dir_text).expanduser().resolve())
        if adir.root.exists() and not adir.root.is_dir():
            problem(f"{adir.root} exists and is not a directory.", "#opt-dir")
            return None
        if adir.report_json.exists():
            problem(f"{adir.root} already holds an assessment report; choose another name or dir.",
                    "#opt-dir")
            return None
        target = self.query_one("#opt-target", Input).value.strip()
        try:
            YBVersion.parse(target)
        except VoyagerError as exc:
            problem(f"Target version: {exc}.", "#opt-target")
            return None
        iops = self.query_one("#opt-iops", Input).value.strip()
        if not iops.isdigit() or not 1 <= int(iops) <= 3600:
            problem("IOPS window must be a whole number of seconds from 1 to 3600.", "#opt-iops")
            return None
        if self.params is None or not self.selected_schemas:
            problem("Go back and choose a connection and schemas first.", "#opt-name")
            return None
        error.update("")
        return RunRequest(params=self.params, schemas=tuple(self.selected_schemas), assessment_dir=adir.root,
                          target_version=target, iops_interval=float(iops))

    @on(Button.Pressed, "#options-run")
    def _options_run_pressed(self) -> None:
        self.action_next()

    @on(Input.Submitted, "#step-options Input")
    def _options_submitted(self) -> None:
        self.action_next()

    # ---- step 5: run -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def on_unmount(self) -> None:
        # Quitting mid-run must not leave the collector running (the process would wait for its thread).
        if self._cancel is not None:
            self._cancel.set()

    def _start_run(self, request: RunRequest) -> None:
        self.request = request
        self.run_failed = False
        self._cancel = threading.Event()
        self.query_one("#run-what", Static).update(Text.assemble(
            ("Source ", "dim"), f"{request.params.label} [{', '.join(request.schemas)}]\n",
            ("Writing ", "dim"), str(request.assessment_dir), "\n",
            ("Target ", "dim"), f"YugabyteDB {request.target_version}",
            ("  IOPS window ", "dim"), f"{request.iops_interval:g}s"))
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#run-step", Static).update("Starting …")
        self.query_one("#run-error", Static).update("")
        self.query_one("#run-hint", Static).update("x cancels the run.")
        self._show_step("run")
        self._run(request, self._password, self._cancel)

    @work(thread=True, exclusive=True, group="assessment-run", exit_on_error=False, description="run assessment")
    def _run(self, request: RunRequest, password: str | None, cancel: threading.Event) -> AssessmentReport:
        def progress(text: str, index: int | None, total: int | None) -> None:
            # The collector reports step `index` of `total` as it starts, so index - 1 steps are done.
            if index is not None and total:
                self.post_message(AssessmentProgress(f"Step {index} of {total}: {text}", index - 1, total))
            else:
                self.post_message(AssessmentProgress(text, None, None))

        return run_assessment(request, password, cancel, progress)

    @on(AssessmentProgress)
    def _on_progress(self, message: AssessmentProgress) -> None:
        if not self.running:
            return
        bar = self.query_one("#run-progress", ProgressBar)
        if message.total:
            bar.update(total=message.total, progress=message.done or 0)
        elif bar.total is not None:  # the wizard's own stages come after the collector's last step
            bar.update(progress=bar.total)
        self.query_one("#run-step", Static).update(Text(message.text))

    def _run_done(self, event: Worker.StateChanged) -> None:
        cancelled = self._cancel is not None and self._cancel.is_set()
        self._cancel = None
        if event.state == WorkerState.SUCCESS and self.request is not None:
            report = event.worker.result
            assert isinstance(report, AssessmentReport)
            from .report_viewer import ReportViewerScreen

            self.app.switch_screen(ReportViewerScreen(self.request.assessment_dir, report, source=self.request.params))
            return
        self.run_failed = True
        error = event.worker.error
        text = "the assessment was cancelled" if cancelled else (one_line(error) if error else "stopped")
        self.query_one("#run-step", Static).update(Text("Cancelled." if cancelled else "Failed.", style="bold"))
        self.query_one("#run-error", Static).update(Text(f"✗ {text}"))
        self.query_one("#run-hint", Static).update("r runs it again · escape goes back to the options.")
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.worker.group == "probe":
            self._probe_done(event)
        elif event.worker.group == "assessment-run":
            self._run_done(event)

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[Any, ...]) -> bool | None:
        if action == "test_connection":
            return self.step == "connection"
        if action == "next":
            return self.step in ("source", "connection", "schemas", "options")
        if action == "cancel_run":
            return self.step == "run" and self.running
        if action == "retry_run":
            return self.step == "run" and self.run_failed and not self.running
        if action == "back":
            return not self.running
        return True

    def action_next(self) -> None:
        if self.step == "source":
            if self.source_type is SourceDbType.POSTGRESQL:
                self._show_step("connection")
            else:
                self.query_one("#source-help", Static).update(source_help(self.source_type))
        elif self.step == "connection":
            self._start_probe(advance=True)
        elif self.step == "schemas":
            if self._schemas_done():
                self._enter_options()
        elif self.step == "options":
            request = self._read_options()
            if request is not None:
                self._start_run(request)

    def action_test_connection(self) -> None:
        if self.step == "connection":
            self._start_probe(advance=False)

    def action_cancel_run(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.query_one("#run-step", Static).update("Cancelling …")

    def action_retry_run(self) -> None:
        if self.request is not None and not self.running:
            self._start_run(self.request)

    def action_back(self) -> None:
        if self.running:
            return
        index = STEPS.index(self.step)
        if index == 0:
            self.app.pop_screen()
        elif self.step == "run":
            self._show_step("options")
        else:
            self._show_step(STEPS[index - 1])
