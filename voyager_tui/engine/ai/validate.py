"""Prove a suggestion on the real target: run it in a transaction that is always rolled back, plus a smoke check.

PostgreSQL (and YugabyteDB with transactional DDL) rolls back DDL, so nothing of the suggestion, its setup or the
probe rows persists. The evidence lists every statement run, the smoke check and what the target answered.
"""

from __future__ import annotations

from typing import Any

import psycopg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from psycopg import sql

from ..errors import one_line
from .models import Suggestion, ValidationStatus

STATEMENT_TIMEOUT = "30s"
"""A suggestion that hangs (lock wait, runaway function) fails validation instead of blocking the review."""


class _Failed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate(conn: psycopg.Connection[Any], suggestion: Suggestion, *,
             setup_sql: list[str] | None = None) -> Suggestion:
    """Run `setup_sql` (objects the suggestion depends on) and the suggested SQL on the target, then smoke-check
    the objects it creates, all in one transaction that is rolled back. Returns a copy with the status and the
    evidence set."""
    evidence: list[str] = []
    status = ValidationStatus.VALID
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT)))
            for stmt in setup_sql or []:
                _run(conn, stmt, "setup", evidence)
            if not suggestion.suggested_sql.strip():
                evidence.append("nothing to run: the fix drops the object")
            else:
                _run(conn, suggestion.suggested_sql, "suggested SQL", evidence)
                for check in _smoke_checks(suggestion.suggested_sql):
                    check(conn, evidence)
    except _Failed as failed:
        status = ValidationStatus.INVALID
        evidence.append(failed.message)
    except psycopg.Error as exc:
        status = ValidationStatus.INVALID
        evidence.append(f"target error: {one_line(exc)}")
    evidence.append("rolled back: nothing was kept in the target")
    return suggestion.model_copy(update={"validation_status": status, "validation_evidence": "\n".join(evidence)})


def _run(conn: psycopg.Connection[Any], text: str, what: str, evidence: list[str]) -> None:
    evidence.append(f"-- {what}\n{text.strip()}")
    try:
        conn.execute(text.encode())  # bytes: a literal % in DDL is not a placeholder
    except psycopg.Error as exc:
        raise _Failed(f"target rejected the {what}: {one_line(exc)}") from None
    evidence.append(f"ok: {what} ran")


Check = Any


def _smoke_checks(text: str) -> list[Check]:
    try:
        stmts = [raw.stmt for raw in parse_sql(text) if raw.stmt is not None]
    except ParseError:
        # The target accepted it, so only our parser lags behind: skip the smoke check, say so.
        def no_check(conn: psycopg.Connection[Any], evidence: list[str]) -> None:
            evidence.append("no smoke check: the statement ran but pglast cannot parse it")
        return [no_check]
    checks: list[Check] = []
    node: Any
    for node in stmts:
        if isinstance(node, ast.CreateStmt):
            checks.append(_table_check(_sql(node.relation)))
        elif isinstance(node, ast.IndexStmt):
            checks.append(_explain_check(f"SELECT * FROM {_sql(node.relation)}", "index's table"))
        elif isinstance(node, ast.ViewStmt):
            checks.append(_explain_check(f"SELECT * FROM {_sql(node.view)}", "view"))
        elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
            checks.append(_explain_check(f"SELECT * FROM {_sql(node.into.rel)}", "materialized view"))
        elif isinstance(node, ast.CreateFunctionStmt):
            checks.append(_function_check(node))
        elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            checks.append(_explain_check(f"SELECT * FROM {_sql(node.relation)}", "altered table"))
    return checks


def _table_check(table: str) -> Check:
    def check(conn: psycopg.Connection[Any], evidence: list[str]) -> None:
        probe = f"INSERT INTO {table} DEFAULT VALUES RETURNING *"
        evidence.append(f"-- smoke check: insert a probe row of defaults/NULLs and read it back\n{probe}")
        try:
            with conn.transaction():
                row = conn.execute(probe.encode()).fetchone()
                count = conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()
            evidence.append(f"ok: probe row {row!r} inserted; the table holds {count[0] if count else 0} row(s)")
            return
        except psycopg.errors.IntegrityError as exc:
            # NOT NULL / CHECK / FK columns without defaults: the table exists, a probe of defaults cannot go in.
            evidence.append(f"probe row not possible ({one_line(exc)}); reading the table instead")
        except psycopg.Error as exc:
            raise _Failed(f"smoke check failed on {table}: {one_line(exc)}") from None
        _explain_check(f"SELECT * FROM {table}", "table")(conn, evidence)
    return check


def _explain_check(query: str, what: str) -> Check:
    def check(conn: psycopg.Connection[Any], evidence: list[str]) -> None:
        stmt = f"EXPLAIN {query}"
        evidence.append(f"-- smoke check: plan a query on the {what}\n{stmt}")
        try:
            plan = conn.execute(stmt.encode()).fetchall()
        except psycopg.Error as exc:
            raise _Failed(f"smoke check failed: {one_line(exc)}") from None
        evidence.append("ok: " + " | ".join(str(r[0]).strip() for r in plan[:3]))
    return check


def _function_check(node: Any) -> Check:
    parts = [str(n.sval) for n in node.funcname]
    schema, fname = (parts[-2] if len(parts) > 1 else None), parts[-1]
    qualified = ".".join(RawStream()(ast.ColumnRef(fields=(ast.String(sval=p),))) for p in parts)
    returns = _type_text(node.returnType)
    takes_args = any(p.mode is None or p.mode.name != "FUNC_PARAM_OUT" for p in node.parameters or ())

    def check(conn: psycopg.Connection[Any], evidence: list[str]) -> None:
        if node.is_procedure or takes_args or returns in ("trigger", "event_trigger"):
            # Trigger functions cannot be called directly; functions with arguments need values we do not have.
            evidence.append(f"-- smoke check: function {qualified} exists in pg_proc")
            row = conn.execute(
                """SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE p.proname = %s AND (n.nspname = %s OR (%s::text IS NULL AND pg_function_is_visible(p.oid)))""",
                (fname, schema, schema)).fetchone()
            if not row or not row[0]:
                raise _Failed(f"smoke check failed: function {qualified} does not exist after the suggested SQL")
            evidence.append(f"ok: {row[0]} function(s) named {qualified}")
            return
        stmt = f"SELECT {qualified}()"
        evidence.append(f"-- smoke check: call the function (it takes no arguments)\n{stmt}")
        try:
            with conn.transaction():
                got = conn.execute(stmt.encode()).fetchone()
        except psycopg.Error as exc:
            raise _Failed(f"smoke check failed: {one_line(exc)}") from None
        evidence.append(f"ok: returned {got[0] if got else None!r}")
    return check


def _sql(node: Any) -> str:
    return str(RawStream()(node))


def _type_text(tn: Any) -> str:
    if tn is None or not tn.names:
        return ""
    return str(tn.names[-1].sval).lower()
