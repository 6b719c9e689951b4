"""What-if by YugabyteDB release: how many issues each stable series (at its newest known release) leaves open.

The fix data is the catalog's (schema/catalog.py fixed_in per series, decided by yb_versions.is_fixed), so this
table and the issue list always agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from ..schema import catalog
from ..schema.issue_types import Impact
from ..yb_versions import LATEST_STABLE, YBVersion, parse_version
from .report_model import AssessmentIssue, WhatIfRow

SERIES_LATEST: Mapping[str, str] = MappingProxyType({
    "2.20": "2.20.12.0",      # v2.20 LTS release notes, 2025-10-06
    "2024.1": "2024.1.6.1",   # v2024.1 STS release notes (end of life), 2025-07-23
    "2024.2": "2024.2.10.0",  # yugabyte-db release tag v2024.2.10.0, 2026-07-09
    "2025.1": "2025.1.4.0",   # the catalog's SAVEPOINT_USAGE fix (research notes §3.3): newest 2025.1 we know of
    "2025.2": "2025.2.5.2",   # yugabyte-db release tag v2025.2.5.2, 2026-08-03
    "2026.1": "2026.1.1.1",   # yugabyte-db release tag v2026.1.1.1, 2026-08-18
})
"""Stable series and the newest release of each known when this table was written (release notes and tags up
to the research snapshot of 2026-08-20). A newer patch release only matters for the few fixes listed at a patch
level (SAVEPOINT_USAGE); update this table when a series gets one."""


def latest_versions(target_version: str | None = None) -> list[str]:
    """The version evaluated per series, oldest first. LATEST_STABLE and the target count as known releases of
    their series (the newer one wins); a target in a series the table lacks (a preview, an old series) gets its
    own row so it can be compared."""
    versions = {s: parse_version(v) for s, v in SERIES_LATEST.items()}
    for extra in (LATEST_STABLE, target_version):
        if extra is None:
            continue
        v = parse_version(extra)
        if v.series not in versions or v > versions[v.series]:
            versions[v.series] = v
    return [str(v) for v in sorted(versions.values())]


def is_open(issue: AssessmentIssue, version: str | YBVersion) -> bool:
    return not catalog.get(issue.issue_type).is_fixed_in(version)


def what_if(issues: Sequence[AssessmentIssue], target_version: str,
            versions: Iterable[str] | None = None) -> tuple[list[WhatIfRow], str | None]:
    """One row per version for every issue found (open or resolved in the target), and the recommended version:
    the oldest with the fewest blocking (Level 3 + Level 2) issues."""
    open_in_target = {i.issue_type for i in issues if is_open(i, target_version)}
    fixed_in_target = {i.issue_type for i in issues} - open_in_target
    rows: list[WhatIfRow] = []
    for version in versions if versions is not None else latest_versions(target_version):
        open_here = [i for i in issues if is_open(i, version)]
        by = Counter(i.impact for i in open_here)
        types_here = {i.issue_type for i in open_here}
        rows.append(WhatIfRow(
            series=parse_version(version).series, version=version,
            blocking=by[Impact.LEVEL_3] + by[Impact.LEVEL_2], total=len(open_here),
            by_impact={lvl.value: by[lvl] for lvl in Impact},
            removed=sorted(open_in_target - types_here), added=sorted(fixed_in_target & types_here)))
    if not rows:
        return rows, None
    fewest = min(r.blocking for r in rows)
    recommended = min((r for r in rows if r.blocking == fewest), key=lambda r: parse_version(r.version))
    return rows, recommended.version
