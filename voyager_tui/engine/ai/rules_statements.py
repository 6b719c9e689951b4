"""Rules for other statements: views, functions, NULLS NOT DISTINCT keys, partitions, foreign tables, and
statements that do several things at once."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from pglast import ast, enums, visitors
from pglast.stream import RawStream

from .models import Problem
from .rules_indexes import (
    _not_null,
)
from .rules_kit import (
    _CT,
    _MAX_NULLS_NOT_DISTINCT_COLUMNS,
    _WITH_OIDS,
    NoFix,
    Rule,
    _emit,
    _ident,
    _name,
    _only,
    _parse_one,
)


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


