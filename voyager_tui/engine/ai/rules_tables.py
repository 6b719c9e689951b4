"""Rules for tables and constraints: persistence, deferral, storage options, generated columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast, visitors
from pglast.stream import RawStream

from ..pipeline.import_schema import adapt_for_yugabytedb
from .models import Problem
from .rules_kit import (
    _AT,
    _CT,
    _DEFERRAL_ATTRS,
    _TUNING_CMDS,
    NoFix,
    _emit,
    _ident,
    _name,
    _only,
    _parse_one,
)

# ---- tables and constraints -----------------------------------------------------------------------------------

def _unlogged(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt = _only(stmts, (ast.CreateStmt, ast.CreateTableAsStmt))
    rel: Any = stmt.relation if isinstance(stmt, ast.CreateStmt) else stmt.into.rel
    if rel.relpersistence != "u":
        raise NoFix
    rel.relpersistence = "p"
    return (_emit([stmt]), "Remove UNLOGGED: the table becomes a normal table (every YugabyteDB table is durable).",
            ["Writes are replicated and logged, so bulk loads into it are slower than into an unlogged table."])


def _deferrable(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    changed = 0

    def fix(con: Any) -> None:
        nonlocal changed
        if con.contype != _CT.CONSTR_FOREIGN and (con.deferrable or con.initdeferred):
            con.deferrable = False
            con.initdeferred = False
            changed += 1

    def fix_column(col: Any) -> None:
        nonlocal changed
        kept: list[Any] = []
        owner: Any = None
        for con in col.constraints or ():
            if con.contype in _DEFERRAL_ATTRS:
                # Deferral attributes of a column follow the constraint they apply to; foreign keys keep theirs.
                if owner is not None and owner.contype != _CT.CONSTR_FOREIGN:
                    changed += 1
                    continue
            else:
                owner = con
            kept.append(con)
        col.constraints = tuple(kept) or None

    stmt: Any
    for stmt in stmts:
        if isinstance(stmt, ast.CreateStmt):
            for elt in stmt.tableElts or ():
                if isinstance(elt, ast.Constraint):
                    fix(elt)
                elif isinstance(elt, ast.ColumnDef):
                    fix_column(elt)
        elif isinstance(stmt, ast.AlterTableStmt):
            for cmd in stmt.cmds or ():
                if isinstance(cmd.def_, ast.Constraint):
                    fix(cmd.def_)
    if not changed:
        raise NoFix
    return (_emit(stmts), "Only foreign keys can be DEFERRABLE in YugabyteDB: make the constraint NOT DEFERRABLE.",
            ["The constraint is now checked at the end of each statement instead of at commit: code that leaves "
             "the table inconsistent between statements of a transaction (e.g. swapping unique values) must "
             "reorder its writes."])


def _storage_parameters(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    text, changes = adapt_for_yugabytedb(_emit(stmts))
    if not changes:
        raise NoFix
    what = "; ".join(dict.fromkeys(changes))
    reason = f"YugabyteDB rejects heap/btree tuning options: {what}."
    if not text.strip():
        reason += " Nothing is left of the statement, so the fix drops it."
    return text, reason, ["The options only tuned PostgreSQL storage; YugabyteDB's storage needs none of them."]


def _without_alter_cmds(stmts: list[ast.Node], label: Callable[[Any], str | None]) -> tuple[list[Any], list[str]]:
    """The statements without the ALTER TABLE sub-commands `label` names (an ALTER left empty goes entirely), and
    those names; NoFix when nothing was removed."""
    removed: list[str] = []
    out: list[Any] = []
    stmt: Any
    for stmt in stmts:
        if isinstance(stmt, ast.AlterTableStmt):
            kept = []
            for cmd in stmt.cmds or ():
                name = label(cmd)
                if name is None:
                    kept.append(cmd)
                else:
                    removed.append(name)
            if not kept:
                continue
            stmt.cmds = tuple(kept)
        out.append(stmt)
    if not removed:
        raise NoFix
    return out, removed


def _remove_tuning_cmds(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    out, removed = _without_alter_cmds(stmts, lambda cmd: _TUNING_CMDS.get(cmd.subtype))
    reason = f"Remove {', '.join(dict.fromkeys(removed))}: it tunes PostgreSQL storage or planning only."
    if not out:
        reason += " Nothing is left of the statement, so the fix drops it."
    return _emit(out), reason, []


def _exclusion(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt: Any = stmts[0]
    if len(stmts) != 1:
        raise NoFix
    if isinstance(stmt, ast.CreateStmt):
        kept = [e for e in stmt.tableElts or ()
                if not (isinstance(e, ast.Constraint) and e.contype == _CT.CONSTR_EXCLUSION)]
        if len(kept) == len(stmt.tableElts or ()):
            raise NoFix
        stmt.tableElts = tuple(kept)
        sql = _emit([stmt])
    elif isinstance(stmt, ast.AlterTableStmt) and all(
            isinstance(c.def_, ast.Constraint) and c.def_.contype == _CT.CONSTR_EXCLUSION for c in stmt.cmds or ()):
        sql = ""
    else:
        raise NoFix
    return (sql, "YugabyteDB has no exclusion constraints (they need a GiST index): drop the constraint.",
            ["The rule the constraint enforced (e.g. no overlapping ranges) is no longer checked by the database: "
             "enforce it in the application or with a trigger that looks for conflicting rows."])


class _PrefixNew(visitors.Visitor):
    """Rewrites the column references of a generation expression to NEW.<column> for a trigger body."""

    def visit_ColumnRef(self, ancestors: Any, node: Any) -> None:
        if len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
            node.fields = (ast.String(sval="new"), node.fields[0])


def _generated_columns(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt: Any = _only(stmts, ast.CreateStmt)
    assignments: list[str] = []
    for elt in stmt.tableElts or ():
        if not isinstance(elt, ast.ColumnDef):
            continue
        kept = []
        for con in elt.constraints or ():
            if con.contype == _CT.CONSTR_GENERATED and con.generated_when == "a":
                expr = con.raw_expr
                _PrefixNew()(expr)
                col = RawStream()(ast.ColumnRef(fields=(ast.String(sval="new"), ast.String(sval=elt.colname))))
                assignments.append(f"    {col} := {RawStream()(expr)};")
            else:
                kept.append(con)
        elt.constraints = tuple(kept) or None
    if not assignments:
        raise NoFix
    rel = stmt.relation
    func_rv = ast.RangeVar(schemaname=rel.schemaname, relname=f"{rel.relname}_generated_columns",
                           inh=True, relpersistence="p")
    func = _name(func_rv)
    trigger = RawStream()(ast.ColumnRef(fields=(ast.String(sval=f"{rel.relname}_generated_columns"),)))
    body = "\n".join(assignments)
    sql = (f"{_emit([stmt])}\n"
           f"CREATE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS $voyager$\nBEGIN\n{body}\n"
           f"    RETURN NEW;\nEND\n$voyager$;\n"
           f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {_name(rel)} "
           f"FOR EACH ROW EXECUTE FUNCTION {func}()")
    return (sql, "Stored generated columns need a PostgreSQL 15-based YugabyteDB: keep a plain column and compute "
            "it with a BEFORE INSERT OR UPDATE trigger.",
            ["Unlike a generated column, the column can be written directly; the trigger overwrites such writes.",
             "Import data with the trigger enabled recomputes the values; they match the source only if the "
             "expression is deterministic."])


def _compression(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    if all(isinstance(s, ast.AlterTableStmt) for s in stmts):
        return _remove_tuning_cmds(stmts, problem)  # ALTER TABLE ... SET COMPRESSION
    stmt: Any = _only(stmts, ast.CreateStmt)
    cols = [e for e in stmt.tableElts or () if isinstance(e, ast.ColumnDef) and e.compression]
    if not cols:
        raise NoFix
    for col in cols:
        col.compression = None
    return _emit([stmt]), "Remove the COMPRESSION clause: YugabyteDB compresses data in DocDB itself.", []


def _constraint_trigger(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    trg: Any = _only(stmts, ast.CreateTrigStmt)
    if not trg.isconstraint:
        raise NoFix
    trg.isconstraint = False
    trg.deferrable = False
    trg.initdeferred = False
    trg.constrrel = None
    return (_emit([trg]), "CREATE CONSTRAINT TRIGGER is not supported: create a normal AFTER trigger.",
            ["The trigger fires at the end of each statement, never deferred to commit."])


def _drop_index_concurrently(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    drop: Any = _only(stmts, ast.DropStmt)
    if not drop.concurrent:
        raise NoFix
    drop.concurrent = False
    return _emit([drop]), "DROP INDEX CONCURRENTLY is not supported: drop the index normally.", [
        "The drop takes a brief exclusive lock on the table."]


def _remove_table_of(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    out, _ = _without_alter_cmds(stmts, lambda cmd: "OF" if cmd.subtype in (_AT.AT_AddOf, _AT.AT_DropOf) else None)
    reason = "Remove [NOT] OF <type>: YugabyteDB cannot bind a table to a composite type."
    if not out:
        reason += " Nothing is left of the statement, so the fix drops it."
    return _emit(out), reason, ["The table no longer depends on the type: changing or dropping the type does not "
                                "follow through to the table."]


def _disable_rule_to_drop(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt: Any = _only(stmts, ast.AlterTableStmt)
    rules = [c.name for c in stmt.cmds or () if c.subtype == _AT.AT_DisableRule]
    if not rules:
        raise NoFix
    kept = [c for c in stmt.cmds or () if c.subtype != _AT.AT_DisableRule]
    table = _name(stmt.relation)
    out: list[Any] = [_parse_one(f"DROP RULE {_ident(r)} ON {table}") for r in rules]
    if kept:
        stmt.cmds = tuple(kept)
        out.insert(0, stmt)
    return (_emit(out), "Rules cannot be disabled in YugabyteDB: drop the rule, which has the same effect as "
            "disabling it.", ["To enable the rule again, re-create it with CREATE RULE."])


