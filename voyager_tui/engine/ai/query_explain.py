"""Check proposed indexes with EXPLAIN on the target, in a transaction that is rolled back.

For each index: the highest-ranked query it comes from is prepared (PREPARE infers the types of its $n
parameters) and explained as a generic plan (plan_cache_mode = force_generic_plan, so the NULL arguments passed to
EXECUTE are never looked at: the plan is the one for any value), then the index is created and the query explained
again. EXPLAIN never runs the query.

What the result proves: `chosen` means the planner picked the new index with the target's current statistics;
`usable` means it picked it only once sequential scans were disabled, i.e. the index matches the query's
predicates but the planner prefers another plan. That is the usual result on a target whose tables are still
empty (or not yet ANALYZEd), where a sequential scan of a few pages is cheapest; run the check again after the data
import for the real choice. Neither says how much faster production gets: the costs are the planner's estimates.

The query text comes from the assessment, not from us, so it is kept to one statement three times over: only a text
pglast parses to one SELECT/INSERT/UPDATE/DELETE/MERGE is checked (query_advice.statement_problem); every statement
goes through the extended protocol, whose Parse step refuses a second statement; and after each statement the
transaction is checked to be still ours (status in transaction plus a SET LOCAL marker, as validate.py does), so a
statement that ended it fails the check loudly. lock_timeout keeps CREATE INDEX from holding up writes to a busy table.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql

from ..connections import detect_target
from ..errors import one_line
from . import guarded_tx
from .query_advice import statement_problem
from .query_models import ExplainCheck, ExplainPlan, IndexAdvice, QueryAdvice

STATEMENT_TIMEOUT = "30s"
LOCK_TIMEOUT = "2s"
"""CREATE INDEX takes a SHARE lock: waiting behind a busy table's writers would block every writer queued after it."""
_STATEMENT = "voyager_tui_query_advice"
NOT_ROLLED_BACK = ("NOT rolled back: a statement ended the check's transaction, so what ran before that may have been "
                   "committed in the target: check it by hand")


class Escaped(Exception):
    """A statement ended the check's transaction: what ran before it may have been committed."""


def check_advice(conn: psycopg.Connection[Any], advice: QueryAdvice) -> QueryAdvice:
    """A copy of `advice` whose indexes carry the EXPLAIN evidence from the target behind `conn` (autocommit)."""
    kind = detect_target(conn).kind
    return advice.model_copy(update={"indexes": [check_index(conn, a, kind, advice.schemas) for a in advice.indexes]})


def check_index(conn: psycopg.Connection[Any], advice: IndexAdvice, target_kind: str,
                schemas: list[str]) -> IndexAdvice:
    source = advice.sources[0]
    base = {"queryid": source.queryid, "query": source.query}
    problem = statement_problem(source.query)
    if problem is not None:
        check = ExplainCheck(status="not_checked", detail=f"not checked: the query is not run on the target: "
                                                          f"{problem}", **base)
        return advice.model_copy(update={"check": check})
    tables = [(advice.schema_name, advice.table_name), *(source.table_names or map(_split, source.tables))]
    missing = [t for t in dict.fromkeys(tables) if not _exists(conn, *t)]
    if missing:
        check = ExplainCheck(status="not_checked", detail=f"not checked: table {'.'.join(missing[0])} not in "
                                                          "target (run import schema first)", **base)
        return advice.model_copy(update={"check": check})
    if _exists(conn, advice.schema_name, advice.index_name):
        check = ExplainCheck(status="not_checked", detail=f"not checked: the target already has an object named "
                                                          f"{advice.schema_name}.{advice.index_name}", **base)
        return advice.model_copy(update={"check": check})
    ddl = advice.sql_for(target_kind)
    if target_kind == "yugabytedb":
        # YugabyteDB builds indexes online by default, which cannot run inside a transaction block.
        ddl = ddl.replace("CREATE INDEX ", "CREATE INDEX NONCONCURRENTLY ", 1)
    try:
        check = _explain(conn, advice, ddl, schemas).model_copy(update=base)
    finally:
        _cleanup(conn, advice, target_kind)
    return advice.model_copy(update={"check": check})


def _explain(conn: psycopg.Connection[Any], advice: IndexAdvice, ddl: str, schemas: list[str]) -> ExplainCheck:
    before = after = forced = None
    step = "prepare the query"
    prepare = f"PREPARE {_STATEMENT} AS {advice.sources[0].query}"
    try:
        with conn.transaction(force_rollback=True):
            begin(conn, schemas)
            run(conn, prepare)
            row = run(conn, sql.SQL("SELECT cardinality(parameter_types) FROM pg_prepared_statements "
                                    "WHERE name = {}").format(sql.Literal(_STATEMENT))).fetchone()
            args = ", ".join(["NULL"] * (row[0] if row and row[0] else 0))
            execute = f"EXECUTE {_STATEMENT}" + (f"({args})" if args else "")
            step = "explain the query"
            before = _plan(conn, execute)
            step = "create the index"
            run(conn, ddl)
            step = "explain the query with the index"
            after = _plan(conn, execute)
            if advice.index_name not in after.indexes:
                step = "explain the query with sequential scans off"
                run(conn, "SET LOCAL enable_seqscan = off")
                # A setting does not invalidate the cached generic plan: prepare the query again.
                run(conn, f"DEALLOCATE {_STATEMENT}")
                run(conn, prepare)
                forced = _plan(conn, execute)
    except Escaped as exc:
        return ExplainCheck(status="failed", detail=f"step '{step}': {exc}; {NOT_ROLLED_BACK}",
                            before=before, after=after)
    except psycopg.errors.LockNotAvailable:
        return ExplainCheck(status="not_checked", before=before, after=after, detail=(
            f"not checked: the table is busy (the step '{step}' waited longer than lock_timeout {LOCK_TIMEOUT} "
            "for a lock held by other sessions); run the check again when it is quieter"))
    except psycopg.Error as exc:
        return ExplainCheck(status="failed", detail=f"target rejected the step '{step}': {one_line(exc)}",
                            before=before, after=after)
    finally:
        _settle(conn)
    change = after.cost - before.cost
    costs = f"estimated cost {before.cost:.2f} → {after.cost:.2f} ({change:+.2f})"
    if advice.index_name in after.indexes:
        return ExplainCheck(status="chosen", before=before, after=after,
                            detail=f"chosen: the plan uses {advice.index_name}; {costs}")
    assert forced is not None
    if advice.index_name in forced.indexes:
        return ExplainCheck(status="usable", before=before, after=after, forced=forced, detail=(
            f"usable: the plan uses {advice.index_name} once sequential scans are off (cost {forced.cost:.2f}); "
            f"with the target's current statistics the planner prefers {_first(after)} — expected while the "
            "target's tables are empty; check again after the data import"))
    return ExplainCheck(status="not_used", before=before, after=after, forced=forced,
                        detail=f"not used: the plan does not use {advice.index_name} even with sequential scans off "
                               f"({_first(forced)})")


def begin(conn: psycopg.Connection[Any], schemas: list[str]) -> None:
    """The settings of the check's transaction (just opened by the caller), with the marker run() looks for."""
    guarded_tx.mark(conn)
    run(conn, sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT)))
    run(conn, sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
    path = sql.SQL(", ").join(sql.Identifier(s) for s in dict.fromkeys([*schemas, "public"]))
    run(conn, sql.SQL("SET LOCAL search_path = {}").format(path))
    run(conn, "SET LOCAL plan_cache_mode = force_generic_plan")


def run(conn: psycopg.Connection[Any], statement: str | sql.Composed, *, check: bool = True) -> psycopg.Cursor[Any]:
    """Run one statement of the check; raise Escaped when the transaction is no longer the one the check opened.

    binary=True makes psycopg use the extended protocol even without parameters (the simple protocol runs every
    statement of a string): PostgreSQL's Parse refuses a text with more than one statement."""
    text = statement.encode() if isinstance(statement, str) else statement.as_bytes(conn)  # a % is not a placeholder
    cur = conn.execute(text, binary=True)
    if check:
        _still_ours(conn)
    return cur


def _still_ours(conn: psycopg.Connection[Any]) -> None:
    if guarded_tx.still_ours(conn):
        return
    raise Escaped("a statement ended the check's transaction (a COMMIT or ROLLBACK in it)")


_settle = guarded_tx.settle


def _plan(conn: psycopg.Connection[Any], execute: str) -> ExplainPlan:
    row = run(conn, f"EXPLAIN (FORMAT JSON) {execute}").fetchone()
    assert row is not None
    data = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    top = data[0]["Plan"]
    text = [str(r[0]) for r in run(conn, f"EXPLAIN {execute}").fetchall()]
    return ExplainPlan(cost=float(top["Total Cost"]), indexes=sorted(set(_index_names(top))),
                       summary=[line.rstrip() for line in text[:4]])


def _index_names(node: dict[str, Any]) -> list[str]:
    names = [node["Index Name"]] if "Index Name" in node else []
    for child in node.get("Plans", []):
        names += _index_names(child)
    return names


def _first(plan: ExplainPlan | None) -> str:
    return plan.summary[0].strip() if plan is not None and plan.summary else "another plan"


def _split(qualified: str) -> tuple[str, str]:
    """A "schema.table" of a QueryRef made without table_names (older JSON): split at the first dot."""
    schema, _, name = qualified.partition(".")
    return schema, name


def _exists(conn: psycopg.Connection[Any], schema: str, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL",
                       (schema, name)).fetchone()
    return bool(row and row[0])


def _cleanup(conn: psycopg.Connection[Any], advice: IndexAdvice, target_kind: str) -> None:
    """Prepared statements outlive a rollback: deallocate ours. A YugabyteDB without transactional DDL keeps the
    index after the rollback: drop it, so the check leaves nothing behind."""
    row = conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", (_STATEMENT,)).fetchone()
    if row and row[0]:
        conn.execute(f"DEALLOCATE {_STATEMENT}")
    if target_kind == "yugabytedb" and _exists(conn, advice.schema_name, advice.index_name):
        conn.execute(sql.SQL("DROP INDEX {}.{}").format(sql.Identifier(advice.schema_name),
                                                        sql.Identifier(advice.index_name)))
