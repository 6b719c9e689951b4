"""Names and messages from databases reach the terminal as text: no markup, no escape sequences."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

from rich.console import Console

from voyager_tui.cli.render import history_table
from voyager_tui.cli.steps import RichReporter
from voyager_tui.engine.formatting import printable
from voyager_tui.engine.models import Event


def test_printable_shows_control_characters_and_keeps_lines() -> None:
    assert printable("a\x1b[2Jb\x07c\x9bd") == "a\\x1b[2Jb\\x07c\\x9bd"
    assert printable("line one\n\tline two é") == "line one\n\tline two é"


def test_the_progress_bar_takes_a_table_named_like_markup() -> None:
    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=True, width=100, markup=False))
    reporter.progress('creating table public."x[/]"', 1, 4)  # raised MarkupError and failed the step
    reporter.keyed("import_data").progress("importing [bold]x[/bold]\x1b[2J", 2, 4)
    reporter.stop()
    assert "x[/]" in out.getvalue() and "\x1b[2J" not in out.getvalue()


def test_history_shows_escape_sequences_in_messages_as_text() -> None:
    event = Event(event_id=1, migration_uuid=uuid.uuid4(), event_type="step_failed", phase=None,
                  message="import failed: relation \"t\x1b[2J\" does not exist", event_data={}, actor="me",
                  created_at=datetime(2026, 11, 24, tzinfo=UTC))
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=160, markup=False).print(history_table([event]))
    assert "\x1b[2J" not in out.getvalue() and "\\x1b[2J" in out.getvalue()
