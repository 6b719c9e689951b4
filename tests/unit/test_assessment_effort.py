"""Complexity thresholds (yb-voyager's, performance findings left out) and the effort rule table."""

from __future__ import annotations

import pytest

from voyager_tui.engine.assessment.effort import complexity, effort
from voyager_tui.engine.assessment.issues import make_issue
from voyager_tui.engine.assessment.report_model import AssessmentIssue, IssueSource, ObjectTypeSummary

L3 = "DEFERRABLE_CONSTRAINTS"  # unsupported_features, LEVEL_3
L2 = "MERGE_STATEMENT"  # unsupported_query_constructs, LEVEL_2
L1 = "UNSUPPORTED_GIST_INDEX_METHOD"  # unsupported_features, LEVEL_1
PERF = "REDUNDANT_INDEXES"  # performance_optimizations, LEVEL_1


def issues(issue_type: str, n: int) -> list[AssessmentIssue]:
    return [make_issue(issue_type, object_type="TABLE", object_name=f"public.t{k}", source=IssueSource.DDL)
            for k in range(n)]


@pytest.mark.parametrize(("l3", "l2", "l1", "level"), [
    (0, 0, 0, "LOW"), (0, 10, 20, "LOW"),
    (1, 0, 0, "MEDIUM"), (0, 11, 0, "MEDIUM"), (0, 0, 21, "MEDIUM"), (4, 100, 0, "MEDIUM"),
    (5, 0, 0, "HIGH"), (0, 101, 0, "HIGH"),
])
def test_complexity_thresholds(l3: int, l2: int, l1: int, level: str) -> None:
    assert complexity(issues(L3, l3) + issues(L2, l2) + issues(L1, l1))[0] == level


def test_complexity_reasons() -> None:
    assert complexity(issues(L3, 5) + issues(L2, 3)) == (
        "HIGH", "HIGH because of 5 Level 3 issues (more than 4). Counted: 5 Level 3, 3 Level 2, 0 Level 1 issues "
                "(performance findings are not counted).")
    assert complexity(issues(L3, 1) + issues(L2, 11) + issues(L1, 21)) == (
        "MEDIUM", "MEDIUM because of 1 Level 3 issue (at least 1); 11 Level 2 issues (more than 10); 21 Level 1 issues "
                  "(more than 20). Counted: 1 Level 3, 11 Level 2, 21 Level 1 issues (performance findings are not "
                  "counted).")
    assert complexity(issues(L1, 2)) == (
        "LOW", "LOW: no Level 3 issue, at most 10 Level 2 and at most 20 Level 1 issues. Counted: 0 Level 3, "
               "0 Level 2, 2 Level 1 issues (performance findings are not counted).")


def test_performance_findings_do_not_raise_complexity() -> None:
    assert complexity(issues(PERF, 50))[0] == "LOW"


def test_effort_lines_and_total() -> None:
    found = issues(L3, 1) + issues(L2, 2) + issues(L1, 3) + issues(PERF, 4)
    summary = [ObjectTypeSummary(object_type="table", total=10, with_issues=3),
               ObjectTypeSummary(object_type="function", total=2, with_issues=0),
               ObjectTypeSummary(object_type="index", total=5, with_issues=1),
               ObjectTypeSummary(object_type="collation", total=1, with_issues=0)]  # no base effort for it
    e = effort(found, summary)
    assert [(line.what, line.count, line.hours_each, line.hours) for line in e.lines] == [
        ("Review and test each function (base)", 2, 1.0, 2.0),
        ("Review and test each index (base)", 5, 0.02, 0.1),
        ("Review and test each table (base)", 10, 0.1, 1.0),
        ("Unsupported features, LEVEL_3", 1, 8.0, 8.0),
        ("Unsupported features, LEVEL_1", 3, 0.5, 1.5),
        ("Unsupported query constructs, LEVEL_2", 2, 2.0, 4.0),
        ("Performance optimizations, LEVEL_1", 4, 0.25, 1.0),
        ("Settle the workaround once per distinct issue type", 4, 1.0, 4.0),
    ]
    assert e.hours == 21.6 == round(sum(line.hours for line in e.lines), 2)
    assert e.complexity == "MEDIUM"


def test_no_issues_no_objects_is_zero_hours() -> None:
    e = effort([], [])
    assert (e.hours, e.lines, e.complexity) == (0, [], "LOW")
