"""YugabyteDB versions: parsing, ordering across the two numbering lines, PG base, and the fixed-in rule."""

from __future__ import annotations

import pytest

from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.yb_versions import LATEST_STABLE, YBVersion, is_fixed, pg_base, series_of


@pytest.mark.parametrize(("text", "parts", "series"), [
    ("2024.2.3.0", (2024, 2, 3, 0), "2024.2"),
    ("2.25.1.0", (2, 25, 1, 0), "2.25"),
    ("2025.1", (2025, 1, 0, 0), "2025.1"),
    ("2.20.7", (2, 20, 7, 0), "2.20"),
    ("2024.1.3.1-b12", (2024, 1, 3, 1), "2024.1"),
])
def test_parse(text: str, parts: tuple[int, int, int, int], series: str) -> None:
    v = YBVersion.parse(text)
    assert (v.major, v.minor, v.patch, v.build) == parts
    assert v.series == series == series_of(text)


@pytest.mark.parametrize("text", ["", "15.4", "2025", "2025.3.0.0", "1.3.0.0", "abc", "2024.2.x"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(VoyagerError, match="not a YugabyteDB version"):
        YBVersion.parse(text)


def test_from_server_version() -> None:
    v = YBVersion.from_server_version("PostgreSQL 15.12-YB-2025.1.2.0-b0 on x86_64-pc-linux-gnu")
    assert v == YBVersion(2025, 1, 2, 0)
    assert YBVersion.from_server_version("PostgreSQL 11.2-YB-2.20.7.1-b10 on x86_64") == YBVersion(2, 20, 7, 1)
    assert YBVersion.from_server_version("PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64") is None
    assert YBVersion.from_server_version(None) is None


def test_ordering_within_and_across_lines() -> None:
    ordered = ["2.18.0.0", "2.20.9.0", "2.21.0.0", "2024.1.0.0", "2024.1.3.1", "2.23.0.0", "2024.2.0.0",
               "2.25.0.0", "2.25.1.0", "2025.1.0.0", "2025.2.3.0", "2026.1.0.0"]
    versions = [YBVersion.parse(v) for v in ordered]
    assert sorted(reversed(versions)) == versions
    assert YBVersion.parse("2025.1") == YBVersion.parse("2025.1.0.0")
    assert YBVersion.parse("2024.2.10.0") > YBVersion.parse("2024.2.9.1")


@pytest.mark.parametrize(("version", "base"), [
    ("2.20.1.0", 11), ("2.24.0.0", 11), ("2024.1.0.0", 11), ("2024.2.3.0", 11),
    ("2.25.0.0", 15), ("2025.1", 15), ("2025.2.3.0", 15), ("2026.1.0.0", 15),
])
def test_pg_base(version: str, base: int) -> None:
    assert pg_base(version) == base


def test_latest_stable_is_pg15_based() -> None:
    assert LATEST_STABLE == "2025.2.3.0"
    assert pg_base(LATEST_STABLE) == 15


PG15_LINE = {"2.25": "2.25.0.0", "2025.1": "2025.1.0.0", "2025.2": "2025.2.0.0", "2026.1": "2026.1.0.0"}
SAVEPOINT = {"2024.2": "2024.2.8.0", "2025.1": "2025.1.4.0", "2025.2": "2025.2.2.0", "2026.1": "2026.1.0.0"}


@pytest.mark.parametrize(("fixed_in", "target", "expected"), [
    ({}, "2026.1.0.0", False),                       # nothing fixed anywhere
    (PG15_LINE, "2024.2.3.0", False),                # PG11 series is not listed
    (PG15_LINE, "2024.1", False),
    (PG15_LINE, "2025.1", True),                     # listed, at the minimum
    (PG15_LINE, "2.25.1.0", True),
    (PG15_LINE, "2.20.0.0", False),                  # 2.x line older than the listed 2.25
    (PG15_LINE, "2.27.0.0", True),                   # newer than every listed 2.x series
    (PG15_LINE, "2026.2.0.0", True),                 # newer than every listed year series
    (SAVEPOINT, "2024.2.3.0", False),                # own series listed, version below its minimum
    (SAVEPOINT, "2024.2.8.0", True),
    (SAVEPOINT, "2025.1.3.0", False),
    (SAVEPOINT, "2025.2.3.0", True),
    (SAVEPOINT, "2024.1.9.0", False),                # older than the listed year series
    (SAVEPOINT, "2.25.0.0", False),                  # no 2.x series listed: nothing to inherit from
    ({"2024.2": "2024.2.0.0", "2025.2": "2025.2.0.0"}, "2025.1.0.0", False),  # a gap between listed series
])
def test_is_fixed(fixed_in: dict[str, str], target: str, expected: bool) -> None:
    assert is_fixed(fixed_in, target) is expected


def test_is_fixed_without_carry_forward_needs_the_series_listed() -> None:
    only_preview = {"2.25": "2.25.0.0"}
    assert is_fixed(only_preview, "2.25.1.0", carry_forward=False)
    assert not is_fixed(only_preview, "2.27.0.0", carry_forward=False)
    assert is_fixed(only_preview, "2.27.0.0")
    assert not is_fixed(PG15_LINE, "2026.2", carry_forward=False)
