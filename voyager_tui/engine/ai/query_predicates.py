"""Which tables a query reads and how: equality, range, JOIN, ORDER BY and read columns per table (pglast)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..assessment.metadata import Metadata
from ..assessment.perf import IndexShape, index_shape
from ..schema.pgnodes import enum_name
from .query_models import TableUse

_RANGE_OPS = frozenset({"<", "<=", ">", ">="})
_TABLE_TYPES = ("table", "partitioned table", "materialized view")


class _Catalog:
    """Tables, columns and indexes of the assessment, by name."""

    def __init__(self, md: Metadata) -> None:
        self.schemas = list(md.info.schemas)
        self.tables: set[tuple[str, str]] = {(t.schema_name, t.table_name) for t in md.table_statistics
                                             if t.object_type.lower() in _TABLE_TYPES}
        self.tables |= {(o.schema_name, o.object_name) for o in md.schema_objects
                        if o.object_type.lower() in _TABLE_TYPES}
        self.columns: dict[tuple[str, str], list[str]] = {}
        for c in sorted(md.columns, key=lambda c: c.ordinal):
            self.columns.setdefault((c.schema_name, c.table_name), []).append(c.column_name)
        self.indexes: dict[tuple[str, str], list[IndexShape]] = {}
        for ix in md.indexes:
            self.indexes.setdefault((ix.schema_name, ix.table_name), []).append(index_shape(ix))
        self.sizes = {(t.schema_name, t.table_name): (t.row_count, t.size_bytes) for t in md.table_statistics}

    def resolve(self, schema: str | None, name: str) -> tuple[str, str] | None:
        if schema is not None:
            return (schema, name) if (schema, name) in self.tables else None
        for s in [*self.schemas, "public"]:  # as a search_path of the assessed schemas would
            if (s, name) in self.tables:
                return (s, name)
        return None



def table_uses(query: str, md: Metadata) -> list[TableUse]:
    """How the statement(s) in `query` use each assessed table; [] when the text does not parse."""
    return _Extractor(_Catalog(md)).run(query)


class _Scope:
    def __init__(self) -> None:
        self.by_alias: dict[str, tuple[str, str]] = {}
        self.tables: list[tuple[str, str]] = []
        self.star_all = False


class _Extractor:
    def __init__(self, cat: _Catalog) -> None:
        self.cat = cat
        self.uses: dict[tuple[int, tuple[str, str]], TableUse] = {}
        self.ctes: set[str] = set()
        self._stmt = 0

    def run(self, query: str) -> list[TableUse]:
        from pglast import parse_sql
        from pglast.parser import ParseError

        from ..schema.pgnodes import iter_nodes

        try:
            trees = parse_sql(query)
        except ParseError:
            return []
        for raw in trees:
            for node in iter_nodes(raw.stmt):
                if type(node).__name__ == "CommonTableExpr":
                    self.ctes.add(node.ctename)
            self._statement(raw.stmt)
        return list(self.uses.values())

    def _use(self, key: tuple[str, str]) -> TableUse:
        k = (self._stmt, key)
        if k not in self.uses:
            self.uses[k] = TableUse(table=f"{key[0]}.{key[1]}")
        return self.uses[k]

    def _statement(self, node: Any) -> None:
        kind = type(node).__name__
        if kind == "SelectStmt":
            self._select(node)
        elif kind in ("UpdateStmt", "DeleteStmt"):
            self._write(node)
        elif kind == "InsertStmt" and node.selectStmt is not None:
            self._statement(node.selectStmt)
        elif kind == "ExplainStmt":
            self._statement(node.query)
        for cte in getattr(getattr(node, "withClause", None), "ctes", None) or ():
            self._statement(cte.ctequery)

    def _select(self, node: Any) -> None:
        if node.op is not None and enum_name(node.op) != "SETOP_NONE":
            for side in (node.larg, node.rarg):
                if side is not None:
                    self._statement(side)
            return
        if node.valuesLists:
            return
        self._stmt += 1
        scope = _Scope()
        quals: list[Any] = []
        for item in node.fromClause or ():
            self._from(item, scope, quals)
        if not scope.tables:
            self._subqueries(node)
            return
        for target in node.targetList or ():
            self._selected(target.val, scope)
        for qual in quals:
            self._predicate(qual, scope, join=True)
        if node.whereClause is not None:
            self._predicate(node.whereClause, scope, join=False)
        for part in (node.groupClause, [node.havingClause] if node.havingClause is not None else None):
            for expr in part or ():
                self._refs(expr, scope)
        for sort in node.sortClause or ():
            col = self._column(sort.node, scope)
            if col is not None:
                self._use(col[0]).order_by.append((col[1], enum_name(sort.sortby_dir) == "SORTBY_DESC"))
            self._refs(sort.node, scope)
        self._subqueries(node)

    def _write(self, node: Any) -> None:
        self._stmt += 1
        scope = _Scope()
        self._from(node.relation, scope, [])
        if not scope.tables:
            return
        for t in scope.tables:
            self._use(t).write = True
        if node.whereClause is not None:
            self._predicate(node.whereClause, scope, join=False)
        self._subqueries(node)

    def _subqueries(self, node: Any) -> None:
        """Subqueries (IN (SELECT ...), EXISTS, FROM (SELECT ...)) are statements of their own."""
        for child in _walk(node):
            if child is node:
                continue
            kind = type(child).__name__
            if kind == "SubLink" and child.subselect is not None:
                self._statement(child.subselect)
            elif kind == "RangeSubselect" and child.subquery is not None:
                self._statement(child.subquery)

    def _from(self, item: Any, scope: _Scope, quals: list[Any]) -> None:
        kind = type(item).__name__
        if kind == "RangeVar":
            if item.schemaname is None and item.relname in self.ctes:
                return
            key = self.cat.resolve(item.schemaname, item.relname)
            if key is None:
                return
            scope.tables.append(key)
            alias = item.alias.aliasname if item.alias is not None else item.relname
            scope.by_alias[alias] = key
            scope.by_alias.setdefault(f"{key[0]}.{key[1]}", key)
            self._use(key)
        elif kind == "JoinExpr":
            self._from(item.larg, scope, quals)
            self._from(item.rarg, scope, quals)
            if item.quals is not None:
                quals.append(item.quals)

    def _column(self, node: Any, scope: _Scope) -> tuple[tuple[str, str], str] | None:
        """The (table, column) a plain column reference names, or None (expression, star, unknown)."""
        while type(node).__name__ == "TypeCast":
            node = node.arg
        if type(node).__name__ != "ColumnRef":
            return None
        fields = node.fields or ()
        if not fields or not all(hasattr(f, "sval") for f in fields):
            return None
        names = [f.sval for f in fields]
        col = names[-1]
        if len(names) == 1:
            owners = [t for t in scope.tables if col in self.cat.columns.get(t, [])]
            if len(scope.tables) == 1 and (not owners or owners == scope.tables):
                return scope.tables[0], col
            return (owners[0], col) if len(owners) == 1 else None
        key = scope.by_alias.get(".".join(names[:-1]))
        return (key, col) if key is not None else None

    def _selected(self, node: Any, scope: _Scope) -> None:
        if type(node).__name__ == "ColumnRef" and node.fields and type(node.fields[-1]).__name__ == "A_Star":
            names = [f.sval for f in node.fields[:-1] if hasattr(f, "sval")]
            if not names:
                for t in scope.tables:
                    self._use(t).star = True
            else:
                key = scope.by_alias.get(".".join(names))
                if key is not None:
                    self._use(key).star = True
            return
        self._refs(node, scope)

    def _refs(self, node: Any, scope: _Scope) -> None:
        for child in _walk(node):
            if type(child).__name__ == "ColumnRef":
                col = self._column(child, scope)
                if col is not None:
                    use = self._use(col[0])
                    if col[1] not in use.referenced:
                        use.referenced.append(col[1])

    def _predicate(self, node: Any, scope: _Scope, *, join: bool) -> None:
        kind = type(node).__name__
        if kind == "BoolExpr":
            if enum_name(node.boolop) == "AND_EXPR":
                for arg in node.args:
                    self._predicate(arg, scope, join=join)
                return
            self._refs(node, scope)  # OR / NOT: no single index range; the columns are still read
            return
        self._refs(node, scope)
        if kind == "SubLink" and enum_name(node.subLinkType) == "ANY_SUBLINK" and node.testexpr is not None:
            tested = self._column(node.testexpr, scope)  # col IN (SELECT ...): a semi-join on col
            if tested is not None:
                _add(self._use(tested[0]).join, tested[1])
            return
        if kind != "A_Expr":
            return
        op = enum_name(node.kind)
        name = node.name[-1].sval if node.name else ""
        left, right = self._column(node.lexpr, scope), self._column(node.rexpr, scope)
        if op == "AEXPR_OP" and name == "=" and left is not None and right is not None:
            if left[0] != right[0]:
                for table_key, column in (left, right):
                    _add(self._use(table_key).join, column)
            return
        if left is None and right is not None and op == "AEXPR_OP" and name in _RANGE_OPS | {"="}:
            left, right = right, None
            node_value = node.lexpr
        else:
            node_value = node.rexpr
        if left is None or right is not None or not _is_value(node_value):
            return
        use = self._use(left[0])
        if (op == "AEXPR_OP" and name == "=") or (op in ("AEXPR_IN", "AEXPR_OP_ANY") and name == "="):
            _add(use.equality, left[1])
        elif (op == "AEXPR_OP" and name in _RANGE_OPS) or op in ("AEXPR_BETWEEN", "AEXPR_BETWEEN_SYM"):
            _add(use.range, left[1])


def _walk(node: Any) -> Iterable[Any]:
    """`node` and the nodes under it, without entering subqueries: they are statements of their own, with their
    own FROM (a nested statement's columns must not be resolved against the outer one)."""
    from pglast import ast

    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, ast.Node):
        return
    yield node
    if type(node).__name__ in ("SubLink", "RangeSubselect", "CommonTableExpr"):
        return
    slots: Iterable[str] = getattr(type(node), "__slots__", ())
    for attr in slots:
        value = getattr(node, attr, None)
        if isinstance(value, (ast.Node, list, tuple)):
            yield from _walk(value)


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _is_value(node: Any) -> bool:
    """A parameter, constant, or an expression of them (now() - $1::interval): fixed while the statement runs."""
    if isinstance(node, (list, tuple)):
        return all(_is_value(n) for n in node)
    kind = type(node).__name__
    if kind in ("ParamRef", "A_Const", "SQLValueFunction"):
        return True
    if kind == "TypeCast":
        return _is_value(node.arg)
    if kind == "FuncCall":
        return all(_is_value(a) for a in node.args or ())
    if kind == "A_Expr":
        return _is_value(node.lexpr) and _is_value(node.rexpr) if node.lexpr is not None else _is_value(node.rexpr)
    if kind == "A_ArrayExpr":
        return all(_is_value(e) for e in node.elements or ())
    return False


