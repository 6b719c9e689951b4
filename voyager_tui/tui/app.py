"""The Textual application: known targets, their pollers, and the screens that render the polls."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from uuid import UUID

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from ..engine.assessment.report_model import AssessmentReport
from ..engine.config import AppConfig, load_config
from ..engine.connections import ConnectionParams
from ..engine.errors import VoyagerError
from ..engine.models import Event
from ..engine.paths import app_paths
from ..engine.watch import TargetPoll, WatchRequest
from .messages import TargetLost, TargetPolled
from .polling import TargetPoller
from .screens.base import LiveScreen
from .screens.home import HomeScreen


def styles_path() -> Path:
    """app.tcss ships inside the wheel as voyager_tui/styles; in a source checkout it is the top-level styles/."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "styles" / "app.tcss"
    return packaged if packaged.exists() else here.parent / "styles" / "app.tcss"


class VoyagerApp(App[None]):
    TITLE = "voyager-tui"
    CSS_PATH = styles_path()
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+q", "quit", "Quit", id="quit_app", show=False, priority=True),
    ]

    def __init__(self, targets: list[ConnectionParams] | None = None, *, config: AppConfig | None = None,
                 open_migration: str | None = None, as_of: datetime | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else load_config(app_paths())
        wanted = targets if targets is not None else [t.params for t in self.config.targets]
        self.targets: dict[str, ConnectionParams] = {p.label: p for p in wanted}
        self.polls: dict[str, TargetPoll] = {}
        self.lost: dict[str, tuple[str, bool]] = {}
        self.events: dict[tuple[str, UUID], list[Event]] = {}
        self._snapshot_watch: Counter[tuple[str, UUID]] = Counter()
        self._event_watch: Counter[tuple[str, UUID]] = Counter()
        self._passwords: dict[str, str] = {}
        self._source_passwords: dict[tuple[str, UUID], str] = {}
        self._pending_open = open_migration
        self._as_of = as_of
        self.pollers: dict[str, TargetPoller] = {}

    # ---- lifecycle ---------------------------------------------------------------------------

    def get_default_screen(self) -> HomeScreen:
        return HomeScreen()

    def on_mount(self) -> None:
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        for key, params in self.targets.items():
            self.pollers[key] = TargetPoller(self, key, params, self.config.poll_interval, as_of=self._as_of)
            self.pollers[key].poll_now()

    def on_unmount(self) -> None:
        for poller in self.pollers.values():
            poller.stop()

    # ---- what the screens want polled --------------------------------------------------------

    def watch_request(self, key: str) -> WatchRequest:
        snaps = frozenset(u for (k, u), n in self._snapshot_watch.items() if k == key and n > 0)
        after = {}
        for (k, u), n in self._event_watch.items():
            if k == key and n > 0:
                known = self.events.get((k, u), [])
                after[u] = known[-1].event_id if known else 0
        return WatchRequest(snapshots=snaps, events_after=after)

    def watch_migration(self, key: str, uid: UUID) -> None:
        self._snapshot_watch[(key, uid)] += 1
        self.poll_now(key)

    def unwatch_migration(self, key: str, uid: UUID) -> None:
        self._snapshot_watch[(key, uid)] -= 1

    def watch_events(self, key: str, uid: UUID) -> None:
        self._event_watch[(key, uid)] += 1
        self.poll_now(key)

    def unwatch_events(self, key: str, uid: UUID) -> None:
        self._event_watch[(key, uid)] -= 1

    def poll_now(self, key: str) -> None:
        if key in self.pollers:
            self.pollers[key].poll_now()

    def poll_all_now(self) -> None:
        for poller in self.pollers.values():
            poller.poll_now()

    # ---- poll results ------------------------------------------------------------------------

    def on_target_polled(self, message: TargetPolled) -> None:
        self.polls[message.key] = message.poll
        self.lost.pop(message.key, None)
        for uid, new in message.poll.new_events.items():
            known = self.events.setdefault((message.key, uid), [])
            last = known[-1].event_id if known else 0
            known.extend(e for e in new if e.event_id > last)
        self.pollers[message.key].handled(ok=True)
        self._refresh_screens()
        self._open_pending(message.key)

    def on_target_lost(self, message: TargetLost) -> None:
        self.lost[message.key] = (message.error, message.needs_password)
        self.pollers[message.key].handled(ok=False)  # first, so the banner shows the real wait
        self._refresh_screens()

    def _refresh_screens(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen) and screen.ready:
                screen.refresh_view()

    def problem_lines(self) -> list[str]:
        lines = []
        for key, (error, needs_password) in self.lost.items():
            poller = self.pollers.get(key)
            retry = f"retrying in {poller.retry_in:.0f}s" if poller else "retrying"
            hint = "press p to enter its password" if needs_password else "press r to retry now"
            lines.append(f"⚠ {error} — {retry} ({hint})")
        return lines

    def _open_pending(self, key: str) -> None:
        name = self._pending_open
        poll = self.polls.get(key)
        if name is None or poll is None:
            return
        for s in poll.summaries:
            if s.migration.migration_name == name:
                self._pending_open = None
                self.open_migration(key, s.migration.migration_uuid)
                return

    # ---- navigation and passwords -----------------------------------------------------------

    def open_migration(self, key: str, uid: UUID) -> None:
        from .screens.migration import MigrationScreen

        self.push_screen(MigrationScreen(key, uid))

    def open_assessment(self, assessment_dir: Path) -> None:
        from .screens.report_viewer import ReportViewerScreen

        self.push_screen(ReportViewerScreen(assessment_dir))

    def password_for(self, key: str) -> str | None:
        return self._passwords.get(key)

    def source_password_for(self, key: str, uid: UUID) -> str | None:
        return self._source_passwords.get((key, uid))

    def set_source_password(self, key: str, uid: UUID, password: str) -> None:
        """Kept in memory for this session only, like target passwords."""
        self._source_passwords[(key, uid)] = password

    def ask_password(self) -> None:
        key = next((k for k, (_, needs) in self.lost.items() if needs), None)
        if key is None:
            self.notify("No target is waiting for a password.", severity="information")
            return
        from .screens.password import PasswordScreen

        def got(password: str | None) -> None:
            if password:
                self._passwords[key] = password
                self.pollers[key].set_password(password)
                self.poll_now(key)

        self.push_screen(PasswordScreen(f"target {key}"), got)


class ReportViewerApp(App[None]):
    """Only the report viewer of one assessment dir: what `voyager-tui assessment view` serves to a browser."""

    TITLE = "voyager-tui assessment"
    CSS_PATH = styles_path()
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+q", "quit", "Quit", id="quit_app", show=False, priority=True),
    ]

    def __init__(self, assessment_dir: Path, report: AssessmentReport | None = None) -> None:
        super().__init__()
        self.assessment_dir = assessment_dir
        self.report = report

    def get_default_screen(self) -> Screen[None]:
        from .screens.report_viewer import ReportViewerScreen

        return ReportViewerScreen(self.assessment_dir, self.report)


def run_app(targets: list[ConnectionParams] | None = None, open_migration: str | None = None) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise VoyagerError("the full-screen app needs a terminal; for scripts use `voyager-tui migrate status`")
    VoyagerApp(targets, open_migration=open_migration).run()
