"""A hand-built assessment report with pinned values and timestamps, for viewer tests and snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from voyager_tui.engine.assessment.layout import AssessmentDir, SourceDbType
from voyager_tui.engine.assessment.report_model import (
    AssessmentIssue,
    AssessmentReport,
    Effort,
    EffortLine,
    IssueSource,
    Note,
    ObjectTypeSummary,
    Sizing,
    SourceSummary,
    TableStat,
    WhatIfRow,
)
from voyager_tui.engine.schema.issue_types import Category, Impact

GENERATED_AT = datetime(2026, 3, 14, 9, 30, 0, tzinfo=UTC)
COLLECTED_AT = datetime(2026, 3, 14, 9, 12, 0, tzinfo=UTC)
_DOCS = "https://docs.yugabyte.com/stable/yugabyte-voyager/known-issues/postgresql/"


def _issue(issue_type: str, name: str, category: Category, impact: Impact, object_type: str, object_name: str,
           sql: str, description: str, workaround: str, anchor: str, source: IssueSource,
           fixed_in: dict[str, str] | None = None) -> AssessmentIssue:
    return AssessmentIssue(issue_type=issue_type, name=name, category=category, impact=impact,
                           description=description, object_type=object_type, object_name=object_name,
                           sql_statement=sql, workaround=workaround, docs_link=_DOCS + anchor,
                           fixed_in=fixed_in or {}, source=source)


ISSUES = [
    _issue("UNSUPPORTED_DATATYPE_XML", "Unsupported datatype - xml", Category.UNSUPPORTED_DATATYPES, Impact.LEVEL_3,
           "COLUMN", "public.invoices.payload", "CREATE TABLE public.invoices (id bigint PRIMARY KEY, payload xml);",
           "The xml datatype does not exist in YugabyteDB; rows with it cannot be loaded as they are.",
           "Store the document as text and parse it in the application.", "#xml-datatype",
           IssueSource.DDL),
    _issue("UNSUPPORTED_GIST_INDEX_METHOD", "Index with GIST access method", Category.UNSUPPORTED_FEATURES,
           Impact.LEVEL_1, "INDEX", "idx_shops_area ON public.shops",
           "CREATE INDEX idx_shops_area ON public.shops USING gist (area);",
           "YugabyteDB indexes are LSM (and GIN); the GiST access method does not exist.",
           "Drop the index, or replace it with a btree/GIN index that serves the same queries.",
           "#gist-brin-and-spgist-index-types-are-not-supported", IssueSource.DDL),
    _issue("STORED_GENERATED_COLUMNS", "Stored generated columns", Category.UNSUPPORTED_FEATURES, Impact.LEVEL_1,
           "TABLE", "public.orders",
           "CREATE TABLE public.orders (id bigint, qty int, price numeric, total numeric "
           "GENERATED ALWAYS AS (qty * price) STORED);",
           "Columns declared GENERATED ALWAYS AS (...) STORED cannot be created on PG11-based YugabyteDB.",
           "Drop the GENERATED clause and compute the column with a BEFORE INSERT OR UPDATE trigger.",
           "#generated-always-as-stored-type-column-is-not-supported", IssueSource.DDL,
           {"2.25": "2.25.0.0", "2025.1": "2025.1.0.0"}),
    _issue("ADVISORY_LOCKS", "Advisory locks", Category.UNSUPPORTED_QUERY_CONSTRUCTS, Impact.LEVEL_2, "QUERY",
           "SELECT pg_advisory_lock($1)", "SELECT pg_advisory_lock($1)",
           "Advisory locks are not available in this YugabyteDB version.",
           "Use a row in a lock table with SELECT ... FOR UPDATE.", "#advisory-locks-is-not-yet-implemented",
           IssueSource.QUERY, {"2025.1": "2025.1.0.0"}),
    _issue("ADVISORY_LOCKS", "Advisory locks", Category.UNSUPPORTED_PLPGSQL_OBJECTS, Impact.LEVEL_2, "FUNCTION",
           "billing.close_period", "PERFORM pg_advisory_xact_lock(42);",
           "Advisory locks are not available in this YugabyteDB version.",
           "Use a row in a lock table with SELECT ... FOR UPDATE.", "#advisory-locks-is-not-yet-implemented",
           IssueSource.PLPGSQL, {"2025.1": "2025.1.0.0"}),
    _issue("EXCLUSION_CONSTRAINTS", "Exclusion constraints", Category.UNSUPPORTED_FEATURES, Impact.LEVEL_1,
           "TABLE", "billing.bookings",
           "ALTER TABLE billing.bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, span WITH &&);",
           "EXCLUDE constraints are not supported.", "Enforce the rule with a trigger that checks for overlaps.",
           "#exclusion-constraints-is-not-supported", IssueSource.DDL),
    _issue("HOTSPOTS_ON_TIMESTAMP_INDEX", "Hotspots with range-sharded timestamp index",
           Category.PERFORMANCE_OPTIMIZATIONS, Impact.LEVEL_1, "INDEX", "idx_orders_created ON public.orders",
           "CREATE INDEX idx_orders_created ON public.orders (created_at);",
           "An index led by a monotonically increasing timestamp sends every insert to one tablet.",
           "Shard the index by hash on another column first, or bucket the timestamp.", "#hotspots",
           IssueSource.METADATA),
]


def fixture_report() -> AssessmentReport:
    return AssessmentReport(
        generated_at=GENERATED_AT,
        tool_version="0.1.0",
        target_db_version="2024.2.6.0",
        source=SourceSummary(db_type=SourceDbType.POSTGRESQL, db_version="15.8", db_name="shop",
                             schemas=["public", "billing"], collected_at=COLLECTED_AT, collector="live"),
        schema_summary=[
            ObjectTypeSummary(object_type="TABLE", total=12, with_issues=3, names=["public.orders"]),
            ObjectTypeSummary(object_type="INDEX", total=18, with_issues=2),
            ObjectTypeSummary(object_type="FUNCTION", total=4, with_issues=1),
        ],
        issues=ISSUES,
        table_stats=[
            TableStat(schema_name="public", object_name="orders", is_index=False, object_type="table",
                      row_count=1_250_000, size_bytes=412_000_000, column_count=9, reads_per_second=140.5,
                      writes_per_second=22.0),
            TableStat(schema_name="public", object_name="invoices", is_index=False, object_type="table",
                      row_count=80_000, size_bytes=36_000_000, column_count=4, reads_per_second=3.0,
                      writes_per_second=0.5),
        ],
        sizing=Sizing(
            colocated_tables=["public.invoices", "public.shops", "billing.bookings"],
            sharded_tables=["public.orders"], num_nodes=3, vcpus_per_node=8, memory_gib_per_node=32,
            select_connections_per_node=16, insert_connections_per_node=12, estimated_import_minutes=14.0,
            estimated_import_minutes_without_redundant_indexes=11.5,
            reasoning=[
                "public.orders has 1,250,000 rows and 393 MiB, above the colocation limit, so it is sharded.",
                "Peak load is 143.5 reads/s and 22.5 writes/s; 8 vCPUs per node serve it with headroom.",
                "Three nodes give replication factor 3.",
            ]),
        effort=Effort(
            complexity="HIGH", complexity_reason="1 LEVEL_3 issue and 2 LEVEL_2 issues must be resolved.",
            hours=13.5,
            lines=[
                EffortLine(what="LEVEL_3 issues (xml datatype)", count=1, hours_each=8.0, hours=8.0),
                EffortLine(what="LEVEL_2 issues (advisory locks)", count=2, hours_each=2.0, hours=4.0),
                EffortLine(what="LEVEL_1 issues", count=4, hours_each=0.375, hours=1.5),
            ]),
        what_if=[
            WhatIfRow(series="2024.2", version="2024.2.6.0", blocking=3, total=7,
                      by_impact={"LEVEL_1": 4, "LEVEL_2": 2, "LEVEL_3": 1}, removed=[]),
            WhatIfRow(series="2025.1", version="2025.1.3.0", blocking=1, total=4,
                      by_impact={"LEVEL_1": 3, "LEVEL_2": 0, "LEVEL_3": 1},
                      removed=["ADVISORY_LOCKS", "STORED_GENERATED_COLUMNS"]),
            WhatIfRow(series="2025.2", version="2025.2.3.0", blocking=1, total=4,
                      by_impact={"LEVEL_1": 3, "LEVEL_2": 0, "LEVEL_3": 1},
                      removed=["ADVISORY_LOCKS", "STORED_GENERATED_COLUMNS"]),
        ],
        recommended_version="2025.1.3.0",
        notes=[
            Note(kind="general", text="Assessed 2 schemas of database shop (PostgreSQL 15.8)."),
            Note(kind="collection", text="pg_stat_statements is installed: 42 queries were checked."),
            Note(kind="sizing", text="Sizing assumes an RF 3 cluster in one region."),
        ],
    )


def write_fixture_assessment(root: Path) -> AssessmentDir:
    """An assessment dir holding the fixture report (no metadata: the viewer needs only the report)."""
    adir = AssessmentDir(root).create()
    adir.report_json.write_text(fixture_report().model_dump_json(indent=2), encoding="utf-8")
    return adir
