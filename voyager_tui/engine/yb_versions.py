"""YugabyteDB release series and versions, and the rule that decides whether a fix reaches a version.

YugabyteDB has two numbering lines. The old line is 2.x: stable series 2.14, 2.18, 2.20 and the preview
series 2.21, 2.23, 2.25, ... (odd minors). Since 2024 the stable series are YYYY.N (2024.1, 2024.2, 2025.1, ...).
Each preview series 2.(21+2k) is the development line that becomes the k-th year series: 2.21 -> 2024.1,
2.23 -> 2024.2, 2.25 -> 2025.1, 2.27 -> 2025.2, 2.29 -> 2026.1. Versions order by that timeline, so a preview
sorts just before the stable series it turns into.

The YSQL layer is PostgreSQL 11.2 up to 2.24 and 2024.x, and PostgreSQL 15 from 2.25 and 2025.1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import total_ordering

from .errors import VoyagerError

LATEST_STABLE = "2025.2.3.0"
"""What `--target-db-version` defaults to when the target is not YugabyteDB (yb-voyager's default too)."""

_VERSION_RE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-b\d+)?\s*$")
_SERVER_RE = re.compile(r"-YB-(\d+\.\d+(?:\.\d+){0,2})")
_FIRST_YEAR_SERIES = 2024


def _year_series_index(year: int, minor: int) -> int:
    """0 for 2024.1, 1 for 2024.2, 2 for 2025.1, ... (two stable series a year)."""
    return (year - _FIRST_YEAR_SERIES) * 2 + (minor - 1)


@total_ordering
@dataclass(frozen=True)
class YBVersion:
    major: int
    minor: int
    patch: int = 0
    build: int = 0

    @classmethod
    def parse(cls, text: str) -> YBVersion:
        """Accepts "2024.2.3.0", "2.25.1.0", "2025.1" (missing parts are 0) and a "-b123" build suffix."""
        m = _VERSION_RE.match(text)
        if not m:
            raise VoyagerError(f"not a YugabyteDB version: {text!r} (expected e.g. 2025.1 or 2024.2.3.0)")
        parts = [int(p) if p is not None else 0 for p in m.groups()]
        major, minor = parts[0], parts[1]
        if major >= 2000 and not 1 <= minor <= 2:
            raise VoyagerError(f"not a YugabyteDB version: {text!r} (year series are YYYY.1 or YYYY.2)")
        if 2 < major < 2000 or major < 2:
            raise VoyagerError(f"not a YugabyteDB version: {text!r} (series are 2.x or YYYY.N)")
        return cls(major, minor, parts[2], parts[3])

    @classmethod
    def from_server_version(cls, version_text: str | None) -> YBVersion | None:
        """The YugabyteDB release in a `version()` string such as "PostgreSQL 15.12-YB-2025.1.2.0-b0"; None
        for vanilla PostgreSQL."""
        if not version_text:
            return None
        m = _SERVER_RE.search(version_text)
        return cls.parse(m.group(1)) if m else None

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def is_year_series(self) -> bool:
        return self.major >= 2000

    @property
    def is_preview(self) -> bool:
        return not self.is_year_series and self.minor >= 21 and self.minor % 2 == 1

    @property
    def line(self) -> str:
        """"year" for YYYY.N, "2.x" for the old numbering (stable and preview)."""
        return "year" if self.is_year_series else "2.x"

    @property
    def pg_base(self) -> int:
        """The PostgreSQL major version YSQL is built on."""
        if self.is_year_series:
            return 11 if self.major <= 2024 else 15
        return 11 if self.minor <= 24 else 15

    def _timeline(self) -> tuple[int, int]:
        if self.is_year_series:
            return (_year_series_index(self.major, self.minor), 1)
        if self.minor >= 21:
            # The preview that becomes the k-th year series sorts just before it.
            return ((self.minor - 21) // 2, 0)
        return (-100 + self.minor, 1)

    def _key(self) -> tuple[int, int, int, int, int, int]:
        t = self._timeline()
        return (t[0], t[1], self.major, self.minor, self.patch, self.build)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, YBVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}.{self.build}"


def parse_version(text: str | YBVersion) -> YBVersion:
    return text if isinstance(text, YBVersion) else YBVersion.parse(text)


def series_of(version: str | YBVersion) -> str:
    return parse_version(version).series


def pg_base(version: str | YBVersion) -> int:
    return parse_version(version).pg_base


def is_fixed(fixed_in: Mapping[str, str], target_version: str | YBVersion, *, carry_forward: bool = True) -> bool:
    """Whether a fix listed as {series: minimum version} reaches `target_version`.

    1. The target's own series is listed: fixed from that minimum version on (a fix in 2024.2.8.0 does not
       reach 2024.2.3.0, and reaches 2024.2.9.1).
    2. The target's series is not listed, and `carry_forward` is set (the issue's rule: a feature, once
       shipped, stays): fixed when the target series is newer than every listed series of its own numbering
       line (year or 2.x) and that line lists at least one. So 2026.2 inherits a fix listed up to 2026.1, and
       2.27 one listed for 2.25; a year series missing *between* listed ones (2024.1 when 2.25 and 2025.1
       are listed) does not, because the catalog left it out on purpose.
    3. Otherwise: not fixed.
    """
    if not fixed_in:
        return False
    target = parse_version(target_version)
    listed = {s: YBVersion.parse(v) for s, v in fixed_in.items()}
    own = listed.get(target.series)
    if own is not None:
        return target >= own
    if not carry_forward:
        return False
    same_line = [v for v in listed.values() if v.line == target.line]
    return bool(same_line) and all(target.series != v.series and target > v for v in same_line)
