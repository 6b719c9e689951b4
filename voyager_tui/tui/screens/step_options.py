"""A form for a step's options, built from what the step declares (engine/steps.py StepOption)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Switch

from ...engine.steps import StepOption


class StepOptionsScreen(ModalScreen[dict[str, Any] | None]):
    """Returns the chosen options (by option key), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_options")]

    def __init__(self, title: str, options: tuple[StepOption, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="options-box"):
            yield Label(f"Run {self.title_text} with these options", classes="section-title")
            for opt in self.options:
                yield Label(f"--{opt.name}: {opt.help}", classes="dim")
                if opt.type is bool:
                    yield Switch(value=bool(opt.default), id=f"opt-{opt.key}")
                elif opt.choices:
                    yield Select([(c, c) for c in opt.choices], value=opt.default, allow_blank=False,
                                 id=f"opt-{opt.key}")
                else:
                    yield Input(str(opt.default), id=f"opt-{opt.key}",
                                type="integer" if opt.type is int else "text")
            yield Label("", id="options-error", classes="error")
            with Horizontal(id="options-buttons"):
                yield Button("Run", variant="primary", id="run")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self) -> None:
        self._submit()

    def _submit(self) -> None:
        chosen: dict[str, Any] = {}
        for opt in self.options:
            widget = self.query_one(f"#opt-{opt.key}")
            if isinstance(widget, (Switch, Select)):
                chosen[opt.key] = widget.value
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if opt.type is int:
                    if not text.isdigit() or int(text) < 1:
                        self.query_one("#options-error", Label).update(f"--{opt.name} must be a whole number ≥ 1")
                        widget.focus()
                        return
                    chosen[opt.key] = int(text)
                else:
                    chosen[opt.key] = text
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
