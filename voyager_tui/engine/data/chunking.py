"""Splitting a table into chunks that can be exported, imported and verified independently."""

from __future__ import annotations

import itertools
import math
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, ConfigDict

from .tables import SourceTable

_INT_TYPES = {"smallint", "integer", "bigint"}


class ChunkPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    predicates: list[str]
    """SQL conditions, one per chunk; together they cover every row exactly once."""
    method: str
    """How the table was split, in words, for the report."""


def plan_chunks(conn: psycopg.Connection[Any], table: SourceTable, rows_per_chunk: int,
                max_chunk_bytes: int) -> ChunkPlan:
    wanted = max(math.ceil(table.estimated_rows / max(rows_per_chunk, 1)),
                 math.ceil(table.size_bytes / max(max_chunk_bytes, 1)), 1)
    if wanted == 1:
        return ChunkPlan(predicates=["TRUE"], method="one chunk (small table)")
    if len(table.pk) == 1 and table.pk[0].type_name in _INT_TYPES:
        return _integer_ranges(conn, table, wanted)
    if table.pk:
        return _sampled_ranges(conn, table, wanted)
    return _ctid_ranges(conn, table, wanted)


def _integer_ranges(conn: psycopg.Connection[Any], table: SourceTable, wanted: int) -> ChunkPlan:
    col = sql.Identifier(table.pk[0].name)
    row = conn.execute(sql.SQL("SELECT min({c}), max({c}) FROM {t}").format(c=col, t=table.ident)).fetchone()
    if row is None or row[0] is None:
        return ChunkPlan(predicates=["TRUE"], method="one chunk (empty table)")
    low, high = int(row[0]), int(row[1])
    step = max(1, math.ceil((high - low + 1) / wanted))
    bounds = list(range(low + step, high + 1, step))
    name = col.as_string(conn)
    return ChunkPlan(predicates=_between(name, [str(b) for b in bounds]),
                     method=f"{len(bounds) + 1} ranges of primary key {table.pk[0].name}")


def _sampled_ranges(conn: psycopg.Connection[Any], table: SourceTable, wanted: int) -> ChunkPlan:
    cols = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.pk)
    sample_rows = min(table.estimated_rows, wanted * 50)
    # SYSTEM samples whole pages: ask for at least 32 of them, or a small table yields no boundaries.
    pct = min(100.0, max(0.01, 100.0 * sample_rows / max(table.estimated_rows, 1), 3200.0 / max(table.pages, 1)))
    rows = conn.execute(sql.SQL("SELECT {c} FROM {t} TABLESAMPLE SYSTEM ({p}) ORDER BY {c}").format(
        c=cols, t=table.ident, p=sql.Literal(pct))).fetchall()
    if len(rows) < 2:
        return ChunkPlan(predicates=["TRUE"], method="one chunk (sample too small to split)")
    every = max(1, len(rows) // wanted)
    picked: list[tuple[Any, ...]] = []
    for r in rows[every::every]:
        if not picked or r != picked[-1]:
            picked.append(tuple(r))
    key = "(" + cols.as_string(conn) + ")"
    bounds = ["(" + ", ".join(_one_line_literal(conn, v) for v in r) + ")" for r in picked]
    return ChunkPlan(predicates=_between(key, bounds),
                     method=f"{len(bounds) + 1} sampled ranges of primary key ({', '.join(c.name for c in table.pk)})")


def _one_line_literal(conn: psycopg.Connection[Any], value: Any) -> str:
    """A literal with no raw line break: predicates travel as psql meta-commands, which end at a newline."""
    text = sql.Literal(value).as_string(conn)
    if "\n" not in text and "\r" not in text:
        return text
    # The quoted body holds no backslash unless it is already an E'' string (libpq switches to one for them).
    escaped = text if text.lstrip().startswith("E'") else "E" + text.lstrip().replace("\\", "\\\\")
    return escaped.replace("\n", "\\n").replace("\r", "\\r")


def _ctid_ranges(conn: psycopg.Connection[Any], table: SourceTable, wanted: int) -> ChunkPlan:
    version = conn.info.server_version
    if version < 140000 or table.pages <= 1:
        # Before PostgreSQL 14 a ctid range is a full scan per chunk: one scan is cheaper.
        return ChunkPlan(predicates=["TRUE"], method="one chunk (no primary key)")
    step = max(1, math.ceil(table.pages / wanted))
    bounds = [f"'({page},0)'::tid" for page in range(step, table.pages, step)]
    return ChunkPlan(predicates=_between("ctid", bounds),
                     method=f"{len(bounds) + 1} ranges of physical row position (ctid): the table has no primary "
                            "key, so chunks are verified as a whole table")


def _between(key: str, bounds: list[str]) -> list[str]:
    """Half-open ranges; the first and last are open-ended so no row can fall outside every chunk."""
    if not bounds:
        return ["TRUE"]
    preds = [f"{key} < {bounds[0]}"]
    preds += [f"{key} >= {lo} AND {key} < {hi}" for lo, hi in itertools.pairwise(bounds)]
    preds.append(f"{key} >= {bounds[-1]}")
    return preds
