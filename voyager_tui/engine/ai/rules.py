"""The built-in rule provider: offline, deterministic fixes for catalog issues that have a mechanical workaround.

Each rule parses the object's DDL with pglast, changes the AST and prints it again, so the fix keeps every part of
the statement it does not need to touch. Issues with no mechanical fix (inheritance, unsupported datatypes, ...)
get no suggestion (None); the LLM provider or a human handles those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast, enums, parse_sql, visitors
from pglast.parser import ParseError
from pglast.stream import RawStream

from ..pipeline.import_schema import adapt_for_yugabytedb
from ..schema.catalog import INDEX_UNSUPPORTED_TYPES, index_issue_id, pk_uk_issue_id
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


class NoFix(Exception):
    """The statement does not have the shape a rule can fix mechanically."""


def suggest(problem: Problem) -> Suggestion | None:
    """A mechanical fix for `problem`, or None when its issue type has none (or the DDL does not parse)."""
    rule = _rule_for(problem.issue_type)
    if rule is None:
        return None
    try:
        stmts = [raw.stmt for raw in parse_sql(problem.original_sql) if raw.stmt is not None]
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


def _remove_tuning_cmds(stmts: list[ast.Node], problem: Problem) -> tuple[str, str, list[str]]:
    removed: list[str] = []
    out: list[Any] = []
    stmt: Any
    for stmt in stmts:
        if isinstance(stmt, ast.AlterTableStmt):
            kept = []
            for cmd in stmt.cmds or ():
                if cmd.subtype in _TUNING_CMDS:
                    removed.append(_TUNING_CMDS[cmd.subtype])
                else:
                    kept.append(cmd)
            if not kept:
                continue
            stmt.cmds = tuple(kept)
        out.append(stmt)
    if not removed:
        raise NoFix
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
}
