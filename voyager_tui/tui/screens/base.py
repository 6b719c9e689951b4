"""What every live screen shares: the lost-target banner and a hook the app calls after each poll."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

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
        self.ready = True
        self.refresh_view()

    def on_screen_resume(self) -> None:
        if self.ready:
            self.refresh_view()
