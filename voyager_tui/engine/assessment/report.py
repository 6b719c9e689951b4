"""The assessment report: build it from a metadata dir, write it (JSON, HTML, sizing files), read it back.

Everything is derived from the metadata alone, so a report can be regenerated offline for another target
version at any time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from ... import __version__
from ..errors import VoyagerError, first_error
from ..schema import catalog
from ..schema.manifest import write_text_atomic
from ..yb_versions import LATEST_STABLE, YBVersion
from .effort import effort
from .issues import Findings, Found, datatype_issues, ddl_issues, query_issues
from .layout import AssessmentDir, SourceDbType
from .metadata import Metadata, SchemaObjectRow, read_metadata
from .perf import performance_findings
from .report_html import render_html
from .report_model import (
    REPORT_VERSION,
    AssessmentIssue,
    AssessmentReport,
    Note,
    ObjectTypeSummary,
    SourceSummary,
)
from .sizing import MIN_IOPS_WINDOW_S, ClusterRecommendation, SizingResult, size_cluster, tables_from_metadata
from .whatif import what_if

__all__ = ["build_report", "generate_report", "load_report"]

_TYPE_ORDER = ("table", "partitioned table", "view", "materialized view", "index", "sequence", "function",
               "procedure", "trigger", "type", "domain", "extension")
# The schema-objects.csv type an issue's object_type (pg_dump's TOC kind, or ours) stands for.
_ISSUE_TYPE_TO_OBJECT = {
    "TABLE": ("table", "partitioned table", "foreign table"), "CONSTRAINT": ("table", "partitioned table"),
    "FK CONSTRAINT": ("table", "partitioned table"), "COLUMN": ("table", "partitioned table"),
    "INDEX": ("index",), "VIEW": ("view",), "MATERIALIZED VIEW": ("materialized view",),
    "FUNCTION": ("function",), "PROCEDURE": ("procedure",), "TRIGGER": ("trigger",), "TYPE": ("type",),
    "DOMAIN": ("domain",), "EXTENSION": ("extension",), "SEQUENCE": ("sequence",),
}


def _target(version: str) -> str:
    YBVersion.parse(version)  # raises a one-line VoyagerError for anything that is not a YugabyteDB version
    return version.strip()


def _collection_notes(md: Metadata) -> list[Note]:
    return [Note(kind="collection", text=f"{n.severity}: {n.step}: {n.message}") for n in md.notes]


def _issues(md: Metadata) -> tuple[list[Found], list[Note], set[tuple[str, str]]]:
    found: list[Found] = []
    notes: list[Note] = []

    def take(f: Findings) -> None:
        found.extend(f.found)
        notes.extend(f.notes)

    source = md.info.source_db_type
    if source is SourceDbType.POSTGRESQL:
        if md.schema_ddl is not None:
            take(ddl_issues(md.schema_ddl))
        else:
            take(datatype_issues(md))
            notes.append(Note(kind="general", text=(
                "schema.sql is missing, so issues in the DDL and in PL/pgSQL code were not detected; only column "
                "datatypes were checked (from columns.csv). Collect again with the schema dump to get them.")))
        if md.query_stats:
            take(query_issues(md.query_stats, md))
        else:
            state = md.info.pg_stat_statements or "not collected"
            notes.append(Note(kind="general", text=(
                f"No query statistics (pg_stat_statements: {state}), so unsupported query constructs in the "
                "application's queries were not detected.")))
    else:
        take(datatype_issues(md))
        notes.append(Note(kind="general", text=(
            f"{source.value} source: issues were detected from column datatypes and statistics only. DDL-level "
            "issue detection needs the schema converted to PostgreSQL (run the migration's export schema and "
            "analyze schema steps).")))
    perf, redundant = performance_findings(md)
    take(perf)
    return found, notes, redundant


def _with_target(issue: AssessmentIssue, target: str) -> AssessmentIssue:
    entry = catalog.get(issue.issue_type)
    return issue.model_copy(update={"fixed_in_target": entry.is_fixed_in(target),
                                    "preview_note": entry.preview_note(target)})


def _sort_key(i: AssessmentIssue) -> tuple[str, str, str, str]:
    return ({"LEVEL_3": "0", "LEVEL_2": "1", "LEVEL_1": "2"}[i.impact.value], i.category.value, i.issue_type,
            i.object_name)


def _schema_summary(objects: list[SchemaObjectRow], open_found: Iterable[Found]) -> list[ObjectTypeSummary]:
    by_name: dict[tuple[str, str], list[int]] = {}
    by_bare: dict[str, list[int]] = {}
    for i, o in enumerate(objects):
        by_name.setdefault((o.schema_name, o.object_name), []).append(i)
        by_bare.setdefault(o.object_name, []).append(i)
    with_issues: set[int] = set()
    for f in open_found:
        if f.ref is None:
            continue
        schema, name = f.ref
        hits = by_name.get((schema, name), []) if schema is not None else by_bare.get(name, [])
        wanted = _ISSUE_TYPE_TO_OBJECT.get(f.issue.object_type.upper(), ())
        typed = [i for i in hits if objects[i].object_type.lower() in wanted]
        with_issues.update(typed or hits)
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(objects):
        groups.setdefault(o.object_type.lower(), []).append(i)

    def order(t: str) -> tuple[int, str]:
        return (_TYPE_ORDER.index(t) if t in _TYPE_ORDER else len(_TYPE_ORDER), t)

    return [ObjectTypeSummary(object_type=t, total=len(ids), with_issues=sum(1 for i in ids if i in with_issues),
                              names=sorted(f"{objects[i].schema_name}.{objects[i].object_name}" for i in ids))
            for t, ids in sorted(groups.items(), key=lambda kv: order(kv[0]))]


def _build(md: Metadata, target_version: str) -> tuple[AssessmentReport, SizingResult]:
    target = _target(target_version)
    found, notes, redundant = _issues(md)
    found = [Found(_with_target(f.issue, target), f.ref) for f in found]
    open_found = [f for f in found if not f.issue.fixed_in_target]
    issues = sorted((f.issue for f in open_found), key=_sort_key)
    resolved = sorted((f.issue for f in found if f.issue.fixed_in_target), key=_sort_key)
    summary = _schema_summary(md.schema_objects, open_found)

    tables, stats = tables_from_metadata(md, redundant)
    result = size_cluster(tables)
    if not md.iops:
        notes.append(Note(kind="sizing", text=(
            "No IOPS samples (iops-metrics.csv is empty): the sizing uses size and object counts only, so it "
            "cannot account for the workload's reads and writes.")))
    elif not any(s.reads_per_second is not None for s in stats):
        notes.append(Note(kind="sizing", text=(
            f"The IOPS samples are incomplete or less than {MIN_IOPS_WINDOW_S:g} s apart (iops_interval_seconds: "
            f"{md.info.iops_interval_seconds}), so no reads/s or writes/s were derived: the sizing uses size and "
            "object counts only. Collect again with an IOPS interval of a minute or more.")))
    notes.append(Note(kind="sizing", text=(
        "Reads per second are scan counts (sequential + index scans), not rows, as in yb-voyager; the sizing "
        "constants are yb-voyager's 2025.2 experiment values (see docs/assessment/sizing-and-effort.md).")))

    rows, recommended = what_if([f.issue for f in found], target)
    info = md.info
    report = AssessmentReport(
        generated_at=datetime.now(UTC), tool_version=__version__, target_db_version=target,
        source=SourceSummary(db_type=info.source_db_type, db_version=info.source_db_version, db_name=info.db_name,
                             schemas=list(info.schemas), collected_at=info.collected_at, collector=info.collector),
        schema_summary=summary, issues=issues, resolved_by_target=resolved, table_stats=stats, sizing=result.sizing,
        effort=effort(issues, summary), what_if=rows, recommended_version=recommended,
        notes=[*notes, *_collection_notes(md)])
    return report, result


def build_report(metadata: Metadata, target_version: str) -> AssessmentReport:
    """The report for one target version (a bad version is a one-line VoyagerError)."""
    return _build(metadata, target_version)[0]


def generate_report(assessment_dir: Path, target_version: str | None = None) -> AssessmentReport:
    """Read A/metadata, write reports/assessment_report.{json,html} and sizing/{cluster_recommendations,
    sizing_details}.json (each atomically), return the report. target_version defaults to LATEST_STABLE."""
    ad = AssessmentDir(Path(assessment_dir))
    target = _target(target_version or LATEST_STABLE)
    if not ad.metadata.is_dir():
        raise VoyagerError(f"{ad.metadata} does not exist: collect or ingest the source's metadata into "
                           f"{ad.root} first")
    report, result = _build(read_metadata(ad.metadata), target)
    recommendation = ClusterRecommendation(generated_at=report.generated_at, target_db_version=target,
                                           sizing=result.sizing, alternatives=result.alternatives)
    ad.create()
    write_text_atomic(ad.report_json, report.model_dump_json(indent=2) + "\n")
    write_text_atomic(ad.report_html, render_html(report))
    write_text_atomic(ad.cluster_recommendations, recommendation.model_dump_json(indent=2) + "\n")
    write_text_atomic(ad.sizing_details, result.details.model_dump_json(indent=2) + "\n")
    return report


def load_report(assessment_dir: Path) -> AssessmentReport:
    """The report generate_report wrote; a missing, unreadable or newer-version report is a one-line error."""
    path = AssessmentDir(Path(assessment_dir)).report_json
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VoyagerError(f"{path} does not exist: run voyager-tui assessment generate-report --assessment-dir "
                           f"{assessment_dir} first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VoyagerError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise VoyagerError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > REPORT_VERSION:
        raise VoyagerError(f"{path} is report version {version}, newer than this voyager-tui reads "
                           f"({REPORT_VERSION}): upgrade voyager-tui")
    try:
        return AssessmentReport.model_validate(data)
    except ValidationError as exc:
        where, msg = first_error(exc)
        raise VoyagerError(f"{path} is not a valid assessment report: {where or 'report'}: {msg}") from None
