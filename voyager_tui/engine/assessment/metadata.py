"""Typed rows of the metadata CSVs (layout.py) and a reader that turns a metadata dir into one `Metadata`.

The reader is strict about structure (file present, header as specified, cells parse) and names the file and
line of the first problem; `ingest.py` adds the checks that need the whole set (source type, consistency).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..errors import VoyagerError, first_error
from . import layout
from .layout import CsvSpec, SourceDbType

IOPS_MEASUREMENTS = ("initial", "final")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_null(cls, value: Any) -> Any:
        return None if value == "" else value


class SchemaObjectRow(_Row):
    schema_name: str
    object_name: str
    object_type: str
    parent_name: str | None = None
    details: str | None = None


class TableStatRow(_Row):
    schema_name: str
    table_name: str
    object_type: str
    row_count: int | None = None
    size_bytes: int | None = None
    column_count: int | None = None
    parent_table: str | None = None
    has_primary_key: bool | None = None


class IndexRow(_Row):
    schema_name: str
    index_name: str
    table_name: str
    index_type: str
    is_unique: bool
    is_primary: bool
    columns: str | None = None
    size_bytes: int | None = None
    definition: str | None = None

    @property
    def column_list(self) -> list[str]:
        return [c.strip() for c in (self.columns or "").split(",") if c.strip()]


class IopsRow(_Row):
    schema_name: str
    object_name: str
    object_type: str
    measurement: str
    seq_reads: int | None = None
    row_writes: int | None = None
    measured_at: datetime | None = None

    @field_validator("measurement")
    @classmethod
    def _known_measurement(cls, value: str) -> str:
        if value not in IOPS_MEASUREMENTS:
            raise ValueError(f"must be one of {', '.join(IOPS_MEASUREMENTS)}, not {value!r}")
        return value


class ColumnRow(_Row):
    schema_name: str
    table_name: str
    column_name: str
    ordinal: int
    data_type: str
    type_schema: str | None = None
    is_nullable: bool | None = None


class ConstraintRow(_Row):
    schema_name: str
    table_name: str
    constraint_name: str
    constraint_type: str
    columns: str | None = None
    ref_schema: str | None = None
    ref_table: str | None = None
    ref_columns: str | None = None
    definition: str | None = None


class ColumnStatRow(_Row):
    schema_name: str
    table_name: str
    column_name: str
    null_frac: float | None = None
    n_distinct: float | None = None
    most_common_freq: float | None = None


class QueryStatRow(_Row):
    queryid: str | None = None
    query: str
    calls: int | None = None
    total_exec_time_ms: float | None = None
    mean_exec_time_ms: float | None = None
    rows: int | None = None


class NoteRow(_Row):
    step: str
    severity: str
    message: str


class CollectionInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    layout_version: int
    source_db_type: SourceDbType
    source_db_version: str | None = None
    db_name: str | None = None
    schemas: list[str]
    collected_at: datetime | None = None
    collector: str | None = None
    iops_interval_seconds: float | None = None
    pg_stat_statements: str | None = None


class Metadata(BaseModel):
    """Everything a report is built from."""

    info: CollectionInfo
    schema_objects: list[SchemaObjectRow]
    table_statistics: list[TableStatRow]
    indexes: list[IndexRow]
    iops: list[IopsRow]
    columns: list[ColumnRow]
    constraints: list[ConstraintRow]
    column_statistics: list[ColumnStatRow]
    query_stats: list[QueryStatRow]
    notes: list[NoteRow]
    schema_ddl: str | None = None


R = TypeVar("R", bound=BaseModel)

# csv's default cap on one value is 128 KiB, less than a long view definition or query text. The cap stays bounded
# (a file cut inside a quoted value would otherwise be read whole as one value) and fits a C long on every platform.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024


def read_csv(path: Path, spec: CsvSpec, model: type[R]) -> list[R]:
    """Rows of one CSV as models; a wrong header, a short row or a bad cell is a VoyagerError naming file:line."""
    out: list[R] = []
    for line, row in _rows(path, spec):
        try:
            out.append(model.model_validate(row))
        except ValidationError as exc:
            field, msg = first_error(exc)
            raise VoyagerError(f"{path}:{line}: column {field}: {msg}") from None
    return out


def _rows(path: Path, spec: CsvSpec) -> Iterator[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise VoyagerError(f"{path} is missing ({spec.purpose})")
    with open(path, newline="", encoding="utf-8") as fh:
        # strict: a file cut inside a quoted value is an error, not a silently shortened last value.
        reader = csv.reader(fh, strict=True)
        if csv.field_size_limit() < FIELD_SIZE_LIMIT:
            csv.field_size_limit(FIELD_SIZE_LIMIT)
        try:
            header = next(reader, None)
            if header is None:
                raise VoyagerError(f"{path}:1: the file is empty; expected the header {','.join(spec.columns)}")
            header = [h.strip().lstrip("\ufeff") for h in header]
            missing = [c for c in spec.columns if c not in header]
            if missing:
                raise VoyagerError(f"{path}:1: wrong header: missing column(s) {', '.join(missing)}; expected "
                                   f"{','.join(spec.columns)}")
            for values in reader:
                line = reader.line_num
                if values == []:
                    continue
                if len(values) != len(header):
                    raise VoyagerError(f"{path}:{line}: {len(values)} fields where the header has {len(header)} "
                                       "(truncated or malformed CSV)")
                yield line, dict(zip(header, values, strict=True))
        except csv.Error as exc:
            hint = " (the file ends inside a quoted value: truncated?)" if "unexpected end of data" in str(exc) else ""
            raise VoyagerError(f"{path}:{reader.line_num}: malformed CSV: {exc}{hint}") from None
        except UnicodeDecodeError:
            raise VoyagerError(f"{path}: not UTF-8 text") from None


def read_collection_info(path: Path) -> CollectionInfo:
    lines: dict[str, int] = {}
    values: dict[str, str] = {}
    for line, r in _rows(path, layout.COLLECTION):
        key = r["key"].strip()
        if key in values:
            raise VoyagerError(f"{path}:{line}: the key {key} appears twice (first on line {lines[key]})")
        lines[key], values[key] = line, r["value"]
    if "source_db_type" not in values:
        raise VoyagerError(f"{path}: the key source_db_type is missing")
    kinds = [t.value for t in SourceDbType]
    if values["source_db_type"] not in kinds:
        raise VoyagerError(f"{path}:{lines['source_db_type']}: source_db_type {values['source_db_type']!r} is not "
                           f"one of {', '.join(kinds)}")
    data: dict[str, Any] = {k: (v if v != "" else None) for k, v in values.items()}
    data["schemas"] = [s for s in (values.get("schemas") or "").split("|") if s]
    data.setdefault("layout_version", layout.LAYOUT_VERSION)
    try:
        return CollectionInfo.model_validate(data)
    except ValidationError as exc:
        key, msg = first_error(exc)
        where = f"{path}:{lines[key]}" if key in lines else str(path)
        raise VoyagerError(f"{where}: key {key}: {msg}") from None


def read_metadata(metadata_dir: Path) -> Metadata:
    """Read a metadata dir; optional files that are absent read as empty lists."""
    if not metadata_dir.is_dir():
        raise VoyagerError(f"{metadata_dir} is not a directory")
    refuse_symlinks(metadata_dir)

    def rows(spec: CsvSpec, model: type[R]) -> list[R]:
        path = metadata_dir / spec.name
        if not spec.required and not path.exists():
            return []
        return read_csv(path, spec, model)

    ddl_path = metadata_dir / layout.SCHEMA_DDL
    return Metadata(
        info=read_collection_info(metadata_dir / layout.COLLECTION.name),
        schema_objects=rows(layout.SCHEMA_OBJECTS, SchemaObjectRow),
        table_statistics=rows(layout.TABLE_STATISTICS, TableStatRow),
        indexes=rows(layout.INDEX_INFO, IndexRow),
        iops=rows(layout.IOPS_METRICS, IopsRow),
        columns=rows(layout.COLUMNS, ColumnRow),
        constraints=rows(layout.CONSTRAINTS, ConstraintRow),
        column_statistics=rows(layout.COLUMN_STATISTICS, ColumnStatRow),
        query_stats=rows(layout.QUERY_STATS, QueryStatRow),
        notes=rows(layout.COLLECTION_NOTES, NoteRow),
        schema_ddl=_read_ddl(ddl_path),
    )


def refuse_symlinks(metadata_dir: Path) -> None:
    """A set comes from another machine: a file of it that is a symbolic link could point at any local file (a
    private key, say), which ingest would then read and copy into the assessment dir."""
    for name in [spec.name for spec in layout.CSV_FILES] + [layout.SCHEMA_DDL]:
        path = metadata_dir / name
        if path.is_symlink():
            raise VoyagerError(f"{path} is a symbolic link: a metadata set must hold the files themselves")


def _read_ddl(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise VoyagerError(f"{path}:{line}: not UTF-8 text") from None
    except OSError as exc:
        raise VoyagerError(f"cannot read {path}: {exc.strerror or exc}") from None
