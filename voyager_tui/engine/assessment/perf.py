"""Performance findings (category performance_optimizations) from index, constraint, column and statistics
metadata: hotspots on date/timestamp-leading keys, redundant indexes, indexes whose leading column is
low-cardinality, mostly NULL or dominated by one value, foreign keys without an index or with a mismatched
type, and tables that lack a primary key although a unique NOT NULL key exists.

Thresholds are yb-voyager's (research notes §3.5); the minimum row count is ours (see STATS_MIN_ROWS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .issues import Findings, Found, make_issue
from .metadata import ColumnStatRow, ConstraintRow, IndexRow, Metadata
from .report_model import IssueSource, Note

LOW_CARDINALITY_MAX_DISTINCT = 10
HIGH_NULL_FRACTION = 0.40
DOMINANT_VALUE_FRACTION = 0.60
STATS_MIN_ROWS = 1000
"""Statistics findings are skipped on tables with fewer rows: there every column has few distinct values, and an
index cannot make a hotspot (ours; yb-voyager has no such floor)."""
_NON_BTREE = frozenset({"gin", "gist", "brin", "spgist", "hash", "bloom"})
_TIMESTAMP = ("timestamp", "timestamptz")
_TYPE_ALIASES = {
    "int": "integer", "int4": "integer", "int8": "bigint", "int2": "smallint", "serial": "integer",
    "bigserial": "bigint", "float8": "double precision", "float4": "real", "varchar": "character varying",
    "char": "character", "bpchar": "character", "bool": "boolean", "decimal": "numeric",
    "timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
    "timetz": "time with time zone", "time": "time without time zone",
}


@dataclass(frozen=True)
class IndexShape:
    schema: str
    name: str
    table: str
    method: str
    unique: bool
    primary: bool
    keys: tuple[str, ...]
    """Key elements as text, with ordering and operator class: identity for the redundancy check."""
    key_columns: tuple[str | None, ...]
    """The plain column of each key element; None for an expression."""
    include: tuple[str, ...]
    predicate: str | None
    definition: str

    @property
    def object_name(self) -> str:
        return f"{self.name} ON {self.schema}.{self.table}"


def index_shape(ix: IndexRow) -> IndexShape:
    """The index's keys from its definition (pglast), else from the columns cell."""
    keys: tuple[str, ...] = tuple(ix.column_list)
    key_columns: tuple[str | None, ...] = keys
    include: tuple[str, ...] = ()
    predicate = None
    method = ix.index_type.lower()
    if ix.definition:
        from pglast import parse_sql
        from pglast.parser import ParseError
        from pglast.stream import RawStream

        try:
            stmts = parse_sql(ix.definition)
        except ParseError:
            stmts = ()
        node: Any = stmts[0].stmt if len(stmts) == 1 else None
        if type(node).__name__ == "IndexStmt":
            keys = tuple(RawStream()(e) for e in node.indexParams or ())
            key_columns = tuple(e.name for e in node.indexParams or ())
            include = tuple(RawStream()(e) for e in node.indexIncludingParams or ())
            predicate = RawStream()(node.whereClause) if node.whereClause is not None else None
            method = (node.accessMethod or method).lower()
    return IndexShape(schema=ix.schema_name, name=ix.index_name, table=ix.table_name, method=method,
                      unique=ix.is_unique or ix.is_primary, primary=ix.is_primary, keys=keys, key_columns=key_columns,
                      include=include, predicate=predicate, definition=ix.definition or "")


def _normal_type(data_type: str) -> str:
    text = " ".join(data_type.lower().split())
    base, paren, rest = text.partition("(")
    base = _TYPE_ALIASES.get(base.strip(), base.strip())
    return base + (paren + rest if paren else "")


def _kind(data_type: str | None) -> str | None:
    """'timestamp' or 'date' for the types whose monotonic values make hotspots."""
    if not data_type:
        return None
    t = _normal_type(data_type)
    if t.startswith("timestamp") or t.split("(")[0] in _TIMESTAMP or t == "datetime":  # datetime: MySQL
        return "timestamp"
    return "date" if t == "date" else None


class _Context:
    def __init__(self, md: Metadata) -> None:
        self.md = md
        self.types = {(c.schema_name, c.table_name, c.column_name): c.data_type for c in md.columns}
        self.nullable = {(c.schema_name, c.table_name, c.column_name): c.is_nullable for c in md.columns}
        self.stats: dict[tuple[str, str, str], ColumnStatRow] = {
            (s.schema_name, s.table_name, s.column_name): s for s in md.column_statistics}
        self.rows = {(t.schema_name, t.table_name): t.row_count for t in md.table_statistics}
        self.indexes: dict[tuple[str, str], list[IndexShape]] = {}
        for ix in md.indexes:
            shape = index_shape(ix)
            self.indexes.setdefault((shape.schema, shape.table), []).append(shape)


def _hotspots(ctx: _Context, out: Findings) -> None:
    for shapes in ctx.indexes.values():
        for ix in shapes:
            if ix.method in _NON_BTREE or not ix.key_columns or ix.key_columns[0] is None:
                continue
            kind = _kind(ctx.types.get((ix.schema, ix.table, ix.key_columns[0])))
            if kind is None:
                continue
            suffix = "PK_UK" if ix.unique else "INDEX"
            issue = make_issue(f"HOTSPOTS_ON_{kind.upper()}_{suffix}", object_type="INDEX",
                               object_name=ix.object_name, source=IssueSource.METADATA, sql=ix.definition,
                               details={"column": ix.key_columns[0]})
            out.found.append(Found(issue, (ix.schema, ix.name)))


def redundant_pairs(shapes: list[IndexShape]) -> list[tuple[IndexShape, IndexShape]]:
    """(redundant, covering) pairs on one table: same method and predicate, the redundant index's keys a leading
    prefix of the other's; never a unique or primary-key index (it enforces something); of two identical
    non-unique indexes the one whose name sorts last is the redundant one."""
    out: list[tuple[IndexShape, IndexShape]] = []
    for a in shapes:
        if a.unique or a.include or not a.keys:
            continue
        for b in shapes:
            if b is a or b.method != a.method or b.predicate != a.predicate or len(b.keys) < len(a.keys):
                continue
            if b.keys[:len(a.keys)] != a.keys:
                continue
            if len(b.keys) == len(a.keys) and not b.unique and not b.include and b.name > a.name:
                continue  # identical twins: keep the first name, report the later one
            out.append((a, b))
            break
    return out


def _redundant(ctx: _Context, out: Findings) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for shapes in ctx.indexes.values():
        for a, b in redundant_pairs(shapes):
            found.add((a.schema, a.name))
            issue = make_issue("REDUNDANT_INDEXES", object_type="INDEX", object_name=a.object_name,
                               source=IssueSource.METADATA, sql=a.definition,
                               details={"covered_by": b.name, "covered_by_definition": b.definition})
            out.found.append(Found(issue, (a.schema, a.name)))
    return found


def _n_distinct(stat: ColumnStatRow, rows: int | None) -> float | None:
    if stat.n_distinct is None:
        return None
    if stat.n_distinct < 0:  # a fraction of the rows, as pg_stats keeps it for growing columns
        return None if rows is None else -stat.n_distinct * rows
    return stat.n_distinct


def _statistics(ctx: _Context, out: Findings) -> None:
    for (schema, table), shapes in ctx.indexes.items():
        rows = ctx.rows.get((schema, table))
        if rows is not None and rows < STATS_MIN_ROWS:
            continue
        for ix in shapes:
            if ix.unique or ix.predicate or ix.method in _NON_BTREE or not ix.key_columns:
                continue
            col = ix.key_columns[0]
            stat = ctx.stats.get((schema, table, col)) if col else None
            if stat is None or col is None:
                continue
            distinct = _n_distinct(stat, rows)
            low = distinct is not None and 0 < distinct <= LOW_CARDINALITY_MAX_DISTINCT and len(ix.keys) == 1
            if low:
                assert distinct is not None
                out.found.append(Found(make_issue(
                    "INDEX_ON_LOW_CARDINALITY_COLUMN", object_type="INDEX", object_name=ix.object_name,
                    source=IssueSource.METADATA, sql=ix.definition,
                    details={"column": col, "distinct_values": f"{distinct:.0f}"}), (schema, ix.name)))
            if stat.null_frac is not None and stat.null_frac >= HIGH_NULL_FRACTION:
                out.found.append(Found(make_issue(
                    "INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_NULL_VALUES", object_type="INDEX",
                    object_name=ix.object_name, source=IssueSource.METADATA, sql=ix.definition,
                    details={"column": col, "null_fraction": f"{stat.null_frac:.2f}"}), (schema, ix.name)))
            # A low-cardinality column nearly always has a dominant value: one finding is enough.
            if not low and stat.most_common_freq is not None and stat.most_common_freq >= DOMINANT_VALUE_FRACTION:
                out.found.append(Found(make_issue(
                    "INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_PARTICULAR_VALUE", object_type="INDEX",
                    object_name=ix.object_name, source=IssueSource.METADATA, sql=ix.definition,
                    details={"column": col, "most_common_fraction": f"{stat.most_common_freq:.2f}"}),
                    (schema, ix.name)))


def _columns(cell: str | None) -> list[str]:
    return [c.strip() for c in (cell or "").split(",") if c.strip()]


def _foreign_keys(ctx: _Context, out: Findings) -> None:
    for con in ctx.md.constraints:
        if con.constraint_type != "f":
            continue
        cols = _columns(con.columns)
        name = f"{con.constraint_name} ON {con.schema_name}.{con.table_name}"
        sql = con.definition or ""
        covered = any(
            ix.method not in _NON_BTREE and ix.predicate is None and len(ix.key_columns) >= len(cols)
            and set(ix.key_columns[:len(cols)]) == set(cols)
            for ix in ctx.indexes.get((con.schema_name, con.table_name), []))
        if cols and not covered:
            out.found.append(Found(make_issue(
                "MISSING_FOREIGN_KEY_INDEX", object_type="CONSTRAINT", object_name=name, source=IssueSource.METADATA,
                sql=sql, details={"columns": ", ".join(cols)}), (con.schema_name, con.table_name)))
        refs = _columns(con.ref_columns)
        ref_schema, ref_table = con.ref_schema or con.schema_name, con.ref_table
        if ref_table is None or len(refs) != len(cols):
            continue
        for col, ref in zip(cols, refs, strict=True):
            mine = ctx.types.get((con.schema_name, con.table_name, col))
            theirs = ctx.types.get((ref_schema, ref_table, ref))
            if mine and theirs and _normal_type(mine) != _normal_type(theirs):
                out.found.append(Found(make_issue(
                    "FOREIGN_KEY_DATATYPE_MISMATCH", object_type="CONSTRAINT", object_name=name,
                    source=IssueSource.METADATA, sql=sql,
                    details={"column": col, "column_type": mine, "referenced": f"{ref_schema}.{ref_table}.{ref}",
                             "referenced_type": theirs}), (con.schema_name, con.table_name)))


def _missing_pk(ctx: _Context, out: Findings) -> None:
    with_pk = {(c.schema_name, c.table_name) for c in ctx.md.constraints if c.constraint_type == "p"}
    with_pk |= {(t.schema_name, t.table_name) for t in ctx.md.table_statistics if t.has_primary_key}
    by_table: dict[tuple[str, str], list[ConstraintRow]] = {}
    for c in ctx.md.constraints:
        if c.constraint_type == "u":
            by_table.setdefault((c.schema_name, c.table_name), []).append(c)
    for t in ctx.md.table_statistics:
        key = (t.schema_name, t.table_name)
        if key in with_pk or t.parent_table or t.object_type.lower() not in ("table", "partitioned table"):
            continue
        if t.has_primary_key is None and not ctx.md.constraints:
            continue  # nothing tells whether the table has a primary key
        candidates = [(c.constraint_name, _columns(c.columns), c.definition or "") for c in by_table.get(key, [])]
        candidates += [(ix.name, [k for k in ix.key_columns if k], ix.definition)
                       for ix in ctx.indexes.get(key, [])
                       if ix.unique and not ix.primary and ix.predicate is None and None not in ix.key_columns]
        for name, cols, sql in candidates:
            if cols and all(ctx.nullable.get((t.schema_name, t.table_name, c)) is False for c in cols):
                out.found.append(Found(make_issue(
                    "MISSING_PRIMARY_KEY_WHEN_UNIQUE_NOT_NULL", object_type="TABLE",
                    object_name=f"{t.schema_name}.{t.table_name}", source=IssueSource.METADATA, sql=sql,
                    details={"unique_key": name, "columns": ", ".join(cols)}), key))
                break


def performance_findings(md: Metadata) -> tuple[Findings, set[tuple[str, str]]]:
    """The findings, and the (schema, index) pairs found redundant (the sizing estimates the import without them)."""
    ctx = _Context(md)
    out = Findings()
    _hotspots(ctx, out)
    redundant = _redundant(ctx, out)
    if md.column_statistics:
        _statistics(ctx, out)
    else:
        out.notes.append(Note(kind="performance", text=(
            "column-statistics.csv is absent or empty, so the findings that need optimizer statistics (indexes on "
            "low-cardinality, mostly-NULL or one-value columns) were skipped; run ANALYZE on the source and collect "
            "again to get them.")))
    _foreign_keys(ctx, out)
    _missing_pk(ctx, out)
    return out, redundant
