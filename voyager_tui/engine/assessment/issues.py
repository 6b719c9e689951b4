"""The assessment's issues: the schema's DDL (schema.sql, through the schema analyzer), query texts from the
statement statistics, and column datatypes of sources whose DDL is not PostgreSQL's.

Every issue is reported once for all versions; report.py splits them into open and resolved for the chosen
target, and whatif.py re-evaluates them for other versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..pipeline.export_schema import manifest_objects, split_dump, strip_meta_commands
from ..schema import catalog
from ..schema.analyze import analyze_sql
from ..schema.catalog import Category
from ..schema.manifest import SchemaObject
from ..schema.query_constructs import QueryText
from ..yb_versions import LATEST_STABLE
from .layout import SourceDbType
from .metadata import ColumnRow, Metadata, QueryStatRow
from .report_model import AssessmentIssue, IssueSource, Note

QUERY_NAME_LIMIT = 160
"""Query texts longer than this are shortened in object_name (the full text is in sql_statement)."""


@dataclass(frozen=True)
class Found:
    """An issue and the schema object it belongs to, (schema, name) as schema-objects.csv spells them; schema
    None when the name is unqualified (extensions)."""

    issue: AssessmentIssue
    ref: tuple[str | None, str] | None = None


@dataclass
class Findings:
    found: list[Found] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def make_issue(issue_type: str, *, object_type: str, object_name: str, source: IssueSource, sql: str = "",
               details: dict[str, str] | None = None, category: Category | None = None) -> AssessmentIssue:
    """An issue from the catalog entry; fixed_in_target and preview_note are set later for the chosen target."""
    entry = catalog.get(issue_type)
    return AssessmentIssue(
        issue_type=entry.id, name=entry.name, category=category or entry.category, impact=entry.impact,
        description=entry.description, object_type=object_type, object_name=object_name, sql_statement=sql,
        workaround=entry.workaround, docs_link=entry.docs_link, fixed_in=dict(entry.fixed_in), source=source,
        details=details or {})


# ---- DDL -----------------------------------------------------------------------------------------------------


def _ref(object_name: str) -> tuple[str | None, str]:
    """'idx ON public.t' -> ('public', 'idx'); 'public.t' -> ('public', 't'); 'pg_surgery' -> (None, 'pg_surgery')."""
    if " ON " in object_name:
        name, _, table = object_name.partition(" ON ")
        schema = table.split(".", 1)[0] if "." in table else None
        return schema, name
    if "." in object_name:
        schema, _, name = object_name.partition(".")
        return schema, name
    return None, object_name


def _statements(ddl: str) -> list[SchemaObject]:
    """DDL without pg_dump's object headers (written by another tool): one object per statement."""
    from pglast import split
    from pglast.parser import ParseError

    try:
        pieces = list(split(strip_meta_commands(ddl), with_parser=False))
    except ParseError:
        pieces = [ddl]
    return [SchemaObject(type="OTHER", name=f"statement {n}", file="schema.sql", sql=piece)
            for n, piece in enumerate(pieces, 1) if piece.strip()]


def ddl_issues(ddl: str) -> Findings:
    """Issues of a pg_dump --schema-only text, split into objects the way export schema splits them."""
    out = Findings()
    objects = manifest_objects(split_dump(ddl))
    if not objects and ddl.strip():
        objects = _statements(ddl)
        out.notes.append(Note(kind="general", text=(
            f"schema.sql has no pg_dump object headers, so its {len(objects)} statement(s) were checked one by one "
            "and issues name the statement's own object only.")))
    # The analyzer needs a target only to split its output; every issue is re-evaluated per version later.
    analysis = analyze_sql(objects, LATEST_STABLE)
    for a in [*analysis.issues, *analysis.resolved_by_target]:
        source = IssueSource.PLPGSQL if a.category is Category.UNSUPPORTED_PLPGSQL_OBJECTS else IssueSource.DDL
        issue = make_issue(a.issue_type, object_type=a.object_type, object_name=a.object_name, source=source,
                           sql=a.sql_statement, details=dict(a.details), category=a.category)
        out.found.append(Found(issue, _ref(a.object_name)))
    if analysis.parse_errors:
        first = analysis.parse_errors[0]
        out.notes.append(Note(kind="general", text=(
            f"{len(analysis.parse_errors)} statement(s) of schema.sql could not be parsed and were not checked, "
            f"the first in {first.object_type} {first.object_name}: {first.error}")))
    return out


# ---- query texts ---------------------------------------------------------------------------------------------


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= QUERY_NAME_LIMIT else text[:QUERY_NAME_LIMIT - 1] + "…"


def query_issues(rows: list[QueryStatRow], md: Metadata) -> Findings:
    """Constructs in the query texts that touch the assessed schemas, once per (issue type, normalized query).

    A query is kept when it names a relation of an assessed schema (qualified, or unqualified with a name that a
    table/view of those schemas has), or names no relation at all (SAVEPOINT, LISTEN, SELECT pg_advisory_lock(..)
    are session-level and belong to the application). Queries on other schemas only (catalogs, other apps) are
    left out."""
    schemas = set(md.info.schemas)
    relations = {o.object_name for o in md.schema_objects
                 if o.object_type.lower() in ("table", "partitioned table", "view", "materialized view",
                                              "foreign table", "sequence")}
    out = Findings()
    merged: dict[tuple[str, str], tuple[AssessmentIssue, int]] = {}
    unparsed = skipped = 0
    for row in rows:
        try:
            parsed = QueryText(row.query)
        except ValueError:
            unparsed += 1
            continue
        in_scope = not parsed.relations or any(
            (schema in schemas) if schema is not None else (name in relations) for schema, name in parsed.relations)
        if not in_scope:
            skipped += 1
            continue
        for issue_type, details in parsed.issues:
            key = (issue_type, parsed.fingerprint)
            calls = row.calls or 0
            if key in merged:
                prev, prev_calls = merged[key]
                merged_details = dict(prev.details)
                for k, v in details.items():
                    values = set(merged_details.get(k, "").split(", ")) - {""}
                    merged_details[k] = ", ".join(sorted(values | {v}))
                merged_details["calls"] = str(prev_calls + calls)
                merged[key] = (prev.model_copy(update={"details": merged_details}), prev_calls + calls)
                continue
            entry = catalog.get(issue_type)
            category = (Category.MIGRATION_CAVEATS if entry.category is Category.MIGRATION_CAVEATS
                        else Category.UNSUPPORTED_QUERY_CONSTRUCTS)
            info = dict(details)
            if row.queryid:
                info["queryid"] = row.queryid
            info["calls"] = str(calls)
            issue = make_issue(issue_type, object_type="QUERY", object_name=_short(row.query),
                               source=IssueSource.QUERY, sql=row.query.strip(), details=info, category=category)
            merged[key] = (issue, calls)
    out.found = [Found(issue) for issue, _ in merged.values()]
    if unparsed:
        out.notes.append(Note(kind="general", text=(
            f"{unparsed} query text(s) in query-stats.csv did not parse (pg_stat_statements cuts texts longer than "
            "track_activity_query_size) and were not checked.")))
    if skipped:
        out.notes.append(Note(kind="general", text=(
            f"{skipped} query text(s) in query-stats.csv touch only relations outside the assessed schemas and were "
            "not checked.")))
    return out


# ---- datatypes from columns.csv ------------------------------------------------------------------------------


def _base_type(data_type: str) -> str:
    """'VARCHAR2(20)' -> 'varchar2', 'public.geometry' -> 'geometry', 'xml[]' -> 'xml'."""
    text = data_type.strip().lower()
    text = text.split("(", 1)[0].strip()
    while text.endswith("[]"):
        text = text[:-2].strip()
    return text.rsplit(".", 1)[-1].strip('"')


def _datatype_issue(source: SourceDbType, col: ColumnRow) -> str | None:
    base = _base_type(col.data_type)
    if source is SourceDbType.MYSQL:
        return catalog.source_datatype_issue_id("mysql", base) if base in catalog.MYSQL_UNSUPPORTED_DATATYPES else None
    if source is SourceDbType.ORACLE:
        return (catalog.source_datatype_issue_id("oracle", base) if base in catalog.ORACLE_UNSUPPORTED_DATATYPES
                else None)
    return catalog.UNSUPPORTED_DATATYPES.get(base)


def datatype_issues(md: Metadata) -> Findings:
    """Columns of tables (not views) whose type the migration cannot carry."""
    views = {(o.schema_name, o.object_name) for o in md.schema_objects
             if o.object_type.lower() in ("view", "materialized view")}
    out = Findings()
    for col in md.columns:
        if (col.schema_name, col.table_name) in views:
            continue
        issue_type = _datatype_issue(md.info.source_db_type, col)
        if issue_type is None:
            continue
        issue = make_issue(issue_type, object_type="COLUMN",
                           object_name=f"{col.schema_name}.{col.table_name}.{col.column_name}",
                           source=IssueSource.METADATA, details={"data_type": col.data_type})
        out.found.append(Found(issue, (col.schema_name, col.table_name)))
    return out
