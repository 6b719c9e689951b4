"""The assessment report (versioned pydantic model): what `generate-report` writes as JSON and the HTML, the TUI
viewer and the fleet comparison read. Bump REPORT_VERSION on any incompatible change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from ..schema.issue_types import Category, Impact
from .layout import SourceDbType

REPORT_VERSION = 1


class IssueSource(StrEnum):
    DDL = "ddl"
    """Found in the schema's DDL (schema.sql)."""
    PLPGSQL = "plpgsql"
    """Found inside a function, procedure or trigger body."""
    QUERY = "query"
    """Found in a query text from the statement statistics (pg_stat_statements)."""
    METADATA = "metadata"
    """Found from catalog metadata or statistics (datatypes, performance findings)."""


class AssessmentIssue(BaseModel):
    issue_type: str
    """Stable catalog id, e.g. UNSUPPORTED_GIST_INDEX_METHOD."""
    name: str
    category: Category
    impact: Impact
    description: str
    object_type: str
    object_name: str
    sql_statement: str = ""
    workaround: str
    docs_link: str = ""
    fixed_in: dict[str, str] = Field(default_factory=dict)
    """Release series -> first GA version of that series that supports the construct."""
    fixed_in_target: bool = False
    preview_note: str | None = None
    source: IssueSource
    details: dict[str, str] = Field(default_factory=dict)


class ObjectTypeSummary(BaseModel):
    object_type: str
    total: int
    with_issues: int
    names: list[str] = Field(default_factory=list)


class SourceSummary(BaseModel):
    db_type: SourceDbType
    db_version: str | None = None
    db_name: str | None = None
    schemas: list[str]
    collected_at: datetime | None = None
    collector: str | None = None
    """live | script"""


class TableStat(BaseModel):
    schema_name: str
    object_name: str
    is_index: bool
    object_type: str
    parent_table: str | None = None
    row_count: int | None = None
    size_bytes: int | None = None
    column_count: int | None = None
    reads_per_second: float | None = None
    writes_per_second: float | None = None


class Sizing(BaseModel):
    colocated_tables: list[str]
    sharded_tables: list[str]
    num_nodes: int
    vcpus_per_node: int
    memory_gib_per_node: int
    select_connections_per_node: int
    insert_connections_per_node: int
    estimated_import_minutes: float
    estimated_import_minutes_without_redundant_indexes: float
    reasoning: list[str]
    """How each number was derived, in sentences a reviewer can check."""
    failure: str | None = None
    """Set when no cluster shape fits; the numbers above are then the closest attempt."""


class EffortLine(BaseModel):
    what: str
    count: int
    hours_each: float
    hours: float


class Effort(BaseModel):
    complexity: str
    """LOW | MEDIUM | HIGH"""
    complexity_reason: str
    hours: float
    lines: list[EffortLine]
    """The derivation: hours = sum of lines."""


class WhatIfRow(BaseModel):
    series: str
    version: str
    """The version of the series that was evaluated (its latest known release)."""
    blocking: int
    """LEVEL_3 + LEVEL_2 issues still open in this version."""
    total: int
    by_impact: dict[str, int]
    removed: list[str]
    """Issue types open in the chosen target version that this version fixes."""
    added: list[str] = Field(default_factory=list)
    """Issue types fixed in the chosen target version but open here (older series)."""


class Note(BaseModel):
    kind: str
    """general | sizing | collection | performance"""
    text: str


class AssessmentReport(BaseModel):
    version: int = REPORT_VERSION
    generated_at: datetime
    tool_version: str
    target_db_version: str
    source: SourceSummary
    schema_summary: list[ObjectTypeSummary]
    issues: list[AssessmentIssue]
    """Open in the chosen target version (performance findings included, category performance_optimizations)."""
    resolved_by_target: list[AssessmentIssue] = Field(default_factory=list)
    table_stats: list[TableStat] = Field(default_factory=list)
    sizing: Sizing | None = None
    effort: Effort
    what_if: list[WhatIfRow]
    recommended_version: str | None = None
    """The oldest version with the fewest blocking issues."""
    notes: list[Note] = Field(default_factory=list)

    def impact_counts(self) -> dict[str, int]:
        return {lvl.value: sum(1 for i in self.issues if i.impact is lvl) for lvl in Impact}
