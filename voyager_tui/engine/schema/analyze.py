"""Find the constructs of an exported schema that YugabyteDB does not support, for one target version.

Each object's SQL is parsed with pglast (PostgreSQL's own parser); detection walks the parse trees. Two passes:
the first collects what later statements need to know (column types, partitioned tables, user-defined types,
domains), because pg_dump creates a table, then adds its keys, indexes and triggers in separate statements.
Regexes are used only on statements the parser rejects (syntax PostgreSQL itself no longer accepts).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from ..yb_versions import YBVersion
from . import catalog
from .catalog import Category, Impact
from .detector import ParseProblem, _Detector
from .manifest import SchemaManifest, SchemaObject
from .report_html import render_html

__all__ = ["AnalysisIssue", "ParseProblem", "SchemaAnalysis", "analyze_manifest", "analyze_sql", "render_html"]

REPORT_VERSION = 1

# ---- report model ------------------------------------------------------------------------------------------


class AnalysisIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    issue_type: str
    name: str
    category: Category
    impact: Impact
    description: str
    object_type: str
    object_name: str
    sql_statement: str
    file: str = ""
    workaround: str
    docs_link: str
    gh_issue: str = ""
    fixed_in: dict[str, str] = Field(default_factory=dict)
    fixed_in_target: bool
    """True when the chosen target version already supports the construct (then it sits in resolved_by_target)."""
    preview_note: str | None = None
    details: dict[str, str] = Field(default_factory=dict)


class ObjectTypeCount(BaseModel):
    total: int = 0
    with_issues: int = 0


class AnalysisSummary(BaseModel):
    total_issues: int
    by_category: dict[str, int]
    by_impact: dict[str, int]
    by_object_type: dict[str, ObjectTypeCount]
    resolved_by_target: int


class SchemaAnalysis(BaseModel):
    version: int = REPORT_VERSION
    generated_at: datetime
    target_db_version: str
    target_pg_base: int
    source_version: str | None = None
    summary: AnalysisSummary
    issues: list[AnalysisIssue]
    resolved_by_target: list[AnalysisIssue]
    """Found in the schema but supported by the target version: the what-if for other versions needs them."""
    parse_errors: list[ParseProblem] = Field(default_factory=list)

    def impact_counts(self) -> tuple[int, int, int]:
        """(LEVEL_3, LEVEL_2, LEVEL_1) counts of the unresolved issues."""
        by = self.summary.by_impact
        return by.get(Impact.LEVEL_3, 0), by.get(Impact.LEVEL_2, 0), by.get(Impact.LEVEL_1, 0)


# ---- entry points ------------------------------------------------------------------------------------------


def analyze_manifest(manifest: SchemaManifest, target_version: str) -> SchemaAnalysis:
    return analyze_sql(manifest.objects, target_version, source_version=manifest.source_version)


def analyze_sql(statements: list[SchemaObject], target_version: str, *,
                source_version: str | None = None) -> SchemaAnalysis:
    """Report every catalogued construct in `statements`; those the target version supports go to
    `resolved_by_target` instead of `issues`."""
    target = YBVersion.parse(target_version)
    detector = _Detector()
    parsed = [detector.parse(index, obj) for index, obj in enumerate(statements)]
    for stmts in parsed:
        for stmt in stmts:
            detector.learn(stmt)
    for stmts in parsed:
        for stmt in stmts:
            detector.detect(stmt)

    issues: list[AnalysisIssue] = []
    resolved: list[AnalysisIssue] = []
    objects_with_issues: set[int] = set()
    for found in detector.found:
        entry = catalog.get(found.issue_type)
        fixed = entry.is_fixed_in(target)
        issue = AnalysisIssue(
            issue_type=entry.id, name=entry.name, category=found.category or entry.category, impact=entry.impact,
            description=entry.description, object_type=found.obj.type, object_name=found.object_name,
            sql_statement=found.sql, file=found.obj.file, workaround=entry.workaround, docs_link=entry.docs_link,
            gh_issue=entry.gh_issue, fixed_in=dict(entry.fixed_in), fixed_in_target=fixed,
            preview_note=entry.preview_note(target_version), details=dict(found.details))
        if fixed:
            resolved.append(issue)
        else:
            issues.append(issue)
            objects_with_issues.add(found.obj_index)

    by_object_type: dict[str, ObjectTypeCount] = {}
    for index, obj in enumerate(statements):
        counts = by_object_type.setdefault(obj.type, ObjectTypeCount())
        counts.total += 1
        if index in objects_with_issues:
            counts.with_issues += 1
    summary = AnalysisSummary(
        total_issues=len(issues),
        by_category={c.value: sum(1 for i in issues if i.category is c) for c in Category},
        by_impact={lvl.value: sum(1 for i in issues if i.impact is lvl) for lvl in Impact},
        by_object_type=by_object_type, resolved_by_target=len(resolved))
    return SchemaAnalysis(generated_at=datetime.now(UTC), target_db_version=target_version,
                          target_pg_base=target.pg_base, source_version=source_version, summary=summary,
                          issues=issues, resolved_by_target=resolved, parse_errors=detector.parse_errors)
