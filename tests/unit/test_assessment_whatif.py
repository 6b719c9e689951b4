"""What-if rows for issues whose fixed-in versions are known from the catalog (research notes §3)."""

from __future__ import annotations

from voyager_tui.engine.assessment.issues import make_issue
from voyager_tui.engine.assessment.report_model import AssessmentIssue, IssueSource
from voyager_tui.engine.assessment.whatif import SERIES_LATEST, latest_versions, what_if
from voyager_tui.engine.yb_versions import LATEST_STABLE, YBVersion


def issue(issue_type: str) -> AssessmentIssue:
    return make_issue(issue_type, object_type="TABLE", object_name="public.t", source=IssueSource.DDL)


# Fixed in (GA): UNLOGGED_TABLES 2024.2.0.0+ (L1); ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE 2.23/2024.1+ (L1);
# STORED_GENERATED_COLUMNS 2.25/2025.1+ (L1); ADVISORY_LOCKS 2025.1+ (L2); SAVEPOINT_USAGE 2024.2.8.0,
# 2025.1.4.0, 2025.2.2.0 (L1); MERGE_STATEMENT never (L2); DEFERRABLE_CONSTRAINTS never (L3).
ISSUES = [issue(t) for t in ("UNLOGGED_TABLES", "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "STORED_GENERATED_COLUMNS",
                             "ADVISORY_LOCKS", "ADVISORY_LOCKS", "SAVEPOINT_USAGE", "MERGE_STATEMENT",
                             "DEFERRABLE_CONSTRAINTS")]


def table(target: str, versions: list[str]) -> list[tuple[str, int, int, dict[str, int], list[str], list[str]]]:
    rows, _ = what_if(ISSUES, target, versions)
    return [(r.version, r.blocking, r.total, r.by_impact, r.removed, r.added) for r in rows]


def test_rows_against_an_old_target() -> None:
    versions = ["2.20.12.0", "2024.1.6.1", "2024.2.3.0", "2024.2.10.0", "2025.1.0.0", "2025.2.5.2"]
    assert table("2.20.12.0", versions) == [
        ("2.20.12.0", 4, 8, {"LEVEL_1": 4, "LEVEL_2": 3, "LEVEL_3": 1}, [], []),
        ("2024.1.6.1", 4, 7, {"LEVEL_1": 3, "LEVEL_2": 3, "LEVEL_3": 1},
         ["ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE"], []),
        # 2024.2.3.0 is before the SAVEPOINT fix of the series (2024.2.8.0); 2024.2.10.0 is after it.
        ("2024.2.3.0", 4, 6, {"LEVEL_1": 2, "LEVEL_2": 3, "LEVEL_3": 1},
         ["ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "UNLOGGED_TABLES"], []),
        ("2024.2.10.0", 4, 5, {"LEVEL_1": 1, "LEVEL_2": 3, "LEVEL_3": 1},
         ["ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "SAVEPOINT_USAGE", "UNLOGGED_TABLES"], []),
        # 2025.1.0.0: generated columns and advisory locks work; the savepoint fix came in 2025.1.4.0.
        ("2025.1.0.0", 2, 3, {"LEVEL_1": 1, "LEVEL_2": 1, "LEVEL_3": 1},
         ["ADVISORY_LOCKS", "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "STORED_GENERATED_COLUMNS", "UNLOGGED_TABLES"],
         []),
        ("2025.2.5.2", 2, 2, {"LEVEL_1": 0, "LEVEL_2": 1, "LEVEL_3": 1},
         ["ADVISORY_LOCKS", "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "SAVEPOINT_USAGE", "STORED_GENERATED_COLUMNS",
          "UNLOGGED_TABLES"], []),
    ]


def test_rows_against_a_new_target_list_what_older_versions_add() -> None:
    rows = table("2025.2.5.2", ["2.20.12.0", "2024.2.10.0", "2025.2.5.2"])
    assert rows[0][5] == ["ADVISORY_LOCKS", "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "SAVEPOINT_USAGE",
                          "STORED_GENERATED_COLUMNS", "UNLOGGED_TABLES"]
    assert rows[1][5] == ["ADVISORY_LOCKS", "STORED_GENERATED_COLUMNS"]
    assert rows[2][4:] == ([], [])


def test_recommended_is_the_oldest_with_fewest_blocking() -> None:
    _, recommended = what_if(ISSUES, "2.20.12.0", ["2.20.12.0", "2025.2.5.2", "2025.1.0.0", "2026.1.1.1"])
    assert recommended == "2025.1.0.0"  # 2 blocking, as 2025.2 and 2026.1, and the oldest of them


def test_default_versions_cover_the_stable_series_at_their_latest_release() -> None:
    versions = latest_versions("2025.2.3.0")
    assert [YBVersion.parse(v).series for v in versions] == ["2.20", "2024.1", "2024.2", "2025.1", "2025.2", "2026.1"]
    assert versions == sorted(versions, key=YBVersion.parse)
    assert set(versions) == set(SERIES_LATEST.values())  # LATEST_STABLE and the target are older than the table's
    assert YBVersion.parse(LATEST_STABLE) <= YBVersion.parse(SERIES_LATEST["2025.2"])
    # a target in a series the table lacks gets its own row; a newer patch replaces the table's release
    assert "2.25.1.0" in latest_versions("2.25.1.0")
    assert "2024.2.11.0" in latest_versions("2024.2.11.0") and "2024.2.10.0" not in latest_versions("2024.2.11.0")
