"""Prove a suggestion on the real target: run it in a transaction that is always rolled back, plus a smoke check.

PostgreSQL (and YugabyteDB with transactional DDL) rolls back DDL, so nothing of the suggestion, its setup or the
probe rows persists. Where a rolled-back transaction may leave DDL behind, the suggestion runs redirected into a
scratch schema that is dropped afterwards, still in a rolled-back transaction (see scratch.py). SQL that would end
that transaction itself (BEGIN/COMMIT...) or reach beyond it is refused before anything runs, and after every
statement the transaction is checked to be still ours. The evidence lists every statement run, the smoke check,
what the target answered and which of the two modes was used.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import psycopg
from pglast import ast, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from psycopg import sql
from psycopg.pq import TransactionStatus

from ..errors import one_line
from . import guarded_tx, scratch
from .models import Suggestion, ValidationStatus

STATEMENT_TIMEOUT = "30s"
"""A suggestion that hangs (lock wait, runaway function) fails validation instead of blocking the review."""


Mode = Literal["auto", "rollback", "scratch"]

_DDL_MODE: dict[tuple[str, int, str, str], Literal["rollback", "scratch"]] = {}
"""Per target (host, port, database, version()): the probe creates and drops a schema, so it runs once."""


KEPT_NOTHING = "rolled back: nothing was kept in the target"
NOT_ROLLED_BACK = ("NOT rolled back: the SQL ended the validation's transaction itself, so what ran before that may "
                   "have been committed in the target: check it by hand")


class _Failed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Escaped(_Failed):
    """The SQL ended validation's transaction: what ran before that may have been committed."""


def validate(conn: psycopg.Connection[Any], suggestion: Suggestion, *,
             setup_sql: list[str] | None = None, mode: Mode = "auto") -> Suggestion:
    """Run `setup_sql` (objects the suggestion depends on) and the suggested SQL on the target, then smoke-check
    the objects it creates, all in one transaction that is rolled back ("rollback"), or redirected into a scratch
    schema that is dropped ("scratch"); "auto" picks rollback unless the target keeps rolled-back DDL. Returns a
    copy with the status and the evidence set."""
    if (ddl_mode(conn) if mode == "auto" else mode) == "scratch":
        return _validate_in_scratch(conn, suggestion, setup_sql or [])
    evidence: list[str] = []
    try:
        unparsed = scratch.refuse_unsafe(_texts(setup_sql or [], suggestion.suggested_sql), scratch_mode=False)
    except scratch.Refused as refused:
        evidence += [f"not run: {refused.message}", "nothing was run in the target"]
        return _result(suggestion, ValidationStatus.INVALID, evidence)
    status = ValidationStatus.VALID
    kept = KEPT_NOTHING
    if unparsed:
        # The target decides on SQL pglast cannot parse; only the transaction check after each statement guards it.
        kept += (f" (pglast cannot parse the {', '.join(unparsed)}: it was run unchecked for COMMIT/BEGIN; a "
                 "statement that ended the transaction would have been reported)")
    try:
        with conn.transaction(force_rollback=True):
            _begin(conn)
            _execute(conn, setup_sql or [], suggestion.suggested_sql, "suggested SQL", evidence)
    except _Escaped as escaped:
        status = ValidationStatus.INVALID
        evidence.append(escaped.message)
        kept = NOT_ROLLED_BACK
    except (_Failed, psycopg.Error) as exc:
        status = ValidationStatus.INVALID
        evidence.append(_why_invalid(exc))
    finally:
        _settle(conn)
    evidence.append(kept)
    return _result(suggestion, status, evidence)


def _why_invalid(exc: BaseException) -> str:
    return exc.message if isinstance(exc, _Failed) else f"target error: {one_line(exc)}"


def _result(suggestion: Suggestion, status: ValidationStatus, evidence: list[str]) -> Suggestion:
    return suggestion.model_copy(update={"validation_status": status, "validation_evidence": "\n".join(evidence)})


def _texts(setup: list[str], suggested: str) -> list[tuple[str, str]]:
    return [*((f"setup statement {n}", text) for n, text in enumerate(setup, 1)), ("suggested SQL", suggested)]


def _begin(conn: psycopg.Connection[Any]) -> None:
    conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT)))
    guarded_tx.mark(conn)


_settle = guarded_tx.settle


def ddl_mode(conn: psycopg.Connection[Any]) -> Literal["rollback", "scratch"]:
    """"rollback" where the target rolls back DDL, else "scratch". PostgreSQL always does; a YugabyteDB target is
    probed once (it depends on version and flags): create a throwaway schema and table, roll back, look for them."""
    row = conn.execute("SELECT version()").fetchone()
    version = str(row[0]) if row else ""
    if "-YB-" not in version:
        return "rollback"
    key = (str(conn.info.host), int(conn.info.port), str(conn.info.dbname), version)
    if key not in _DDL_MODE:
        _DDL_MODE[key] = "rollback" if ddl_rolls_back(conn) else "scratch"
    return _DDL_MODE[key]


def ddl_rolls_back(conn: psycopg.Connection[Any]) -> bool:
    """Whether a schema and table created in a rolled-back transaction are gone afterwards (any leftover is
    dropped). A target that refuses DDL in a transaction block counts as not rolling back."""
    name = f"ybvoyager_ddlprobe_{uuid.uuid4().hex[:12]}"
    schema = sql.Identifier(name)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            conn.execute(sql.SQL("CREATE TABLE {}.probe (id int)").format(schema))
    except psycopg.Error:
        pass
    row = conn.execute("SELECT to_regnamespace(%s) IS NOT NULL OR to_regclass(%s) IS NOT NULL",
                       (scratch.quote(name), f"{scratch.quote(name)}.probe")).fetchone()
    kept = bool(row and row[0])
    if kept:
        with conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
    return not kept


def _validate_in_scratch(conn: psycopg.Connection[Any], suggestion: Suggestion, setup_sql: list[str]) -> Suggestion:
    """The same statements and smoke checks, rewritten into a fresh scratch schema (so a target without
    transactional DDL cannot leave anything elsewhere) in a transaction that is rolled back; the schema is always
    dropped afterwards."""
    name = f"{scratch.SCRATCH_PREFIX}{uuid.uuid4().hex[:12]}"
    evidence: list[str] = [f"mode: scratch schema {name} (the target may keep DDL that is rolled back)"]
    status = ValidationStatus.VALID
    created = escaped = False
    try:
        scratch.refuse_unsafe(_texts(setup_sql, suggestion.suggested_sql), scratch_mode=True)
        plan = scratch.plan(conn, name, setup_sql, suggestion.suggested_sql)
        path = conn.execute("SELECT current_schemas(false)").fetchone()
        originals = [str(s) for s in (path[0] if path else []) if s != name]
        with conn.transaction():
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        created = True
        evidence.extend(plan.notes)
        with conn.transaction(force_rollback=True):
            _begin(conn)
            conn.execute(sql.SQL("SET LOCAL search_path = {}").format(
                sql.SQL(", ").join(sql.Identifier(s) for s in [name, *originals])))
            for src in plan.copies:
                ran = scratch.copy_relation(conn, name, src)
                evidence.append(f"-- scratch copy of {src.schema}.{src.name} (structure only, no rows)\n"
                                + ";\n".join(ran))
            _execute(conn, plan.setup, plan.suggestion, "suggested SQL (redirected into the scratch schema)",
                     evidence)
    except scratch.Refused as refused:
        status = ValidationStatus.INVALID
        evidence.append(f"not run: {refused.message}")
    except (_Failed, psycopg.Error) as exc:
        status = ValidationStatus.INVALID
        escaped = isinstance(exc, _Escaped)
        evidence.append(_why_invalid(exc))
    finally:
        _settle(conn)
        if created:
            evidence.append(_drop_scratch(conn, name, escaped))
    evidence.append("function bodies are not rewritten: their unqualified names resolve to the scratch schema first")
    return _result(suggestion, status, evidence)


def _drop_scratch(conn: psycopg.Connection[Any], name: str, escaped: bool) -> str:
    try:
        with conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return f"could not drop scratch schema {name} ({one_line(exc)}): drop it by hand"
    if escaped:
        return f"scratch schema {name} dropped; {NOT_ROLLED_BACK}"
    return f"validated in scratch schema {name}, rolled back and dropped: nothing was kept in the target"


def _execute(conn: psycopg.Connection[Any], setup: list[str], suggested: str, what: str,
             evidence: list[str]) -> None:
    for stmt in setup:
        _run(conn, stmt, "setup", evidence)
    if not suggested.strip():
        evidence.append("nothing to run: the fix drops the object")
        return
    _run(conn, suggested, what, evidence)
    for check in _smoke_checks(suggested):
        check(conn, evidence)


def _run(conn: psycopg.Connection[Any], text: str, what: str, evidence: list[str]) -> None:
    evidence.append(f"-- {what}\n{text.strip()}")
    try:
        conn.execute(text.encode())  # bytes: a literal % in DDL is not a placeholder
    except psycopg.Error as exc:
        if conn.info.transaction_status != TransactionStatus.INERROR:
            # A failing statement leaves our transaction in error; idle means the SQL ended it before failing.
            raise _Escaped(f"the {what} ended the validation's transaction and then failed: "
                           f"{one_line(exc)}") from None
        raise _Failed(f"target rejected the {what}: {one_line(exc)}") from None
    _still_ours(conn, what)
    evidence.append(f"ok: {what} ran")


def _still_ours(conn: psycopg.Connection[Any], what: str) -> None:
    if guarded_tx.still_ours(conn):
        return
    raise _Escaped(f"the {what} ended the validation's transaction (a COMMIT or ROLLBACK in it): validation failed")


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
