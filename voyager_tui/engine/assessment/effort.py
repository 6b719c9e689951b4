"""Migration complexity (LOW / MEDIUM / HIGH) and effort in hours, with the derivation as lines.

Complexity uses yb-voyager's thresholds (research notes §2.6), with one change: performance findings are not
counted, because they are optional tuning, not something the migration has to solve.

The hours are a rule table (ours; docs/assessment/sizing-and-effort.md explains each number). They are a
starting point for a plan, to be calibrated against real projects, not a measurement:
- every open issue costs hours by impact (schema edit, application change, redesign);
- each distinct issue type costs a fixed learning cost once (read the docs, decide the workaround, write the
  fix pattern), after which its further occurrences are the per-issue cost only;
- every schema object costs a base review-and-test time by type, issues or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ..schema.issue_types import CATEGORY_TITLES, Category, Impact
from .report_model import AssessmentIssue, Effort, EffortLine, ObjectTypeSummary

IMPACT_HOURS: Mapping[Impact, float] = MappingProxyType({Impact.LEVEL_1: 0.5, Impact.LEVEL_2: 2.0,
                                                         Impact.LEVEL_3: 8.0})
"""Per open issue: a schema-only edit, an application query change with its test, a redesign."""
PERFORMANCE_HOURS = 0.25
"""Per performance finding: decide whether to apply the suggested index/key change."""
ISSUE_TYPE_HOURS = 1.0
"""Once per distinct issue type: understand it and settle the workaround pattern."""
OBJECT_TYPE_HOURS: Mapping[str, float] = MappingProxyType({
    "table": 0.1, "partitioned table": 0.25, "materialized view": 0.5, "view": 0.25, "function": 1.0,
    "procedure": 1.0, "trigger": 0.5, "index": 0.02, "sequence": 0.01, "type": 0.1, "domain": 0.1,
    "extension": 0.5,
})
"""Base review-and-test time per schema object (schema-objects.csv types): code objects cost the most because
their behaviour has to be re-tested on the target; indexes and sequences are checked in bulk."""

# yb-voyager's thresholds (cmd/migration_complexity.go): L3 >= 1 MEDIUM, > 4 HIGH; L2 > 10 MEDIUM, > 100 HIGH;
# L1 > 20 MEDIUM.
L3_MEDIUM, L3_HIGH = 1, 5
L2_MEDIUM, L2_HIGH = 11, 101
L1_MEDIUM = 21


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def complexity(issues: Iterable[AssessmentIssue]) -> tuple[str, str]:
    """(level, reason) from the open issues, performance findings left out."""
    counted = [i for i in issues if i.category is not Category.PERFORMANCE_OPTIMIZATIONS]
    by = Counter(i.impact for i in counted)
    l3, l2, l1 = by[Impact.LEVEL_3], by[Impact.LEVEL_2], by[Impact.LEVEL_1]
    high: list[str] = []
    medium: list[str] = []
    if l3 >= L3_HIGH:
        high.append(f"{_plural(l3, 'Level 3 issue')} (more than {L3_HIGH - 1})")
    elif l3 >= L3_MEDIUM:
        medium.append(f"{_plural(l3, 'Level 3 issue')} (at least {L3_MEDIUM})")
    if l2 >= L2_HIGH:
        high.append(f"{_plural(l2, 'Level 2 issue')} (more than {L2_HIGH - 1})")
    elif l2 >= L2_MEDIUM:
        medium.append(f"{_plural(l2, 'Level 2 issue')} (more than {L2_MEDIUM - 1})")
    if l1 >= L1_MEDIUM:
        medium.append(f"{_plural(l1, 'Level 1 issue')} (more than {L1_MEDIUM - 1})")
    counts = (f"Counted: {l3} Level 3, {l2} Level 2, {l1} Level 1 issues "
              f"(performance findings are not counted).")
    if high:
        return "HIGH", f"HIGH because of {'; '.join(high)}. {counts}"
    if medium:
        return "MEDIUM", f"MEDIUM because of {'; '.join(medium)}. {counts}"
    return "LOW", (f"LOW: no Level 3 issue, at most {L2_MEDIUM - 1} Level 2 and at most {L1_MEDIUM - 1} Level 1 "
                   f"issues. {counts}")


def effort(issues: list[AssessmentIssue], schema_summary: list[ObjectTypeSummary]) -> Effort:
    """Hours = the sum of the lines; each line is count x hours each."""
    lines: list[EffortLine] = []

    def add(what: str, count: int, each: float) -> None:
        if count:
            lines.append(EffortLine(what=what, count=count, hours_each=each, hours=round(count * each, 2)))

    for s in sorted(schema_summary, key=lambda s: s.object_type):
        each = OBJECT_TYPE_HOURS.get(s.object_type.lower())
        if each is not None:
            add(f"Review and test each {s.object_type} (base)", s.total, each)
    per_group = Counter((i.category, i.impact) for i in issues)
    for category in Category:
        for impact in (Impact.LEVEL_3, Impact.LEVEL_2, Impact.LEVEL_1):
            n = per_group[(category, impact)]
            each = PERFORMANCE_HOURS if category is Category.PERFORMANCE_OPTIMIZATIONS else IMPACT_HOURS[impact]
            add(f"{CATEGORY_TITLES[category]}, {impact.value}", n, each)
    add("Settle the workaround once per distinct issue type", len({i.issue_type for i in issues}), ISSUE_TYPE_HOURS)
    level, reason = complexity(issues)
    return Effort(complexity=level, complexity_reason=reason, hours=round(sum(line.hours for line in lines), 2),
                  lines=lines)
