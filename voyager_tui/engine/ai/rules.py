"""The built-in rule provider: offline, deterministic fixes for catalog issues that have a mechanical workaround.

Each rule parses the object's DDL with pglast, changes the AST and prints it again, so the fix keeps every part of
the statement it does not need to touch. Issues with no mechanical fix (inheritance, unsupported datatypes, ...)
get no suggestion (None); the LLM provider or a human handles those. NOT_MECHANICAL lists each such catalog
issue type with the reason, so every catalog entry is either fixed here or explained.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import combinations
from types import MappingProxyType
from typing import Any

from pglast import ast, enums, parse_sql, visitors
from pglast.parser import ParseError
from pglast.stream import RawStream

from ..pipeline.import_schema import adapt_for_yugabytedb
from ..schema.catalog import (
    CATALOG,
    INDEX_UNSUPPORTED_TYPES,
    LIVE_MIGRATION_UNSUPPORTED_TYPES,
    MYSQL_UNSUPPORTED_DATATYPES,
    ORACLE_UNSUPPORTED_DATATYPES,
    UNSUPPORTED_DATATYPES,
    Category,
    index_issue_id,
    pk_uk_issue_id,
    source_datatype_issue_id,
)
from .models import Problem, Suggestion

PROVIDER = "rules"

_CT = enums.ConstrType
_AT = enums.AlterTableType
_DEFERRAL_ATTRS = (_CT.CONSTR_ATTR_DEFERRABLE, _CT.CONSTR_ATTR_NOT_DEFERRABLE, _CT.CONSTR_ATTR_DEFERRED,
                   _CT.CONSTR_ATTR_IMMEDIATE)
# Index methods YugabyteDB lacks; a btree (LSM) index on the same columns serves equality and range lookups.
_UNSUPPORTED_METHODS = {"UNSUPPORTED_GIST_INDEX_METHOD": "gist", "UNSUPPORTED_BRIN_INDEX_METHOD": "brin",
                        "UNSUPPORTED_SPGIST_INDEX_METHOD": "spgist"}
# Column types GIN indexes natively; everything else is indexed through its text form.
_GIN_TYPES = frozenset({"tsvector", "jsonb", "array"})
# Large or unordered values: key on a hash of the text form (bounded size); the rest on the text form itself.
_HASHED_TYPES = frozenset({"tsvector", "tsquery", "jsonb", "json", "array", "user_defined", "circle", "box",
                           "line", "lseg", "point", "path", "polygon", "txid_snapshot"})
# ALTER TABLE sub-commands that only tune storage or the planner: removing them changes no data or behaviour.
_TUNING_CMDS = {
    _AT.AT_SetStatistics: "SET STATISTICS", _AT.AT_SetOptions: "ALTER COLUMN ... SET (...)",
    _AT.AT_ResetOptions: "ALTER COLUMN ... RESET (...)", _AT.AT_SetStorage: "SET STORAGE",
    _AT.AT_SetCompression: "SET COMPRESSION", _AT.AT_ClusterOn: "CLUSTER ON", _AT.AT_DropCluster: "SET WITHOUT CLUSTER",
    _AT.AT_SetRelOptions: "SET (...)", _AT.AT_ResetRelOptions: "RESET (...)",
}


_WITH_OIDS = re.compile(r"\bWITH\s+OIDS\b", re.IGNORECASE)
# UNIQUE NULLS NOT DISTINCT over n columns becomes 2^n - 1 partial unique indexes: keep that small.
_MAX_NULLS_NOT_DISTINCT_COLUMNS = 3


class NoFix(Exception):
    """The statement does not have the shape a rule can fix mechanically."""


def suggest(problem: Problem) -> Suggestion | None:
    """A mechanical fix for `problem`, or None when its issue type has none (or the DDL does not parse)."""
    rule = _rule_for(problem.issue_type)
    if rule is None:
        return None
    text = problem.original_sql
    if problem.issue_type == "WITH_OIDS":
        # PostgreSQL 12+ grammar (pglast's) has no WITH OIDS: take the clause out before parsing.
        text = _WITH_OIDS.sub("", text)
    try:
        stmts = [raw.stmt for raw in parse_sql(text) if raw.stmt is not None]
    except ParseError:
        return None
    if not stmts:
        return None
    try:
        sql, reason, caveats = rule(stmts, problem)
    except NoFix:
        return None
    return Suggestion(object_type=problem.object_type, object_name=problem.object_name, issue_type=problem.issue_type,
                      original_sql=problem.original_sql, suggested_sql=sql, reason=reason, caveats=caveats,
                      provider=PROVIDER)


Rule = Callable[[list[ast.Node], Problem], tuple[str, str, list[str]]]


def _rule_for(issue_type: str) -> Rule | None:
    if issue_type in _UNSUPPORTED_METHODS:
        return _index_method_to_btree
    if issue_type.startswith("PK_UK_ON_") and issue_type.endswith("_DATATYPE"):
        return _pk_uk_alternative
    if issue_type.startswith("INDEX_ON_") and issue_type.endswith("_DATATYPE"):
        return _index_on_expression
    return _RULES.get(issue_type)


def _parse_one(text: str) -> Any:
    # pglast's stubs make every field Optional; the shapes checked here are known from the grammar.
    return parse_sql(text)[0].stmt


def _emit(stmts: list[Any]) -> str:
    return "".join(f"{RawStream()(s)};\n" for s in stmts).rstrip("\n")


def _only(stmts: list[ast.Node], kind: type[Any] | tuple[type[Any], ...]) -> Any:
    if len(stmts) != 1 or not isinstance(stmts[0], kind):
        raise NoFix
    return stmts[0]


def _name(rv: ast.RangeVar) -> str:
    return RawStream()(rv)


# ---- indexes --------------------------------------------------------------------------------------------------

def _index_method_to_btree(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    idx: Any = _only(stmts, ast.IndexStmt)
    method = (idx.accessMethod or "").lower()
    # An operator class belongs to the old method (gist_trgm_ops, inet_ops, ...): a btree on such a column or
    # expression would not serve the queries the index was built for, so the honest fix is to drop it.
    if any(elem.opclass for elem in idx.indexParams or ()):
        return "", (f"Drop the {method.upper()} index: its operator class has no btree equivalent "
                    "in YugabyteDB."), [f"Queries that used the {method.upper()} index (e.g. similarity, overlap or "
                                        "containment searches) will scan the table; index them another way."]
    idx.accessMethod = "btree"
    idx.options = None
    caveats = ["A btree (LSM) index serves equality, range and ORDER BY lookups on these columns; operators "
               f"specific to {method.upper()} (overlap, containment, nearest-neighbour) are not accelerated."]
    if method == "brin":
        caveats.append("A btree index is much larger than a BRIN index and is maintained on every write.")
    return (_emit([idx]), f"YugabyteDB has no {method.upper()} access method: index the same columns with btree.",
            caveats)


def _multi_column_gin(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    idx: Any = _only(stmts, ast.IndexStmt)
    params = list(idx.indexParams or ())
    if len(params) < 2 or any(p.name is None for p in params):
        raise NoFix
    out = []
    for elem in params:
        one = _parse_one(RawStream()(idx))
        one.indexParams = (elem,)
        one.idxname = f"{idx.idxname}_{elem.name}" if idx.idxname else None
        out.append(one)
    return (_emit(out), "A YugabyteDB GIN index covers one column: create one GIN index per column.",
            ["Queries that combine conditions on several columns use one index each (bitmap-style combining is "
             "not available), which may be slower than the multi-column index."])


def _ordered_gin(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    idx: Any = _only(stmts, ast.IndexStmt)
    for elem in idx.indexParams or ():
        elem.ordering = enums.SortByDir.SORTBY_DEFAULT
        elem.nulls_ordering = enums.SortByNulls.SORTBY_NULLS_DEFAULT
    return _emit([idx]), "GIN index columns cannot be ordered: remove ASC/DESC/NULLS from the columns.", []


def _key_expression(col: str, type_key: str) -> Any:
    quoted = RawStream()(ast.ColumnRef(fields=(ast.String(sval=col),)))
    if type_key == "citext":
        text = f"lower({quoted}::text)"
    elif type_key in _HASHED_TYPES:
        text = f"md5({quoted}::text)"
    else:
        text = f"({quoted}::text)"
    return _parse_one(f"SELECT {text}").targetList[0].val


def _type_key(problem: Problem, prefix: str) -> str:
    key = problem.issue_type[len(prefix):-len("_DATATYPE")].lower()
    if key not in INDEX_UNSUPPORTED_TYPES:
        raise NoFix
    return key


def _index_on_expression(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    idx: Any = _only(stmts, ast.IndexStmt)
    type_key = _type_key(problem, "INDEX_ON_")
    assert index_issue_id(type_key) == problem.issue_type
    params = list(idx.indexParams or ())
    if not params or any(p.name is None for p in params):
        raise NoFix
    if type_key in _GIN_TYPES and len(params) == 1 and not idx.unique:
        idx.accessMethod = "gin"
        idx.options = None
        params[0].ordering = enums.SortByDir.SORTBY_DEFAULT
        return (_emit([idx]), f"A btree index on a {type_key} column is not possible: index it with GIN, which "
                "serves containment and full-text searches.",
                ["GIN does not serve equality on the whole value, range conditions or ORDER BY on this column."])
    # Without column types only the index's own columns are known: every column goes through its text form.
    for elem in params:
        elem.expr = _key_expression(elem.name, type_key)
        elem.name = None
        elem.opclass = None
    return (_emit([idx]), f"A btree index on a {type_key} column is not possible: index an expression of a "
            "supported type instead.",
            ["Queries use the index only when they filter on the same expression (e.g. WHERE col::text = '...')."])


def _pk_uk_alternative(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    type_key = _type_key(problem, "PK_UK_ON_")
    assert pk_uk_issue_id(type_key) == problem.issue_type
    stmt: Any = stmts[0]
    if len(stmts) != 1:
        raise NoFix
    table: Any
    types: dict[str, str] = {}
    keys: list[tuple[Any, str | None]]
    if isinstance(stmt, ast.CreateStmt):
        table = stmt.relation
        types = {str(e.colname): _type_name(e.typeName) for e in stmt.tableElts or () if isinstance(e, ast.ColumnDef)}
        keys, kept = _take_keys_from_table(stmt, types, type_key)
        stmt.tableElts = tuple(kept)
        out: list[Any] = [stmt]
    elif isinstance(stmt, ast.AlterTableStmt) and _single_constraint(stmt) is not None:
        table = stmt.relation
        con = _single_constraint(stmt)
        if con.contype not in (_CT.CONSTR_PRIMARY, _CT.CONSTR_UNIQUE):
            raise NoFix
        keys = [(con, None)]
        out = []
    else:
        raise NoFix
    if not keys:
        raise NoFix
    for con, colname in keys:
        cols = [k.sval for k in con.keys or ()] or ([colname] if colname else [])
        if not cols:
            raise NoFix
        if con.contype == _CT.CONSTR_PRIMARY:
            out.extend(_not_null(stmt, cols))
        elems = tuple(
            ast.IndexElem(expr=_key_expression(c, type_key), ordering=enums.SortByDir.SORTBY_DEFAULT,
                          nulls_ordering=enums.SortByNulls.SORTBY_NULLS_DEFAULT)
            if types.get(c, type_key) == type_key else
            ast.IndexElem(name=c, ordering=enums.SortByDir.SORTBY_DEFAULT,
                          nulls_ordering=enums.SortByNulls.SORTBY_NULLS_DEFAULT)
            for c in cols)
        name = con.conname or f"{table.relname}_{'_'.join(cols)}_key"
        out.append(ast.IndexStmt(idxname=name, relation=table, accessMethod="btree", indexParams=elems, unique=True))
    return (_emit(out), f"A primary key or unique constraint on a {type_key} column cannot be created: enforce "
            "uniqueness with a unique index on the value's text form (or its md5 hash) instead.",
            ["Uniqueness is checked on the text form, which can differ from the type's own equality (e.g. json "
             "whitespace, '1 day' vs '24 hours').",
             "A former primary key is now a unique index on NOT NULL columns: the table has no primary key "
             "(YugabyteDB adds a hidden row id) and foreign keys cannot reference an expression index."])


def _not_null(stmt: Any, cols: list[str]) -> list[Any]:
    """Keep the NOT NULL a primary key implied: on the column definitions, or as ALTER TABLE statements."""
    if isinstance(stmt, ast.CreateStmt):
        for elt in stmt.tableElts or ():
            if isinstance(elt, ast.ColumnDef) and elt.colname in cols and not any(
                    c.contype == _CT.CONSTR_NOTNULL for c in elt.constraints or ()):
                elt.constraints = (*(elt.constraints or ()), ast.Constraint(contype=_CT.CONSTR_NOTNULL))
        return []
    table = RawStream()(stmt.relation)
    return [_parse_one(f"ALTER TABLE {table} ALTER COLUMN {RawStream()(ast.ColumnRef(fields=(ast.String(sval=c),)))} "
                       "SET NOT NULL") for c in cols]


def _single_constraint(stmt: Any) -> Any:
    cmds = list(stmt.cmds or ())
    return cmds[0].def_ if len(cmds) == 1 and isinstance(cmds[0].def_, ast.Constraint) else None


def _type_name(tn: Any) -> str:
    if tn is None or not tn.names:
        return ""
    if tn.arrayBounds:
        return "array"
    return str(tn.names[-1].sval).lower()


def _take_keys_from_table(stmt: Any, types: dict[str, str],
                          type_key: str) -> tuple[list[tuple[Any, str | None]], list[Any]]:
    keys: list[tuple[Any, str | None]] = []
    kept: list[Any] = []
    for elt in stmt.tableElts or ():
        if isinstance(elt, ast.Constraint) and elt.contype in (_CT.CONSTR_PRIMARY, _CT.CONSTR_UNIQUE) and \
                any(types.get(k.sval) == type_key for k in elt.keys or ()):
            keys.append((elt, None))
            continue
        if isinstance(elt, ast.ColumnDef) and types.get(str(elt.colname)) == type_key:
            cons = []
            for con in elt.constraints or ():
                if con.contype in (_CT.CONSTR_PRIMARY, _CT.CONSTR_UNIQUE):
                    keys.append((con, elt.colname))
                else:
                    cons.append(con)
            elt.constraints = tuple(cons) or None
        kept.append(elt)
    return keys, kept


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


def _ident(name: str) -> str:
    return RawStream()(ast.ColumnRef(fields=(ast.String(sval=name),)))


def _drop_statement(kind: type[Any] | tuple[type[Any], ...], reason: str, caveat: str) -> Rule:
    """A rule for a statement YugabyteDB rejects whose documented workaround is to leave it out."""
    def rule(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
        _only(stmts, kind)
        return "", reason, [caveat]
    return rule


def _without_security_invoker(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    view: Any = _only(stmts, ast.ViewStmt)
    opts = [o for o in view.options or () if o.defname.lower() != "security_invoker"]
    if len(opts) == len(view.options or ()):
        raise NoFix
    view.options = tuple(opts) or None
    return (_emit([view]), "security_invoker views need a PostgreSQL 15-based YugabyteDB: create the view without "
            "the option.",
            ["The view now reads its tables with the view owner's privileges and row-level security policies, not "
             "the caller's: grant the view (not the tables) to the roles that use it, and check what they see."])


def _without_check_option(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    view: Any = _only(stmts, ast.ViewStmt)
    opts = [o for o in view.options or () if o.defname.lower() != "check_option"]
    if view.withCheckOption == enums.ViewCheckOption.NO_CHECK_OPTION and len(opts) == len(view.options or ()):
        raise NoFix
    view.withCheckOption = enums.ViewCheckOption.NO_CHECK_OPTION
    view.options = tuple(opts) or None
    return (_emit([view]), "Views WITH CHECK OPTION are not supported: create the view without it.",
            ["Inserts and updates through the view that produce rows the view does not show are no longer "
             "rejected: enforce the view's condition with a trigger on the base table if writes go through it."])


def _without_deterministic(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    coll: Any = _only(stmts, ast.DefineStmt)
    if coll.kind != enums.ObjectType.OBJECT_COLLATION:
        raise NoFix
    opts = []
    for opt in coll.definition or ():
        if opt.defname.lower() != "deterministic":
            opts.append(opt)
        elif RawStream()(opt.arg).strip("'").lower() not in ("true", "on", "1", "yes"):
            # deterministic = false changes comparisons: that is NON_DETERMINISTIC_COLLATION, a judgement call.
            raise NoFix
    if len(opts) == len(coll.definition or ()):
        raise NoFix
    coll.definition = tuple(opts)
    return (_emit([coll]), "The deterministic option of CREATE COLLATION needs a PostgreSQL 15-based YugabyteDB: "
            "remove it (collations are deterministic there, which is what the option asked for).", [])


def _quoted_function_body(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    fn: Any = _only(stmts, ast.CreateFunctionStmt)
    body = fn.sql_body
    if body is None:
        raise NoFix
    if isinstance(body, ast.ReturnStmt):
        ret: Any = body.returnval
        text = f"SELECT {RawStream()(ret)}"
    else:
        # BEGIN ATOMIC ... END: one list of statements, wrapped in a one-element list by the grammar.
        text = ";\n".join(RawStream()(s) for group in body for s in group)
    if not text:
        raise NoFix
    fn.sql_body = None
    fn.options = (*(fn.options or ()), ast.DefElem(defname="as", arg=(ast.String(sval=text),)))
    return (_emit([fn]), "SQL-standard function bodies need a PostgreSQL 15-based YugabyteDB: write the same "
            "statements as a quoted LANGUAGE sql body.",
            ["A quoted body is checked when the function is called, not when it is created: objects it uses are "
             "not recorded as dependencies, so dropping or renaming them is no longer blocked."])


def _nulls_distinct_indexes(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    """UNIQUE NULLS NOT DISTINCT (k1..kn) becomes a plain unique key plus, for each non-empty set S of key
    columns, a unique index on the other key columns over the rows where every column of S is NULL.

    Two rows conflict under NULLS NOT DISTINCT iff their NULL key columns are the same set S and they agree on
    the rest; the partial index for S holds both rows and compares the rest (rows with further NULLs there are
    distinct in it and are caught by the index of the larger set).
    """
    out: list[Any] = []
    extra: list[Any] = []
    stmt: Any
    for stmt in stmts:
        out.append(stmt)
        if isinstance(stmt, ast.IndexStmt) and stmt.nulls_not_distinct:
            keys = [RawStream()(e.expr) if e.expr is not None else _ident(e.name) for e in stmt.indexParams or ()]
            stmt.nulls_not_distinct = False
            where = RawStream()(stmt.whereClause) if stmt.whereClause is not None else None
            rel: Any = stmt.relation
            extra += _null_set_indexes(stmt.idxname or f"{rel.relname}_key", _name(rel), keys, where)
            continue
        table: Any = stmt.relation if isinstance(stmt, (ast.CreateStmt, ast.AlterTableStmt)) else None
        for con, cols in _unique_constraints(stmt):
            if not con.nulls_not_distinct:
                continue
            con.nulls_not_distinct = False
            base = con.conname or f"{table.relname}_{'_'.join(cols)}_key"
            extra += _null_set_indexes(base, _name(table), [_ident(c) for c in cols], None)
    if not extra:
        raise NoFix
    return (_emit(out + extra), "UNIQUE NULLS NOT DISTINCT needs a PostgreSQL 15-based YugabyteDB: keep a plain "
            "unique key and add partial unique indexes that allow only one row per combination of NULL key "
            "columns.",
            ["The NULL-handling indexes are separate objects: ON CONFLICT targets and foreign keys use only the "
             "plain unique key, whose NULLs are distinct."])


def _unique_constraints(stmt: Any) -> list[tuple[Any, list[str]]]:
    found: list[tuple[Any, list[str]]] = []
    if isinstance(stmt, ast.CreateStmt):
        for elt in stmt.tableElts or ():
            if isinstance(elt, ast.Constraint) and elt.contype == _CT.CONSTR_UNIQUE:
                found.append((elt, [k.sval for k in elt.keys or ()]))
            elif isinstance(elt, ast.ColumnDef):
                found += [(c, [str(elt.colname)]) for c in elt.constraints or () if c.contype == _CT.CONSTR_UNIQUE]
    elif isinstance(stmt, ast.AlterTableStmt):
        for cmd in stmt.cmds or ():
            if isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype == _CT.CONSTR_UNIQUE:
                if not cmd.def_.keys:
                    raise NoFix  # UNIQUE USING INDEX: the columns are not in the statement
                found.append((cmd.def_, [k.sval for k in cmd.def_.keys]))
    return found


def _null_set_indexes(base: str, table: str, keys: list[str], where: str | None) -> list[Any]:
    if not keys or len(keys) > _MAX_NULLS_NOT_DISTINCT_COLUMNS:
        raise NoFix
    out = []
    positions = range(len(keys))
    for size in range(1, len(keys) + 1):
        for nulls in combinations(positions, size):
            rest = [keys[i] for i in positions if i not in nulls] or [f"({keys[nulls[0]]} IS NULL)"]
            cond = " AND ".join([*([f"({where})"] if where else []), *(f"{keys[i]} IS NULL" for i in nulls)])
            suffix = "_".join(str(i + 1) for i in nulls)
            name = _ident(f"{base}_null_{suffix}")
            out.append(_parse_one(f"CREATE UNIQUE INDEX {name} ON {table} ({', '.join(rest)}) WHERE {cond}"))
    return out


def _partition_columns_into_pk(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt: Any = _only(stmts, ast.CreateStmt)
    spec = stmt.partspec
    if spec is None or any(p.name is None for p in spec.partParams or ()):
        raise NoFix  # an expression cannot be part of a primary key
    part_cols = [str(p.name) for p in spec.partParams or ()]
    pk: Any = None
    for elt in stmt.tableElts or ():
        if isinstance(elt, ast.Constraint) and elt.contype == _CT.CONSTR_PRIMARY:
            pk = elt
        elif isinstance(elt, ast.ColumnDef):
            for con in elt.constraints or ():
                if con.contype == _CT.CONSTR_PRIMARY:
                    # A column-level key cannot take more columns: move it to a table constraint.
                    elt.constraints = tuple(c for c in elt.constraints or () if c is not con) or None
                    pk = ast.Constraint(contype=_CT.CONSTR_PRIMARY, conname=con.conname,
                                        keys=(ast.String(sval=elt.colname),), options=con.options)
                    stmt.tableElts = (*stmt.tableElts, pk)
    if pk is None or not pk.keys:
        raise NoFix
    have = [k.sval for k in pk.keys]
    missing = [c for c in part_cols if c not in have]
    if not missing:
        raise NoFix
    pk.keys = (*pk.keys, *(ast.String(sval=c) for c in missing))
    return (_emit([stmt]), f"The primary key of a partitioned table must contain the partition key: add "
            f"{', '.join(missing)} to it.",
            ["Uniqueness is now enforced on the wider key: rows that differ only in the partition key columns no "
             "longer conflict. Enforce the original key in the application if it matters."])


def _drop_foreign_table_keys(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    keys = (_CT.CONSTR_PRIMARY, _CT.CONSTR_FOREIGN)
    stmt: Any = _only(stmts, (ast.CreateForeignTableStmt, ast.AlterTableStmt))
    if isinstance(stmt, ast.AlterTableStmt):
        if stmt.objtype != enums.ObjectType.OBJECT_FOREIGN_TABLE:
            raise NoFix
        kept = [c for c in stmt.cmds or () if not (isinstance(c.def_, ast.Constraint) and c.def_.contype in keys)]
        if len(kept) == len(stmt.cmds or ()):
            raise NoFix
        stmt.cmds = tuple(kept)
        sql = _emit([stmt]) if kept else ""
    else:
        base = stmt.base
        pk_cols: list[str] = []
        removed = 0
        elts = []
        for elt in base.tableElts or ():
            if isinstance(elt, ast.Constraint) and elt.contype in keys:
                removed += 1
                if elt.contype == _CT.CONSTR_PRIMARY:
                    pk_cols += [k.sval for k in elt.keys or ()]
                continue
            if isinstance(elt, ast.ColumnDef):
                cons = [c for c in elt.constraints or () if c.contype not in keys]
                removed += len(elt.constraints or ()) - len(cons)
                if any(c.contype == _CT.CONSTR_PRIMARY for c in elt.constraints or ()):
                    pk_cols.append(str(elt.colname))
                elt.constraints = tuple(cons) or None
            elts.append(elt)
        if not removed:
            raise NoFix
        base.tableElts = tuple(elts)
        _not_null(base, pk_cols)  # the NOT NULL a primary key implied still holds for the rows
        sql = _emit([stmt])
    return (sql, "Foreign tables cannot have primary or foreign keys: remove them (the remote table enforces its "
            "own keys).", ["Nothing on the target checks uniqueness or references of the foreign table's rows."])


def _split_drop(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    drop: Any = _only(stmts, ast.DropStmt)
    objects = list(drop.objects or ())
    if len(objects) < 2:
        raise NoFix
    out = [ast.DropStmt(objects=(obj,), removeType=drop.removeType, behavior=drop.behavior,
                        missing_ok=drop.missing_ok, concurrent=drop.concurrent) for obj in objects]
    return _emit(out), "A DROP of several objects fails: drop them one statement at a time.", []


class _QualifyIn(visitors.Visitor):
    """Qualifies references to the relations the CREATE SCHEMA itself creates, which it resolved in that schema."""

    def __init__(self, schema: str, created: set[str]) -> None:
        super().__init__()
        self.schema = schema
        self.created = created

    def visit_RangeVar(self, ancestors: Any, node: Any) -> None:
        if node.schemaname is None and node.relname in self.created:
            node.schemaname = self.schema


def _split_create_schema(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    cs: Any = _only(stmts, ast.CreateSchemaStmt)
    elements = list(cs.schemaElts or ())
    if not elements:
        raise NoFix
    schema = cs.schemaname or (cs.authrole.rolename if cs.authrole is not None else None)
    if not schema:
        raise NoFix
    created: set[str] = set()
    for el in elements:
        rv = (el.relation if isinstance(el, (ast.CreateStmt, ast.IndexStmt, ast.CreateTrigStmt)) else
              el.view if isinstance(el, ast.ViewStmt) else el.sequence if isinstance(el, ast.CreateSeqStmt) else None)
        if isinstance(el, (ast.CreateStmt, ast.ViewStmt, ast.CreateSeqStmt)) and rv is not None:
            created.add(str(rv.relname))
    qualify = _QualifyIn(schema, created)
    for el in elements:
        qualify(el)
    cs.schemaElts = None
    caveats = []
    if cs.authrole is not None:
        caveats.append("The objects are now owned by the user who runs the statements, not by the AUTHORIZATION "
                       "role: add ALTER ... OWNER TO if ownership matters.")
    return (_emit([cs, *elements]), "CREATE SCHEMA cannot create objects in the same statement: create the schema "
            "first, then each object (qualified with the schema) on its own.", caveats)


def _without_oids(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    stmt: Any = _only(stmts, (ast.CreateStmt, ast.AlterTableStmt))
    changed = _WITH_OIDS.search(problem.original_sql) is not None
    if isinstance(stmt, ast.CreateStmt):
        opts = [o for o in stmt.options or () if o.defname.lower() != "oids"]
        changed = changed or len(opts) != len(stmt.options or ())
        stmt.options = tuple(opts) or None
    if not changed:
        raise NoFix
    return (_emit([stmt]), "Tables WITH OIDS are not supported: create the table without them.",
            ["Rows have no oid column any more: code that reads oid must use a key column instead (add an "
             "identity column if rows need a generated id)."])


_RULES: dict[str, Rule] = {
    "UNLOGGED_TABLES": _unlogged,
    "DEFERRABLE_CONSTRAINTS": _deferrable,
    "STORAGE_PARAMETERS": _storage_parameters,
    "ALTER_TABLE_CLUSTER_ON": _remove_tuning_cmds,
    "ALTER_TABLE_SET_WITHOUT_CLUSTER": _remove_tuning_cmds,
    "ALTER_TABLE_SET_COLUMN_ATTRIBUTE": _remove_tuning_cmds,
    "ALTER_TABLE_RESET_ATTRIBUTE": _remove_tuning_cmds,
    "ALTER_TABLE_SET_STATISTICS": _remove_tuning_cmds,
    "ALTER_TABLE_SET_STORAGE": _remove_tuning_cmds,
    "EXCLUSION_CONSTRAINTS": _exclusion,
    "STORED_GENERATED_COLUMNS": _generated_columns,
    "MULTI_COLUMN_GIN_INDEX": _multi_column_gin,
    "ORDERED_GIN_INDEX": _ordered_gin,
    "COMPRESSION_CLAUSE_IN_TABLE": _compression,
    "CONSTRAINT_TRIGGER": _constraint_trigger,
    "DROP_INDEX_CONCURRENTLY": _drop_index_concurrently,
    "ALTER_INDEX_SET": _remove_tuning_cmds,
    "ALTER_TABLE_OF": _remove_table_of,
    "ALTER_TABLE_DISABLE_RULE": _disable_rule_to_drop,
    "CREATE_CONVERSION": _drop_statement(
        ast.CreateConversionStmt, "CREATE CONVERSION is not supported: leave the conversion out.",
        "Convert encodings in the application; client_encoding conversions built into the server still work."),
    "ALTER_CONVERSION": _drop_statement(
        (ast.AlterObjectSchemaStmt, ast.RenameStmt, ast.AlterOwnerStmt),
        "Conversions are not supported, so neither is altering one: leave the statement out.",
        "The conversion it altered is not created on the target either (see CREATE_CONVERSION)."),
    "REINDEX": _drop_statement(
        ast.ReindexStmt, "REINDEX is not supported: leave the statement out.",
        "Nothing to replace it with: YugabyteDB's LSM indexes do not bloat the way PostgreSQL btree indexes do."),
    "SECURITY_INVOKER_VIEWS": _without_security_invoker,
    "VIEW_WITH_CHECK_OPTION": _without_check_option,
    "DETERMINISTIC_OPTION_WITH_COLLATION": _without_deterministic,
    "SQL_BODY_IN_FUNCTION": _quoted_function_body,
    "UNIQUE_NULLS_NOT_DISTINCT": _nulls_distinct_indexes,
    "INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION": _partition_columns_into_pk,
    "CONSTRAINT_ON_FOREIGN_TABLE": _drop_foreign_table_keys,
    "DROP_MULTIPLE_OBJECTS": _split_drop,
    "CREATE_SCHEMA_WITH_ELEMENTS": _split_create_schema,
    "WITH_OIDS": _without_oids,
}


_QUERY_LEVEL = "a query construct in application SQL or a routine body, not a DDL object import schema creates"
_PERFORMANCE = "a performance finding of the assessment, not a failing DDL; the right change depends on the workload"
_DATATYPE = "the column needs another data type: a data model change that also changes the data and its users"
_LIVE = "a limit of live migration (CDC), not of the DDL: the choice is offline migration or another data type"
_SOURCE = ("a source column the export cannot carry: it never reaches a DDL file; convert it on the source "
           "before migrating")

NOT_MECHANICAL: Mapping[str, str] = MappingProxyType({
    "BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE": "the trigger belongs on each partition, and the partitions are other "
                                               "objects the statement does not name",
    "REFERENCING_CLAUSE_IN_TRIGGER": "a FOR EACH ROW rewrite needs a new trigger function body: the old one reads "
                                     "the transition tables",
    "EXPRESSION_PARTITION_WITH_PK_UK": "choosing between new partition columns and dropping the key is a data model "
                                       "decision",
    "MULTI_COLUMN_LIST_PARTITION": "choosing another partition column or RANGE partitioning is a data model "
                                   "decision, and the partitions must change with it",
    "INHERITANCE": "replacing inheritance (partitioning, separate tables, a UNION ALL view) is a redesign of tables "
                   "and queries",
    "ALTER_TABLE_INHERIT": "changing inheritance is part of the INHERITANCE redesign",
    "NON_DETERMINISTIC_COLLATION": "case- or accent-insensitive comparisons need lower()/citext-style changes in "
                                   "columns and queries",
    "FOREIGN_KEY_REFERENCED_PARTITIONED_TABLE": "the reference must point at partitions or become a trigger: both "
                                                "need the partition layout",
    "DATABASE_OPTIONS_PG15": "the target database is created before import schema, and CREATE DATABASE cannot run "
                             "in the transaction that validates a fix; dropping a locale option is a choice",
    "DATABASE_OPTIONS_PG17": "as DATABASE_OPTIONS_PG15: CREATE DATABASE is set up by hand and cannot be validated "
                             "in a transaction",
    "UNSUPPORTED_EXTENSION": "the alternative to an extension depends on what the schema uses it for",
    "CREATE_ACCESS_METHOD": "removing it means removing or redesigning every object that uses the access method",
    "LANGUAGE_C_FUNCTION": "the C code must be rewritten in SQL or PL/pgSQL or replaced by an extension",
    "ALTER_TABLE_SET_SCHEMA": "the fix is to create the table in the target schema, i.e. a change to its CREATE "
                              "TABLE, another object",
    "ALTER_TABLE_ALTER_CONSTRAINT": "re-creating the constraint needs its full definition, which the statement "
                                    "does not contain",
    "ALTER_TABLE_VALIDATE_CONSTRAINT": "the fix is to create the constraint valid, i.e. a change to its ADD "
                                       "CONSTRAINT ... NOT VALID, another statement",
    "ALTER_TYPE_ATTRIBUTE": "the type's CREATE TYPE (another object) must get its final attributes",
    "ALTER_VIEW": "re-creating the view needs its full definition, which the statement does not contain",
    "ALTER_AGGREGATE": "the aggregate's CREATE AGGREGATE (another object) must get its final name and schema",
    "ALTER_TABLESPACE": "YugabyteDB tablespaces describe placement: the options need a placement decision",
    "CREATE_TABLE_LIKE": "spelling the columns out needs the definition of the table LIKE copies",
    "WHERE_CURRENT_OF": "cursor code in a routine must be rewritten to update by key",
    "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE": "the key moves into the partitioned table's CREATE TABLE, another "
                                               "statement",
    "FOREIGN_TABLE": "the foreign server and user mapping must be created on the target; the DDL itself is fine",
    "POLICY_WITH_ROLES": "the roles must be created on the target; the DDL itself is fine",
    "SAVEPOINT_USAGE": "an application pattern under live migration, not a DDL problem",
    "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_USER_DEFINED": _LIVE,
    "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_TSQUERY": _LIVE,
    **{issue: _DATATYPE for issue in UNSUPPORTED_DATATYPES.values()},
    **{issue: _LIVE for issue in LIVE_MIGRATION_UNSUPPORTED_TYPES.values()},
    **{source_datatype_issue_id("mysql", t): _SOURCE for t in MYSQL_UNSUPPORTED_DATATYPES},
    **{source_datatype_issue_id("oracle", t): _SOURCE for t in ORACLE_UNSUPPORTED_DATATYPES},
    # Whole categories: a query construct or a performance finding is never a DDL object that fails to import.
    **{e.id: _QUERY_LEVEL for e in CATALOG.values() if e.category is Category.UNSUPPORTED_QUERY_CONSTRUCTS},
    **{e.id: _PERFORMANCE for e in CATALOG.values() if e.category is Category.PERFORMANCE_OPTIMIZATIONS},
})
"""Catalog issue types the rule provider leaves to the LLM provider or a person, each with the reason."""
