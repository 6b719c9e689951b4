"""The parse-tree walk that finds catalogued constructs in an exported schema (see analyze.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from . import catalog
from .catalog import Category
from .manifest import SchemaObject
from .pgnodes import defelem_value as _defelem_value
from .pgnodes import enum_name as _enum_name
from .pgnodes import iter_nodes as _iter_nodes
from .pgnodes import qual as _qual
from .pgnodes import strings as _strings
from .query_constructs import _has_non_decimal_literal, _plpgsql_expr_sql, _query_construct

_LEADING_COMMENTS = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")
_WITH_OIDS = re.compile(r"\bWITH\s+OIDS\b", re.IGNORECASE)
_PARTITION_STRATEGY_LIST = "l"
_TRIGGER_BEFORE = 1 << 1
# Storage parameters that are YugabyteDB's own, so they are never an issue.
_YB_STORAGE_OPTIONS = frozenset({"colocation", "colocated", "colocation_id", "table_oid", "row_type_oid",
                                 "tablegroup"})
_RESERVED_ROLES = frozenset({"ROLESPEC_PUBLIC", "ROLESPEC_CURRENT_USER", "ROLESPEC_SESSION_USER",
                             "ROLESPEC_CURRENT_ROLE"})
_PG15_DB_OPTIONS = frozenset({"icu_locale", "locale_provider", "locale", "strategy", "collation_version", "oid"})
_PG17_DB_OPTIONS = frozenset({"builtin_locale", "icu_rules"})


class ParseProblem(BaseModel):
    object_type: str
    object_name: str
    file: str = ""
    sql_statement: str
    error: str


@dataclass(frozen=True)
class _TypeRef:
    schema: str | None
    name: str
    is_array: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema or 'public'}.{self.name}"


@dataclass
class _Table:
    columns: dict[str, _TypeRef] = field(default_factory=dict)
    partitioned: bool = False
    partition_strategy: str = ""
    partition_columns: list[str] = field(default_factory=list)
    partition_has_expression: bool = False
    partition_param_count: int = 0


@dataclass
class _Stmt:
    obj_index: int
    obj: SchemaObject
    node: Any
    text: str


@dataclass
class _Found:
    issue_type: str
    obj_index: int
    obj: SchemaObject
    object_name: str
    sql: str
    details: tuple[tuple[str, str], ...]
    category: Category | None = None


class _Detector:
    def __init__(self) -> None:
        self.tables: dict[str, _Table] = {}
        self.udts: set[str] = set()
        """Composite and range types: no LSM ordering, so keys and indexes on them fail."""
        self.enums: set[str] = set()
        self.domains: dict[str, _TypeRef] = {}
        self.found: list[_Found] = []
        self._seen: set[tuple[str, int, str, tuple[tuple[str, str], ...]]] = set()
        self.parse_errors: list[ParseProblem] = []

    # ---- parsing ----

    def parse(self, index: int, obj: SchemaObject) -> list[_Stmt]:
        from pglast import parse_sql, split
        from pglast.parser import ParseError

        from ..pipeline.export_schema import strip_meta_commands

        sql = strip_meta_commands(obj.sql)  # never a backslash line inside a body or literal
        try:
            return [_Stmt(index, obj, raw.stmt, _statement_text(sql, raw)) for raw in parse_sql(sql)]
        except ParseError:
            pass
        # One bad statement should not hide the others of the object: parse them one by one.
        out: list[_Stmt] = []
        for piece in split(sql, with_parser=False):
            try:
                out += [_Stmt(index, obj, raw.stmt, _statement_text(piece, raw)) for raw in parse_sql(piece)]
            except ParseError as exc:
                self._unparseable(index, obj, piece.strip(), str(exc))
        return out

    def _unparseable(self, index: int, obj: SchemaObject, text: str, error: str) -> None:
        sql = text if text.endswith(";") else text + ";"
        if _WITH_OIDS.search(text):
            self._add("WITH_OIDS", index, obj, obj.qualified_name, sql)
            return
        self.parse_errors.append(ParseProblem(object_type=obj.type, object_name=obj.qualified_name,
                                              file=obj.file, sql_statement=sql, error=error))

    # ---- pass 1: what later statements need ----

    def learn(self, stmt: _Stmt) -> None:
        node = stmt.node
        kind = type(node).__name__
        if kind == "CreateForeignTableStmt":
            node = node.base
            kind = "CreateStmt"
        if kind == "CreateStmt":
            table = self.tables.setdefault(_qual(node.relation), _Table())
            for elt in node.tableElts or ():
                if type(elt).__name__ == "ColumnDef" and elt.typeName is not None:
                    table.columns[elt.colname] = self._typeref(elt.typeName)
            spec = node.partspec
            if spec is not None:
                table.partitioned = True
                table.partition_strategy = str(getattr(spec.strategy, "value", spec.strategy))
                params = spec.partParams or ()
                table.partition_param_count = len(params)
                table.partition_columns = [p.name for p in params if p.name]
                table.partition_has_expression = any(p.expr is not None for p in params)
        elif kind == "CompositeTypeStmt":
            self.udts.add(_qual(node.typevar))
        elif kind == "CreateRangeStmt":
            self.udts.add(self._typeref_names(_strings(node.typeName)).qualified)
        elif kind == "CreateEnumStmt":
            self.enums.add(self._typeref_names(_strings(node.typeName)).qualified)
        elif kind == "CreateDomainStmt":
            self.domains[self._typeref_names(_strings(node.domainname)).qualified] = self._typeref(node.typeName)

    @staticmethod
    def _typeref_names(names: list[str]) -> _TypeRef:
        names = [n.lower() for n in names]
        if len(names) >= 2:
            schema = None if names[-2] == "pg_catalog" else names[-2]
            return _TypeRef(schema, names[-1])
        return _TypeRef(None, names[-1] if names else "")

    def _typeref(self, type_name: Any) -> _TypeRef:
        ref = self._typeref_names(_strings(type_name.names))
        return _TypeRef(ref.schema, ref.name, bool(type_name.arrayBounds))

    def _resolve(self, ref: _TypeRef) -> _TypeRef:
        """Follow domains to their base type (a domain over jsonb cannot be a key either)."""
        seen: set[str] = set()
        while ref.qualified in self.domains and ref.qualified not in seen:
            seen.add(ref.qualified)
            base = self.domains[ref.qualified]
            ref = _TypeRef(base.schema, base.name, base.is_array or ref.is_array)
        return ref

    def _index_type_key(self, ref: _TypeRef) -> str | None:
        """The INDEX_UNSUPPORTED_TYPES key for a column type, or None when it can be indexed."""
        ref = self._resolve(ref)
        if ref.is_array:
            return "array"
        if ref.qualified in self.udts:
            return "user_defined"
        if ref.qualified in self.enums:
            return None
        return ref.name if ref.name in catalog.INDEX_UNSUPPORTED_TYPES else None

    # ---- pass 2: detection ----

    def _add(self, issue_type: str, index: int, obj: SchemaObject, object_name: str, sql: str,
             category: Category | None = None, details: dict[str, str] | None = None) -> None:
        items = tuple(sorted((details or {}).items()))
        key = (issue_type, index, object_name, items)
        if key in self._seen:
            return
        self._seen.add(key)
        self.found.append(_Found(issue_type, index, obj, object_name, sql, items, category))

    def detect(self, stmt: _Stmt) -> None:
        handler = getattr(self, f"_on_{type(stmt.node).__name__}", None)
        if handler is not None:
            handler(stmt, stmt.node)
        elif type(stmt.node).__name__ in ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt",
                                          "CopyStmt", "ListenStmt", "NotifyStmt", "TransactionStmt"):
            self._scan_dml(stmt, stmt.node, stmt.text, stmt.obj.qualified_name, None)

    def _issue(self, stmt: _Stmt, issue_type: str, object_name: str, category: Category | None = None,
               **details: str) -> None:
        self._add(issue_type, stmt.obj_index, stmt.obj, object_name, stmt.text, category, details)

    # tables

    def _on_CreateStmt(self, stmt: _Stmt, node: Any, foreign: bool = False) -> None:
        name = _qual(node.relation)
        table = self.tables.get(name, _Table())
        if node.relation.relpersistence == "u":
            self._issue(stmt, "UNLOGGED_TABLES", name)
        if node.inhRelations and node.partbound is None:
            self._issue(stmt, "INHERITANCE", name, parents=", ".join(_qual(r) for r in node.inhRelations))
        if self._storage_options(node.options):
            self._issue(stmt, "STORAGE_PARAMETERS", name)
        keys: list[tuple[str, list[str]]] = []
        for elt in node.tableElts or ():
            kind = type(elt).__name__
            if kind == "TableLikeClause":
                self._issue(stmt, "CREATE_TABLE_LIKE", name)
            elif kind == "ColumnDef":
                self._column(stmt, name, elt, foreign)
                for con in elt.constraints or ():
                    keys += self._constraint(stmt, name, table, con, [elt.colname], foreign)
            elif kind == "Constraint":
                keys += self._constraint(stmt, name, table, elt, _strings(elt.keys), foreign)
        if table.partitioned:
            self._partitioning(stmt, name, table, keys)

    def _on_CreateForeignTableStmt(self, stmt: _Stmt, node: Any) -> None:
        self._issue(stmt, "FOREIGN_TABLE", _qual(node.base.relation), server=node.servername)
        self._on_CreateStmt(stmt, node.base, foreign=True)

    def _column(self, stmt: _Stmt, table: str, col: Any, foreign: bool) -> None:
        if col.compression:
            self._issue(stmt, "COMPRESSION_CLAUSE_IN_TABLE", table, column=col.colname)
        if col.typeName is None:
            return
        declared = self._typeref(col.typeName)
        ref = self._resolve(declared)
        shown = declared.name + ("[]" if declared.is_array else "")
        if ref.qualified not in self.udts | self.enums:
            issue_id = catalog.UNSUPPORTED_DATATYPES.get(ref.name)
            if issue_id:
                self._issue(stmt, issue_id, table, column=col.colname, type=shown)
                return
            if foreign:  # live migration never streams foreign tables
                return
            issue_id = catalog.LIVE_MIGRATION_UNSUPPORTED_TYPES.get(ref.name)
            if issue_id:
                self._issue(stmt, issue_id, table, column=col.colname, type=shown)
                return
            if ref.name == "tsquery":
                self._issue(stmt, "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_TSQUERY", table,
                            column=col.colname, type=shown)
        elif not foreign:
            self._issue(stmt, "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_USER_DEFINED", table,
                        column=col.colname, type=shown)

    def _constraint(self, stmt: _Stmt, table_name: str, table: _Table, con: Any, columns: list[str],
                    foreign: bool = False) -> list[tuple[str, list[str]]]:
        """Check one constraint; returns [(kind, columns)] for primary/unique keys."""
        kind = _enum_name(con.contype)
        details = {"constraint": con.conname} if con.conname else {}
        if kind == "CONSTR_GENERATED":
            self._issue(stmt, "STORED_GENERATED_COLUMNS", table_name, column=columns[0] if columns else "")
            return []
        if kind not in ("CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION", "CONSTR_FOREIGN"):
            return []
        if foreign and kind in ("CONSTR_PRIMARY", "CONSTR_FOREIGN"):
            self._issue(stmt, "CONSTRAINT_ON_FOREIGN_TABLE", table_name, **details)
        if con.deferrable and kind != "CONSTR_FOREIGN":
            self._issue(stmt, "DEFERRABLE_CONSTRAINTS", table_name, **details)
        if self._storage_options(con.options):
            self._issue(stmt, "STORAGE_PARAMETERS", table_name, **details)
        if kind == "CONSTR_EXCLUSION":
            self._issue(stmt, "EXCLUSION_CONSTRAINTS", table_name, **details)
            return []
        if kind == "CONSTR_FOREIGN":
            referenced = _qual(con.pktable)
            if self.tables.get(referenced, _Table()).partitioned:
                self._issue(stmt, "FOREIGN_KEY_REFERENCED_PARTITIONED_TABLE", table_name,
                            references=referenced, **details)
            return []
        if con.nulls_not_distinct:
            self._issue(stmt, "UNIQUE_NULLS_NOT_DISTINCT", table_name, **details)
        for col in columns:
            ref = table.columns.get(col)
            type_key = self._index_type_key(ref) if ref else None
            if type_key:
                self._issue(stmt, catalog.pk_uk_issue_id(type_key), table_name, column=col, **details)
        return [(kind, columns)]

    def _partitioning(self, stmt: _Stmt, name: str, table: _Table, keys: list[tuple[str, list[str]]]) -> None:
        if table.partition_strategy == _PARTITION_STRATEGY_LIST and table.partition_param_count > 1:
            self._issue(stmt, "MULTI_COLUMN_LIST_PARTITION", name)
        if table.partition_has_expression and keys:
            self._issue(stmt, "EXPRESSION_PARTITION_WITH_PK_UK", name)
        for kind, columns in keys:
            missing = [c for c in table.partition_columns if c not in columns]
            if kind == "CONSTR_PRIMARY" and missing and not table.partition_has_expression:
                self._issue(stmt, "INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION", name, missing=", ".join(missing))

    @staticmethod
    def _storage_options(options: Any) -> list[str]:
        return [o.defname for o in options or () if getattr(o, "defname", None)
                and o.defname.lower() not in _YB_STORAGE_OPTIONS]

    def _on_AlterTableStmt(self, stmt: _Stmt, node: Any) -> None:
        objtype = _enum_name(node.objtype)
        name = _qual(node.relation)
        for cmd in node.cmds or ():
            sub = _enum_name(cmd.subtype)
            if objtype == "OBJECT_TYPE":
                if sub in ("AT_AddColumn", "AT_DropColumn", "AT_AlterColumnType"):
                    self._issue(stmt, "ALTER_TYPE_ATTRIBUTE", name)
                continue
            if objtype == "OBJECT_VIEW" and sub != "AT_ChangeOwner":
                self._issue(stmt, "ALTER_VIEW", name)
                continue
            if objtype == "OBJECT_INDEX":
                if sub in ("AT_SetRelOptions", "AT_ResetRelOptions", "AT_SetStatistics"):
                    self._issue(stmt, "ALTER_INDEX_SET", name)
                continue
            self._alter_table_cmd(stmt, name, sub, cmd, foreign=objtype == "OBJECT_FOREIGN_TABLE")

    _ALTER_TABLE_SIMPLE = {
        "AT_SetOptions": "ALTER_TABLE_SET_COLUMN_ATTRIBUTE",
        "AT_ResetOptions": "ALTER_TABLE_RESET_ATTRIBUTE",
        "AT_ResetRelOptions": "ALTER_TABLE_RESET_ATTRIBUTE",
        "AT_ClusterOn": "ALTER_TABLE_CLUSTER_ON",
        "AT_DropCluster": "ALTER_TABLE_SET_WITHOUT_CLUSTER",
        "AT_DisableRule": "ALTER_TABLE_DISABLE_RULE",
        "AT_SetCompression": "COMPRESSION_CLAUSE_IN_TABLE",
        "AT_SetStatistics": "ALTER_TABLE_SET_STATISTICS",
        "AT_SetStorage": "ALTER_TABLE_SET_STORAGE",
        "AT_AlterConstraint": "ALTER_TABLE_ALTER_CONSTRAINT",
        "AT_AddInherit": "ALTER_TABLE_INHERIT",
        "AT_DropInherit": "ALTER_TABLE_INHERIT",
        "AT_AddOf": "ALTER_TABLE_OF",
        "AT_DropOf": "ALTER_TABLE_OF",
        "AT_ValidateConstraint": "ALTER_TABLE_VALIDATE_CONSTRAINT",
    }
    _ALTER_TABLE_DETAIL = {"AT_SetOptions": "column", "AT_ResetOptions": "column", "AT_SetCompression": "column",
                           "AT_SetStatistics": "column", "AT_SetStorage": "column", "AT_DisableRule": "rule",
                           "AT_ClusterOn": "index", "AT_AlterConstraint": "constraint",
                           "AT_ValidateConstraint": "constraint"}

    def _alter_table_cmd(self, stmt: _Stmt, name: str, sub: str, cmd: Any, foreign: bool) -> None:
        simple = self._ALTER_TABLE_SIMPLE.get(sub)
        if simple:
            detail = self._ALTER_TABLE_DETAIL.get(sub)
            extra = {detail: cmd.name} if detail and cmd.name else {}
            self._issue(stmt, simple, name, **extra)
        elif sub == "AT_SetRelOptions" and self._storage_options(cmd.def_):
            self._issue(stmt, "STORAGE_PARAMETERS", name)
        elif sub == "AT_AddConstraint" and type(cmd.def_).__name__ == "Constraint":
            con = cmd.def_
            table = self.tables.get(name, _Table())
            keys = self._constraint(stmt, name, table, con, _strings(con.keys), foreign)
            if table.partitioned and _enum_name(con.contype) == "CONSTR_PRIMARY":
                self._issue(stmt, "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", name,
                            **({"constraint": con.conname} if con.conname else {}))
            if table.partitioned and keys:
                self._partitioning(stmt, name, table, keys)
        elif sub == "AT_AddColumn" and type(cmd.def_).__name__ == "ColumnDef":
            self._column(stmt, name, cmd.def_, foreign)

    # indexes

    def _on_IndexStmt(self, stmt: _Stmt, node: Any) -> None:
        table_name = _qual(node.relation)
        name = f"{node.idxname} ON {table_name}"
        method = (node.accessMethod or "btree").lower()
        method_issue = {"gist": "UNSUPPORTED_GIST_INDEX_METHOD", "brin": "UNSUPPORTED_BRIN_INDEX_METHOD",
                        "spgist": "UNSUPPORTED_SPGIST_INDEX_METHOD"}.get(method)
        if method_issue:
            self._issue(stmt, method_issue, name)
        if self._storage_options(node.options):
            self._issue(stmt, "STORAGE_PARAMETERS", name)
        if node.nulls_not_distinct:
            self._issue(stmt, "UNIQUE_NULLS_NOT_DISTINCT", name)
        params = node.indexParams or ()
        if method == "gin":
            if len(params) > 1:
                self._issue(stmt, "MULTI_COLUMN_GIN_INDEX", name)
            elif any(_enum_name(p.ordering) != "SORTBY_DEFAULT" for p in params):
                self._issue(stmt, "ORDERED_GIN_INDEX", name)
        if method != "btree":
            return
        table = self.tables.get(table_name, _Table())
        for param in params:
            ref: _TypeRef | None = None
            if param.name:
                ref = table.columns.get(param.name)
            elif type(param.expr).__name__ == "TypeCast":
                ref = self._typeref(param.expr.typeName)
            elif type(param.expr).__name__ == "ColumnRef":
                ref = table.columns.get((_strings(param.expr.fields) or [""])[-1])
            type_key = self._index_type_key(ref) if ref else None
            if type_key:
                self._issue(stmt, catalog.index_issue_id(type_key), name, **({"column": param.name}
                                                                              if param.name else {}))

    # triggers, policies, rules

    def _on_CreateTrigStmt(self, stmt: _Stmt, node: Any) -> None:
        table_name = _qual(node.relation)
        name = f"{node.trigname} ON {table_name}"
        if node.isconstraint:
            self._issue(stmt, "CONSTRAINT_TRIGGER", name)
        if node.transitionRels:
            self._issue(stmt, "REFERENCING_CLAUSE_IN_TRIGGER", name)
        if node.row and (node.timing or 0) & _TRIGGER_BEFORE and self.tables.get(table_name, _Table()).partitioned:
            self._issue(stmt, "BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE", name)

    def _on_CreatePolicyStmt(self, stmt: _Stmt, node: Any) -> None:
        roles = [r.rolename for r in node.roles or () if _enum_name(r.roletype) not in _RESERVED_ROLES]
        if roles:
            self._issue(stmt, "POLICY_WITH_ROLES", f"{node.policy_name} ON {_qual(node.table)}",
                        roles=", ".join(roles))

    # views and functions

    def _on_ViewStmt(self, stmt: _Stmt, node: Any) -> None:
        name = _qual(node.view)
        for opt in node.options or ():
            if opt.defname.lower() == "security_invoker" and _defelem_value(opt) in ("true", "on", "1", "yes"):
                self._issue(stmt, "SECURITY_INVOKER_VIEWS", name)
        if _enum_name(node.withCheckOption) != "NO_CHECK_OPTION":
            self._issue(stmt, "VIEW_WITH_CHECK_OPTION", name)
        self._scan_dml(stmt, node.query, stmt.text, name, Category.UNSUPPORTED_FEATURES)

    def _on_CreateTableAsStmt(self, stmt: _Stmt, node: Any) -> None:
        name = _qual(node.into.rel)
        self._scan_dml(stmt, node.query, stmt.text, name, Category.UNSUPPORTED_FEATURES)

    def _on_CreateFunctionStmt(self, stmt: _Stmt, node: Any) -> None:
        names = _strings(node.funcname)
        name = f"{names[-2] if len(names) > 1 else 'public'}.{names[-1]}"
        language, body = "sql", ""
        for opt in node.options or ():
            if opt.defname == "language":
                language = _defelem_value(opt)
            elif opt.defname == "as":
                body = "".join(_strings(opt.arg))
        plpgsql = Category.UNSUPPORTED_PLPGSQL_OBJECTS
        if node.sql_body is not None:
            self._issue(stmt, "SQL_BODY_IN_FUNCTION", name)
            self._scan_dml(stmt, node.sql_body, stmt.text, name, plpgsql)
        if language == "c":
            self._issue(stmt, "LANGUAGE_C_FUNCTION", name)
        elif language == "sql" and body:
            self._scan_sql_text(stmt, body, name)
        elif language == "plpgsql":
            for query in self._plpgsql_queries(stmt, name):
                self._scan_sql_text(stmt, query, name)

    def _scan_sql_text(self, stmt: _Stmt, sql: str, name: str) -> None:
        from pglast import parse_sql
        from pglast.parser import ParseError

        try:
            trees = parse_sql(sql)
        except ParseError:
            return  # a body that does not parse on its own (dynamic pieces); the function itself did parse
        for raw in trees:
            self._scan_dml(stmt, raw.stmt, sql, name, Category.UNSUPPORTED_PLPGSQL_OBJECTS)

    def _plpgsql_queries(self, stmt: _Stmt, name: str) -> list[str]:
        from pglast import parse_plpgsql
        from pglast.parser import ParseError

        try:
            tree = parse_plpgsql(stmt.text)
        except ParseError as exc:
            self.parse_errors.append(ParseProblem(object_type=stmt.obj.type, object_name=name, file=stmt.obj.file,
                                                  sql_statement=stmt.text, error=f"PL/pgSQL body: {exc}"))
            return []
        queries: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                expr = value.get("PLpgSQL_expr")
                if isinstance(expr, dict) and isinstance(expr.get("query"), str):
                    queries.append(_plpgsql_expr_sql(expr["query"], int(expr.get("parseMode", 0))))
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(tree)
        return queries

    # other DDL

    def _on_DefineStmt(self, stmt: _Stmt, node: Any) -> None:
        if _enum_name(node.kind) != "OBJECT_COLLATION":
            return
        name = ".".join(_strings(node.defnames))
        for elem in node.definition or ():
            if elem.defname.lower() == "deterministic":
                self._issue(stmt, "DETERMINISTIC_OPTION_WITH_COLLATION", name)
                if _defelem_value(elem) in ("false", "off", "0", "no"):
                    self._issue(stmt, "NON_DETERMINISTIC_COLLATION", name)

    def _on_CreateExtensionStmt(self, stmt: _Stmt, node: Any) -> None:
        if node.extname.lower() not in catalog.SUPPORTED_EXTENSIONS:
            self._issue(stmt, "UNSUPPORTED_EXTENSION", node.extname, extension=node.extname)

    def _on_CreateConversionStmt(self, stmt: _Stmt, node: Any) -> None:
        self._issue(stmt, "CREATE_CONVERSION", ".".join(_strings(node.conversion_name)))

    def _on_CreateAmStmt(self, stmt: _Stmt, node: Any) -> None:
        self._issue(stmt, "CREATE_ACCESS_METHOD", node.amname)

    def _on_ReindexStmt(self, stmt: _Stmt, node: Any) -> None:
        target = _qual(node.relation) if node.relation is not None else (node.name or "")
        self._issue(stmt, "REINDEX", target)

    def _on_CreatedbStmt(self, stmt: _Stmt, node: Any) -> None:
        options = {o.defname.lower() for o in node.options or ()}
        if options & _PG15_DB_OPTIONS:
            self._issue(stmt, "DATABASE_OPTIONS_PG15", node.dbname,
                        options=", ".join(sorted(options & _PG15_DB_OPTIONS)))
        if options & _PG17_DB_OPTIONS:
            self._issue(stmt, "DATABASE_OPTIONS_PG17", node.dbname,
                        options=", ".join(sorted(options & _PG17_DB_OPTIONS)))

    def _on_CreateSchemaStmt(self, stmt: _Stmt, node: Any) -> None:
        if node.schemaElts:
            self._issue(stmt, "CREATE_SCHEMA_WITH_ELEMENTS", node.schemaname or "")

    def _on_DropStmt(self, stmt: _Stmt, node: Any) -> None:
        name = stmt.obj.qualified_name
        if node.concurrent:
            self._issue(stmt, "DROP_INDEX_CONCURRENTLY", name)
        if len(node.objects or ()) > 1 and _enum_name(node.removeType) in (
                "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_SEQUENCE", "OBJECT_COLLATION", "OBJECT_FOREIGN_TABLE"):
            self._issue(stmt, "DROP_MULTIPLE_OBJECTS", name)

    _ALTER_OBJECT_ISSUES = {"OBJECT_TABLE": "ALTER_TABLE_SET_SCHEMA", "OBJECT_AGGREGATE": "ALTER_AGGREGATE",
                            "OBJECT_CONVERSION": "ALTER_CONVERSION", "OBJECT_VIEW": "ALTER_VIEW"}

    def _on_AlterObjectSchemaStmt(self, stmt: _Stmt, node: Any) -> None:
        issue = self._ALTER_OBJECT_ISSUES.get(_enum_name(node.objectType))
        if issue:
            self._issue(stmt, issue, _qual(node.relation) if node.relation is not None else stmt.obj.qualified_name)

    def _on_RenameStmt(self, stmt: _Stmt, node: Any) -> None:
        kind = _enum_name(node.renameType)
        issue = {"OBJECT_AGGREGATE": "ALTER_AGGREGATE", "OBJECT_CONVERSION": "ALTER_CONVERSION",
                 "OBJECT_VIEW": "ALTER_VIEW", "OBJECT_ATTRIBUTE": "ALTER_TYPE_ATTRIBUTE"}.get(kind)
        if issue:
            self._issue(stmt, issue, _qual(node.relation) if node.relation is not None else stmt.obj.qualified_name)

    def _on_AlterTableSpaceOptionsStmt(self, stmt: _Stmt, node: Any) -> None:
        self._issue(stmt, "ALTER_TABLESPACE", node.tablespacename)

    # query constructs

    def _scan_dml(self, stmt: _Stmt, root: Any, text: str, name: str, category: Category | None) -> None:
        """Query constructs anywhere under `root`, which was parsed from `text`."""
        if root is None:
            return
        for node in _iter_nodes(root):
            for issue_type, details in _query_construct(node):
                self._issue(stmt, issue_type, name, category, **details)
        if _has_non_decimal_literal(text):
            self._issue(stmt, "NON_DECIMAL_INTEGER_LITERAL", name, category)


def _statement_text(sql: str, raw: Any) -> str:
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(sql)
    text = _LEADING_COMMENTS.sub("", sql[start:end]).strip()
    return text if text.endswith(";") else text + ";"
