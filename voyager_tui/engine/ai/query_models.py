"""What `ai analyze-queries` reports: ranked query patterns, table uses, index and colocation advice, and
the EXPLAIN evidence, as pydantic models (the `--json` output)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class QueryRef(BaseModel):
    """A ranked pattern an advice comes from."""

    rank: int
    queryid: str | None
    query: str
    calls: int
    tables: list[str] = Field(default_factory=list)
    table_names: list[tuple[str, str]] = Field(default_factory=list)
    """(schema, table) of each of `tables`, kept apart: a schema name may hold a dot."""


class QueryPattern(BaseModel):
    rank: int
    queryid: str | None
    query: str
    calls: int
    total_exec_time_ms: float
    mean_exec_time_ms: float
    rows: int
    score: float
    """Share of all calls plus share of all execution time (0..2)."""
    tables: list[str]
    """schema.table of the assessed tables the query reads or writes."""
    table_names: list[tuple[str, str]] = Field(default_factory=list)
    """The same tables as (schema, table)."""
    parsed: bool = True


class SkippedQuery(BaseModel):
    """A pattern of query-stats.csv that is neither advised on nor explained, and why."""

    queryid: str | None
    query: str
    calls: int
    reason: str


class TableUse(BaseModel):
    """How one statement uses one table."""

    table: str
    equality: list[str] = Field(default_factory=list)
    range: list[str] = Field(default_factory=list)
    join: list[str] = Field(default_factory=list)
    order_by: list[tuple[str, bool]] = Field(default_factory=list)
    """(column, descending)."""
    referenced: list[str] = Field(default_factory=list)
    """Every column of the table the statement reads (select list, predicates, GROUP BY, ...)."""
    star: bool = False
    """SELECT * (or t.*) reads every column: no covering index is proposed."""
    write: bool = False
    """UPDATE or DELETE: the index finds the rows; covering does not apply."""


class ExplainPlan(BaseModel):
    cost: float
    indexes: list[str]
    """Names of the indexes the plan scans."""
    summary: list[str]
    """The plan's first lines, as EXPLAIN prints them."""


class ExplainCheck(BaseModel):
    status: Literal["chosen", "usable", "not_used", "not_checked", "failed"]
    """chosen: the planner picked the new index with the target's statistics; usable: it uses it only with
    sequential scans disabled (the index fits the query but the planner prefers another plan, typically because
    the target's tables are still empty); not_used: not even then; not_checked: see detail; failed: the target
    rejected a statement (detail holds its error)."""
    detail: str
    queryid: str | None = None
    query: str | None = None
    before: ExplainPlan | None = None
    after: ExplainPlan | None = None
    forced: ExplainPlan | None = None
    """The plan with enable_seqscan = off, when the new index was not chosen."""

    @property
    def cost_change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after.cost - self.before.cost


class IndexAdvice(BaseModel):
    schema_name: str
    table_name: str
    index_name: str
    key_columns: list[str]
    descending: list[bool]
    include_columns: list[str]
    leading: Literal["HASH", "ASC"]
    """How the first key column is sharded on YugabyteDB."""
    sql_yugabytedb: str
    sql_postgresql: str
    reason: str
    extends: str | None = None
    """An existing index whose keys this one repeats, adding INCLUDE columns (drop it after creating this)."""
    sources: list[QueryRef]
    check: ExplainCheck | None = None

    @property
    def table(self) -> str:
        return f"{self.schema_name}.{self.table_name}"

    def sql_for(self, target_kind: str) -> str:
        return self.sql_yugabytedb if target_kind == "yugabytedb" else self.sql_postgresql


class SuppressedIndex(BaseModel):
    """A key the top patterns need that an existing index already serves."""

    table: str
    key_columns: list[str]
    served_by: str
    reason: str
    sources: list[QueryRef]


class ColocationAdvice(BaseModel):
    tables: list[str]
    reason: str
    sources: list[QueryRef]


class QueryAdvice(BaseModel):
    assessment_dir: str
    schemas: list[str]
    """The assessed schemas, in order: the search path the queries are explained with."""
    pg_stat_statements: str | None
    total_patterns: int
    """Patterns in query-stats.csv that touch the assessed schemas."""
    patterns: list[QueryPattern]
    indexes: list[IndexAdvice]
    suppressed: list[SuppressedIndex]
    colocation: list[ColocationAdvice]
    notes: list[str]
    skipped: list[SkippedQuery] = Field(default_factory=list)
    """Patterns left out because their text is not one plain statement (see statement_problem)."""
