"""Asks for a target's password. It stays in memory for this session only."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class PasswordScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_password")]

    def __init__(self, what: str) -> None:
        """`what` names the database, e.g. "target app@db:5433/shop"."""
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="password-box"):
            yield Label(f"Password for {self.what}")
            yield Label("Kept in memory for this session only; never written anywhere.", classes="dim")
            yield Input(password=True, id="password")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
