"""The fleet's comparison matrix (JSON) and consolidated report (HTML), built from the per-database reports.

One row per assessed database: size, issues by impact, effort, recommended YugabyteDB version, sizing and a
readiness rank; databases whose assessment failed are listed with their one-line error. The issue-type
comparison (which issue types appear in which databases, how often) is always in the JSON; the HTML shows it
with `--compare-mode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from ... import __version__
from ..schema.issue_types import CATEGORY_TITLES, Impact
from ..schema.manifest import write_text_atomic
from .fleet_config import ClusterConfig
from .layout import AssessmentDir
from .report_model import AssessmentReport

MATRIX_VERSION = 1
FLEET_DIR = "fleet"
MATRIX_JSON = "comparison_matrix.json"
REPORT_HTML = "consolidated_report.html"
TEMPLATE = "fleet_report.html.j2"

RANKING_RULE = (
    "Databases are ranked from most ready (1) to least ready by, in order: fewest LEVEL_3 issues (no simple "
    "workaround), then fewest LEVEL_2 issues (application changes), then fewest estimated effort hours, then "
    "smallest size (tables + indexes), then name. Issues already fixed in each database's target version do not "
    "count. Failed databases are not ranked."
)


class FleetSizing(BaseModel):
    num_nodes: int
    vcpus_per_node: int
    memory_gib_per_node: int
    failure: str | None = None
    """Set when no cluster shape fits; the numbers are then the closest attempt."""


class FleetDatabase(BaseModel):
    """One assessed database: the numbers a fleet owner compares."""

    name: str
    readiness_rank: int
    source_db_type: str
    source: str
    """Where it came from: `live postgresql user@host:port/db` or `<type> metadata <dir>`."""
    db_version: str | None
    db_name: str | None
    schemas: list[str]
    size_bytes: int
    """Tables + indexes, as collected (pg_relation_size of each)."""
    tables: int
    indexes: int
    issues_total: int
    issues_by_impact: dict[str, int]
    complexity: str
    effort_hours: float
    target_db_version: str
    recommended_version: str | None
    sizing: FleetSizing | None
    report_json: str
    """Relative to the fleet's assessment dir."""
    report_html: str
    duration_seconds: float


class FleetFailure(BaseModel):
    name: str
    source_db_type: str
    source: str
    error: str
    """One line, never a password."""
    duration_seconds: float


class IssueTypeComparison(BaseModel):
    issue_type: str
    name: str
    category: str
    impact: str
    databases: int
    """In how many assessed databases the issue type occurs."""
    total: int
    counts: dict[str, int] = Field(default_factory=dict)
    """Database name -> occurrences, only databases where it occurs."""


class FleetSummary(BaseModel):
    total: int
    succeeded: int
    failed: int


class FleetMatrix(BaseModel):
    version: int = MATRIX_VERSION
    generated_at: datetime
    tool_version: str
    fleet_config: str
    ranking_rule: str = RANKING_RULE
    summary: FleetSummary
    databases: list[FleetDatabase]
    """Assessed databases, in readiness order."""
    failed: list[FleetFailure]
    """Failed databases, in the order of the fleet file."""
    issue_types: list[IssueTypeComparison]
    """Issue types across the assessed databases: highest impact first, then the most widespread."""


@dataclass(frozen=True)
class Assessed:
    cluster: ClusterConfig
    report: AssessmentReport
    duration_seconds: float


@dataclass(frozen=True)
class Failed:
    cluster: ClusterConfig
    error: str
    duration_seconds: float


Outcome = Assessed | Failed

_IMPACTS = [lvl.value for lvl in Impact]


def readiness_key(db: FleetDatabase) -> tuple[int, int, float, int, str]:
    """The ranking rule (RANKING_RULE) as a sort key: smaller is more ready."""
    by = db.issues_by_impact
    return (by.get("LEVEL_3", 0), by.get("LEVEL_2", 0), db.effort_hours, db.size_bytes, db.name)


def _database(a: Assessed) -> FleetDatabase:
    r = a.report
    name = a.cluster.name
    sizing = None
    if r.sizing is not None:
        sizing = FleetSizing(num_nodes=r.sizing.num_nodes, vcpus_per_node=r.sizing.vcpus_per_node,
                             memory_gib_per_node=r.sizing.memory_gib_per_node, failure=r.sizing.failure)
    ad = AssessmentDir(Path(name))
    return FleetDatabase(
        name=name, readiness_rank=0, source_db_type=r.source.db_type.value, source=a.cluster.describe_source(),
        db_version=r.source.db_version, db_name=r.source.db_name, schemas=list(r.source.schemas),
        size_bytes=sum(t.size_bytes or 0 for t in r.table_stats),
        tables=sum(1 for t in r.table_stats if not t.is_index),
        indexes=sum(1 for t in r.table_stats if t.is_index),
        issues_total=len(r.issues), issues_by_impact=r.impact_counts(), complexity=r.effort.complexity,
        effort_hours=r.effort.hours, target_db_version=r.target_db_version, recommended_version=r.recommended_version,
        sizing=sizing, report_json=ad.report_json.as_posix(), report_html=ad.report_html.as_posix(),
        duration_seconds=round(a.duration_seconds, 3))


def _issue_types(assessed: Sequence[Assessed]) -> list[IssueTypeComparison]:
    rows: dict[str, IssueTypeComparison] = {}
    for a in assessed:
        for issue in a.report.issues:
            row = rows.get(issue.issue_type)
            if row is None:
                row = rows[issue.issue_type] = IssueTypeComparison(
                    issue_type=issue.issue_type, name=issue.name, category=issue.category.value,
                    impact=issue.impact.value, databases=0, total=0)
            row.counts[a.cluster.name] = row.counts.get(a.cluster.name, 0) + 1
            row.total += 1
    for row in rows.values():
        row.databases = len(row.counts)
    return sorted(rows.values(), key=lambda r: (-_IMPACTS.index(r.impact), -r.databases, -r.total, r.issue_type))


def build_matrix(fleet_config: Path, outcomes: Sequence[Outcome]) -> FleetMatrix:
    """The comparison matrix of one fleet run; `outcomes` in the order of the fleet file."""
    assessed = [o for o in outcomes if isinstance(o, Assessed)]
    failed = [o for o in outcomes if isinstance(o, Failed)]
    databases = sorted((_database(a) for a in assessed), key=readiness_key)
    databases = [d.model_copy(update={"readiness_rank": i}) for i, d in enumerate(databases, start=1)]
    return FleetMatrix(
        generated_at=datetime.now(UTC), tool_version=__version__, fleet_config=str(fleet_config),
        summary=FleetSummary(total=len(outcomes), succeeded=len(assessed), failed=len(failed)),
        databases=databases,
        failed=[FleetFailure(name=f.cluster.name, source_db_type=f.cluster.source_db_type.value,
                             source=f.cluster.describe_source(), error=f.error,
                             duration_seconds=round(f.duration_seconds, 3)) for f in failed],
        issue_types=_issue_types(assessed))


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def render_fleet_html(matrix: FleetMatrix, *, compare_mode: bool = False,
                      existing_reports: frozenset[str] = frozenset()) -> str:
    """The consolidated report: self-contained HTML (inline CSS/JS). `existing_reports` are the names whose
    per-database HTML report exists, so only working links are drawn."""
    from jinja2 import Environment

    source = resources.files(__package__).joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["size"] = human_size
    return env.from_string(source).render(
        m=matrix, compare_mode=compare_mode, impacts=list(reversed(_IMPACTS)), linked=existing_reports,
        titles={c.value: t for c, t in CATEGORY_TITLES.items()})


@dataclass(frozen=True)
class FleetOutputs:
    matrix_json: Path
    report_html: Path


def write_fleet_outputs(assessment_dir: Path, matrix: FleetMatrix, *, compare_mode: bool = False) -> FleetOutputs:
    """Write F/fleet/comparison_matrix.json and F/fleet/consolidated_report.html (each atomically)."""
    root = Path(assessment_dir)
    out = root / FLEET_DIR
    linked = frozenset(d.name for d in matrix.databases if (root / d.report_html).is_file())
    json_path, html_path = out / MATRIX_JSON, out / REPORT_HTML
    write_text_atomic(json_path, matrix.model_dump_json(indent=2) + "\n")
    write_text_atomic(html_path, render_fleet_html(matrix, compare_mode=compare_mode, existing_reports=linked))
    return FleetOutputs(matrix_json=json_path, report_html=html_path)
