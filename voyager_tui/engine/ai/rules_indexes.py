"""Rules for indexes and keys: unsupported index methods and key column types, GIN shapes."""

from __future__ import annotations

from typing import Any

from pglast import ast, enums
from pglast.stream import RawStream

from ..schema.catalog import (
    INDEX_UNSUPPORTED_TYPES,
    index_issue_id,
    pk_uk_issue_id,
)
from .models import Problem
from .rules_kit import (
    _CT,
    _GIN_TYPES,
    _HASHED_TYPES,
    NoFix,
    _emit,
    _only,
    _parse_one,
)

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


