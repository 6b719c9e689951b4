"""Human-readable numbers and durations shared by the CLI and the TUI."""

from __future__ import annotations

import re
from datetime import datetime, timedelta


def format_duration(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    hours, rest = divmod(seconds, 3600)
    if hours < 48:
        return f"{hours}h {rest // 60:02d}m"
    return f"{hours // 24}d {hours % 24}h"


def format_count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def format_percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.0f}%"


def format_time(ts: datetime | None, *, short: bool = False) -> str:
    """Local time; `short` drops the year for narrow tables."""
    if ts is None:
        return "-"
    return ts.astimezone().strftime("%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text from a database, safe on a terminal: control characters (ESC starts escape sequences that can move the
    cursor or clear the screen) are shown as \\xNN; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
