"""The assessment dir and the metadata CSV layout, shared by every collector, the ingest and the report.

Collectors write these files (live over a connection, or the scripts a DBA runs with psql / mysql /
SQL*Plus); `ingest-metadata` validates them; the report reads only them. So an assessment can always be
re-reported offline, and a live run and a script run of the same source give the same report.

Every CSV is RFC 4180 with a header row, UTF-8, one row per object. Empty cell = unknown (NULL).
Names are as the source spells them (no quoting). Counts are integers, sizes in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

LAYOUT_VERSION = 1


class SourceDbType(StrEnum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    ORACLE = "oracle"


@dataclass(frozen=True)
class CsvSpec:
    name: str
    columns: tuple[str, ...]
    required: bool
    """A missing required file is an error; a missing optional one is a note in the report."""
    purpose: str


# Key/value facts about the collection itself: layout_version, source_db_type, source_db_version, db_name,
# schemas (pipe-separated), collected_at (ISO 8601 UTC), collector (live | script), iops_interval_seconds,
# pg_stat_statements (available | missing | no_permission | not_applicable).
COLLECTION = CsvSpec("collection-info.csv", ("key", "value"), True, "what was collected, from where, and when")

SCHEMA_OBJECTS = CsvSpec(
    "schema-objects.csv",
    ("schema_name", "object_name", "object_type", "parent_name", "details"),
    True,
    "every object in the chosen schemas: tables, partitioned tables, views, materialized views, indexes, "
    "sequences, functions, procedures, triggers, types, domains, extensions (object_type in lower case as "
    "the seed names them; parent_name is the table of an index/trigger/partition)",
)
TABLE_STATISTICS = CsvSpec(
    "table-statistics.csv",
    ("schema_name", "table_name", "object_type", "row_count", "size_bytes", "column_count", "parent_table",
     "has_primary_key"),
    True,
    "per table (and materialized view): estimated rows, heap size, column count, partition parent, PK present",
)
INDEX_INFO = CsvSpec(
    "index-info.csv",
    ("schema_name", "index_name", "table_name", "index_type", "is_unique", "is_primary", "columns",
     "size_bytes", "definition"),
    True,
    "per index: access method, uniqueness, key columns (comma-separated, expressions as text), size, DDL",
)
IOPS_METRICS = CsvSpec(
    "iops-metrics.csv",
    ("schema_name", "object_name", "object_type", "measurement", "seq_reads", "row_writes", "measured_at"),
    True,
    "two samples (measurement = initial | final) of scan and row-write counters per table, measured_at in "
    "ISO 8601; reads/s and writes/s are (final - initial) / elapsed seconds",
)
COLUMNS = CsvSpec(
    "columns.csv",
    ("schema_name", "table_name", "column_name", "ordinal", "data_type", "type_schema", "is_nullable"),
    True,
    "per column of every table and view: declared type (arrays as type[]), schema of a user-defined type",
)
CONSTRAINTS = CsvSpec(
    "constraints.csv",
    ("schema_name", "table_name", "constraint_name", "constraint_type", "columns", "ref_schema", "ref_table",
     "ref_columns", "definition"),
    True,
    "primary key (p), unique (u), foreign key (f), check (c), exclusion (x) constraints",
)
COLUMN_STATISTICS = CsvSpec(
    "column-statistics.csv",
    ("schema_name", "table_name", "column_name", "null_frac", "n_distinct", "most_common_freq"),
    False,
    "optimizer statistics per column (n_distinct as an absolute estimate); needed for performance findings",
)
QUERY_STATS = CsvSpec(
    "query-stats.csv",
    ("queryid", "query", "calls", "total_exec_time_ms", "mean_exec_time_ms", "rows"),
    False,
    "statement statistics (pg_stat_statements for PostgreSQL) of the assessed database",
)
COLLECTION_NOTES = CsvSpec(
    "collection-notes.csv",
    ("step", "severity", "message"),
    False,
    "what the collector skipped or could not read, and why (severity: info | warning)",
)

CSV_FILES: tuple[CsvSpec, ...] = (COLLECTION, SCHEMA_OBJECTS, TABLE_STATISTICS, INDEX_INFO, IOPS_METRICS, COLUMNS,
                                  CONSTRAINTS, COLUMN_STATISTICS, QUERY_STATS, COLLECTION_NOTES)
SCHEMA_DDL = "schema.sql"
"""The schema's DDL: pg_dump --schema-only for PostgreSQL, mysqldump --no-data / SHOW CREATE for MySQL,
DBMS_METADATA.GET_DDL for Oracle. Optional for MySQL and Oracle, required for PostgreSQL."""


@dataclass(frozen=True)
class AssessmentDir:
    """assessment-dir/{metadata,reports,sizing,fleet} as the seed lays it out."""

    root: Path

    @property
    def metadata(self) -> Path:
        return self.root / "metadata"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def sizing(self) -> Path:
        return self.root / "sizing"

    @property
    def fleet(self) -> Path:
        return self.root / "fleet"

    @property
    def report_json(self) -> Path:
        return self.reports / "assessment_report.json"

    @property
    def report_html(self) -> Path:
        return self.reports / "assessment_report.html"

    @property
    def source_ref(self) -> Path:
        """How a live collection reached the source (source_ref.py); absent for script-collected metadata."""
        return self.root / "source.json"

    @property
    def cluster_recommendations(self) -> Path:
        return self.sizing / "cluster_recommendations.json"

    @property
    def sizing_details(self) -> Path:
        return self.sizing / "sizing_details.json"

    def create(self) -> AssessmentDir:
        for d in (self.metadata, self.reports, self.sizing, self.fleet):
            d.mkdir(parents=True, exist_ok=True)
        return self
