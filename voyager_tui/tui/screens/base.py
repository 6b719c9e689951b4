"""What every live screen shares: the lost-target banner and a hook the app calls after each poll."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from uuid import UUID

from textual.screen import Screen

from ...engine.models import MigrationSnapshot
from ..widgets.banner import TargetBanner

if TYPE_CHECKING:
    from ..app import VoyagerApp


class LiveScreen(Screen[None]):
    ready = False
    """Set once the screen's widgets exist; polls that arrive earlier are rendered on mount."""
    @property
    def vapp(self) -> VoyagerApp:
        return cast("VoyagerApp", self.app)

    def refresh_view(self) -> None:
        """Re-render from the app's latest polls. Called after every poll and when the screen resumes."""
        self.query_one(TargetBanner).show_problems(self.vapp.problem_lines())

    def on_mount(self) -> None:
        # Textual runs the subclass's on_mount (which builds tables) before this one.
        if not self.query(TargetBanner):
            return  # already torn down (the app closed right after pushing it): nothing to render into
        self.ready = True
        self.refresh_view()

    def on_screen_resume(self) -> None:
        if self.ready:
            self.refresh_view()


class MigrationLiveScreen(LiveScreen):
    """A screen about one migration: its snapshot is polled while the screen exists."""

    def __init__(self, target_key: str, migration_uuid: UUID) -> None:
        super().__init__()
        self.target_key = target_key
        self.migration_uuid = migration_uuid
        self.snapshot: MigrationSnapshot | None = None

    def on_mount(self) -> None:
        self.vapp.watch_migration(self.target_key, self.migration_uuid)

    def on_unmount(self) -> None:
        self.vapp.unwatch_migration(self.target_key, self.migration_uuid)

    def latest_snapshot(self) -> MigrationSnapshot | None:
        """The newest polled snapshot of this migration (also kept in self.snapshot), or None before the first."""
        poll = self.vapp.polls.get(self.target_key)
        snap = poll.snapshots.get(self.migration_uuid) if poll else None
        if snap is not None:
            self.snapshot = snap
        return snap
