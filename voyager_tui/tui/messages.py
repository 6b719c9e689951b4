"""Messages from worker threads to the UI thread. Widgets are only touched by their handlers."""

from __future__ import annotations

from textual.message import Message

from ..engine.phases import Phase
from ..engine.watch import TargetPoll


class TargetPolled(Message):
    def __init__(self, key: str, poll: TargetPoll) -> None:
        super().__init__()
        self.key = key
        self.poll = poll


class TargetLost(Message):
    def __init__(self, key: str, error: str, needs_password: bool) -> None:
        super().__init__()
        self.key = key
        self.error = error
        self.needs_password = needs_password


class StepProgress(Message):
    """A running step's latest progress line; only the newest matters."""

    def __init__(self, phase: Phase, text: str) -> None:
        super().__init__()
        self.phase = phase
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepProgress)
