"""Write an assessment metadata dir (layout.py) from Python data.

`write_metadata` takes rows as dicts keyed by the layout's column names (missing keys are empty cells) and writes
every CSV plus collection-info.csv and, when given, schema.sql; `write_csv` writes (or replaces) one CSV of a
dir, e.g. query-stats.csv next to what a real collector wrote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voyager_tui.engine.assessment import layout
from voyager_tui.engine.assessment.layout import AssessmentDir, CsvSpec

Row = Mapping[str, Any]
COLLECTED_AT = datetime(2026, 5, 4, 10, 0, 0, tzinfo=UTC)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, spec: CsvSpec, rows: Iterable[Row]) -> None:
    """One CSV with the spec's header; a key the spec does not know is an error (a typo in a test)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(spec.columns)
        for row in rows:
            unknown = set(row) - set(spec.columns)
            if unknown:
                raise KeyError(f"{spec.name}: unknown column(s) {sorted(unknown)}")
            writer.writerow([_cell(row.get(c)) for c in spec.columns])


def write_metadata(metadata_dir: Path, *, source_db_type: str = "postgresql", schemas: Sequence[str] = ("public",),
                   db_name: str = "shop", source_db_version: str | None = "15.8", collector: str = "script",
                   collected_at: datetime = COLLECTED_AT, iops_interval_seconds: float | None = 120,
                   pg_stat_statements: str = "available", schema_objects: Iterable[Row] = (),
                   table_statistics: Iterable[Row] = (), indexes: Iterable[Row] = (), iops: Iterable[Row] = (),
                   columns: Iterable[Row] = (), constraints: Iterable[Row] = (),
                   column_statistics: Iterable[Row] | None = None, query_stats: Iterable[Row] | None = None,
                   notes: Iterable[Row] | None = None, schema_ddl: str | None = None) -> Path:
    """Write a complete metadata dir; optional CSVs passed as None are left out (as a collector that skipped
    them would). Returns `metadata_dir`."""
    info = {"layout_version": layout.LAYOUT_VERSION, "source_db_type": source_db_type,
            "source_db_version": source_db_version, "db_name": db_name, "schemas": "|".join(schemas),
            "collected_at": collected_at, "collector": collector, "iops_interval_seconds": iops_interval_seconds,
            "pg_stat_statements": pg_stat_statements}
    write_csv(metadata_dir / layout.COLLECTION.name, layout.COLLECTION,
              [{"key": k, "value": v} for k, v in info.items()])
    for spec, rows in ((layout.SCHEMA_OBJECTS, schema_objects), (layout.TABLE_STATISTICS, table_statistics),
                       (layout.INDEX_INFO, indexes), (layout.IOPS_METRICS, iops), (layout.COLUMNS, columns),
                       (layout.CONSTRAINTS, constraints), (layout.COLUMN_STATISTICS, column_statistics),
                       (layout.QUERY_STATS, query_stats), (layout.COLLECTION_NOTES, notes)):
        if rows is not None:
            write_csv(metadata_dir / spec.name, spec, rows)
    if schema_ddl is not None:
        (metadata_dir / layout.SCHEMA_DDL).write_text(schema_ddl, encoding="utf-8")
    return metadata_dir


def assessment_dir(root: Path, **kwargs: Any) -> AssessmentDir:
    """An assessment dir whose metadata/ is written by write_metadata(**kwargs)."""
    ad = AssessmentDir(root).create()
    write_metadata(ad.metadata, **kwargs)
    return ad


def iops_rows(rates: Mapping[tuple[str, str], tuple[int, int]], seconds: int = 120,
              start: datetime = COLLECTED_AT) -> list[dict[str, Any]]:
    """Two samples per table whose differences over `seconds` are the given (scans, row writes)."""
    from datetime import timedelta

    rows: list[dict[str, Any]] = []
    for (schema, table), (reads, writes) in rates.items():
        base = {"schema_name": schema, "object_name": table, "object_type": "table"}
        rows.append({**base, "measurement": "initial", "seq_reads": 1000, "row_writes": 5000, "measured_at": start})
        rows.append({**base, "measurement": "final", "seq_reads": 1000 + reads, "row_writes": 5000 + writes,
                     "measured_at": start + timedelta(seconds=seconds)})
    return rows
