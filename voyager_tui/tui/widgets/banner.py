"""The banner that says a target is unreachable, and goes away by itself when it answers again."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TargetBanner(Static):
    DEFAULT_CSS = """
    TargetBanner { display: none; background: $error; color: $text; padding: 0 1; width: 100%; }
    TargetBanner.-visible { display: block; }
    """

    def show_problems(self, lines: list[str]) -> None:
        if lines:
            self.update(Text("\n".join(lines)))  # error texts may contain [brackets]: never markup
            self.add_class("-visible")
        else:
            self.remove_class("-visible")
            self.update("")
