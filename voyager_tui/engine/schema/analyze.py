"""Find the constructs of an exported schema that YugabyteDB does not support, for one target version.

Each object's SQL is parsed with pglast (PostgreSQL's own parser); detection walks the parse trees. Two passes:
the first collects what later statements need to know (column types, partitioned tables, user-defined types,
domains), because pg_dump creates a table, then adds its keys, indexes and triggers in separate statements.
Regexes are used only on statements the parser rejects (syntax PostgreSQL itself no longer accepts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..yb_versions import YBVersion
from . import catalog
from .catalog import Category, Impact
from .manifest import SchemaManifest, SchemaObject

REPORT_VERSION = 1

# ---- report model ------------------------------------------------------------------------------------------


class AnalysisIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    issue_type: str
    name: str
    category: Category
    impact: Impact
    description: str
    object_type: str
    object_name: str
    sql_statement: str
    file: str = ""
    workaround: str
    docs_link: str
    gh_issue: str = ""
    fixed_in: dict[str, str] = Field(default_factory=dict)
    fixed_in_target: bool
    """True when the chosen target version already supports the construct (then it sits in resolved_by_target)."""
    preview_note: str | None = None
    details: dict[str, str] = Field(default_factory=dict)


class ObjectTypeCount(BaseModel):
    total: int = 0
    with_issues: int = 0


class AnalysisSummary(BaseModel):
    total_issues: int
    by_category: dict[str, int]
    by_impact: dict[str, int]
    by_object_type: dict[str, ObjectTypeCount]
    resolved_by_target: int


class ParseProblem(BaseModel):
    object_type: str
    object_name: str
    file: str = ""
    sql_statement: str
    error: str


class SchemaAnalysis(BaseModel):
    version: int = REPORT_VERSION
    generated_at: datetime
    target_db_version: str
    target_pg_base: int
    source_version: str | None = None
    summary: AnalysisSummary
    issues: list[AnalysisIssue]
    resolved_by_target: list[AnalysisIssue]
    """Found in the schema but supported by the target version: the what-if for other versions needs them."""
    parse_errors: list[ParseProblem] = Field(default_factory=list)

    def impact_counts(self) -> tuple[int, int, int]:
        """(LEVEL_3, LEVEL_2, LEVEL_1) counts of the unresolved issues."""
        by = self.summary.by_impact
        return by.get(Impact.LEVEL_3, 0), by.get(Impact.LEVEL_2, 0), by.get(Impact.LEVEL_1, 0)


# ---- entry points ------------------------------------------------------------------------------------------


def analyze_manifest(manifest: SchemaManifest, target_version: str) -> SchemaAnalysis:
    return analyze_sql(manifest.objects, target_version, source_version=manifest.source_version)


def analyze_sql(statements: list[SchemaObject], target_version: str, *,
                source_version: str | None = None) -> SchemaAnalysis:
    """Report every catalogued construct in `statements`; those the target version supports go to
    `resolved_by_target` instead of `issues`."""
    target = YBVersion.parse(target_version)
    detector = _Detector()
    parsed = [detector.parse(index, obj) for index, obj in enumerate(statements)]
    for stmts in parsed:
        for stmt in stmts:
            detector.learn(stmt)
    for stmts in parsed:
        for stmt in stmts:
            detector.detect(stmt)

    issues: list[AnalysisIssue] = []
    resolved: list[AnalysisIssue] = []
    objects_with_issues: set[int] = set()
    for found in detector.found:
        entry = catalog.get(found.issue_type)
        fixed = entry.is_fixed_in(target)
        issue = AnalysisIssue(
            issue_type=entry.id, name=entry.name, category=found.category or entry.category, impact=entry.impact,
            description=entry.description, object_type=found.obj.type, object_name=found.object_name,
            sql_statement=found.sql, file=found.obj.file, workaround=entry.workaround, docs_link=entry.docs_link,
            gh_issue=entry.gh_issue, fixed_in=dict(entry.fixed_in), fixed_in_target=fixed,
            preview_note=entry.preview_note(target_version), details=dict(found.details))
        if fixed:
            resolved.append(issue)
        else:
            issues.append(issue)
            objects_with_issues.add(found.obj_index)

    by_object_type: dict[str, ObjectTypeCount] = {}
    for index, obj in enumerate(statements):
        counts = by_object_type.setdefault(obj.type, ObjectTypeCount())
        counts.total += 1
        if index in objects_with_issues:
            counts.with_issues += 1
    summary = AnalysisSummary(
        total_issues=len(issues),
        by_category={c.value: sum(1 for i in issues if i.category is c) for c in Category},
        by_impact={lvl.value: sum(1 for i in issues if i.impact is lvl) for lvl in Impact},
        by_object_type=by_object_type, resolved_by_target=len(resolved))
    return SchemaAnalysis(generated_at=datetime.now(UTC), target_db_version=target_version,
                          target_pg_base=target.pg_base, source_version=source_version, summary=summary,
                          issues=issues, resolved_by_target=resolved, parse_errors=detector.parse_errors)


# ---- detection ---------------------------------------------------------------------------------------------

_META_COMMAND = re.compile(r"^\\\S.*$", re.MULTILINE)
_LEADING_COMMENTS = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")
_WITH_OIDS = re.compile(r"\bWITH\s+OIDS\b", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^\s*[\w.\"\[\]]+\s*:?=\s*(.*)$", re.DOTALL)
_NON_DECIMAL = re.compile(r"^[+-]?0[xXoObB]")

_PARTITION_STRATEGY_LIST = "l"
_TRIGGER_BEFORE = 1 << 1
# Storage parameters that are YugabyteDB's own, so they are never an issue.
_YB_STORAGE_OPTIONS = frozenset({"colocation", "colocated", "colocation_id", "table_oid", "row_type_oid",
                                 "tablegroup"})
_RESERVED_ROLES = frozenset({"ROLESPEC_PUBLIC", "ROLESPEC_CURRENT_USER", "ROLESPEC_SESSION_USER",
                             "ROLESPEC_CURRENT_ROLE"})
_PG15_DB_OPTIONS = frozenset({"icu_locale", "locale_provider", "locale", "strategy", "collation_version", "oid"})
_PG17_DB_OPTIONS = frozenset({"builtin_locale", "icu_rules"})

_ADVISORY_LOCK_FUNCS = frozenset({
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_all",
    "pg_advisory_unlock_shared", "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock", "pg_try_advisory_xact_lock_shared"})
_XML_FUNCS = frozenset({
    "xmltext", "xmlcomment", "xmlconcat", "xmlelement", "xmlforest", "xmlpi", "xmlroot", "xmlagg", "xml",
    "xmlexists", "xml_is_well_formed", "xml_is_well_formed_document", "xml_is_well_formed_content", "xpath",
    "xpath_exists", "xmltable", "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
    "cursor_to_xmlschema", "cursor_to_xml", "query_to_xmlschema", "query_to_xml", "query_to_xml_and_xmlschema",
    "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema", "database_to_xml",
    "database_to_xmlschema", "database_to_xml_and_xmlschema", "xmlconcat2", "xmlvalidate"})
_REGEX_FUNCS = frozenset({"regexp_count", "regexp_instr", "regexp_like"})
_RANGE_AGG_FUNCS = frozenset({"range_agg", "range_intersect_agg"})
_LARGE_OBJECT_FUNCS = frozenset({
    "lo_create", "lo_creat", "lo_import", "lo_import_with_oid", "lo_export", "lo_open", "lo_write", "lo_read",
    "lo_lseek", "lo_lseek64", "lo_tell", "lo_tell64", "lo_truncate", "lo_truncate64", "lo_close", "lo_unlink",
    "lo_from_bytea", "lo_put", "lo_get", "lo_manage", "lo_oid"})
_SYSTEM_COLUMNS = frozenset({"xmin", "xmax", "cmin", "cmax", "ctid"})
_JSON_CONSTRUCTORS = frozenset({"JsonObjectConstructor", "JsonArrayConstructor", "JsonArrayQueryConstructor",
                                "JsonObjectAgg", "JsonArrayAgg"})
_JSON_QUERIES = frozenset({"JsonFuncExpr", "JsonTable"})


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


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value))


def _strings(nodes: Iterable[Any] | None) -> list[str]:
    return [n.sval for n in nodes or () if hasattr(n, "sval")]


def _qual(rangevar: Any) -> str:
    return f"{rangevar.schemaname or 'public'}.{rangevar.relname}"


def _defelem_value(elem: Any) -> str:
    arg = elem.arg
    for attr in ("sval", "ival", "boolval", "fval"):
        if arg is not None and hasattr(arg, attr):
            return str(getattr(arg, attr)).lower()
    if arg is not None and hasattr(arg, "names"):  # a TypeName, e.g. deterministic = false parsed as a name
        return ".".join(_strings(arg.names)).lower()
    return "true" if arg is None else str(arg).lower()


def _iter_nodes(root: Any) -> Iterator[Any]:
    """Every node under `root`. pglast's iterate() descends only when sent Continue, not on plain next()."""
    from pglast.visitors import Continue, Visitor

    walk = Visitor().iterate(root)
    try:
        _ancestors, node = walk.send(None)
        while True:
            yield node
            _ancestors, node = walk.send(Continue)
    except StopIteration:
        return


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

        sql = _META_COMMAND.sub("", obj.sql)
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


def _query_construct(node: Any) -> list[tuple[str, dict[str, str]]]:
    kind = type(node).__name__
    if kind == "FuncCall":
        func = (_strings(node.funcname) or [""])[-1].lower()
        for funcs, issue in ((_ADVISORY_LOCK_FUNCS, "ADVISORY_LOCKS"), (_XML_FUNCS, "XML_FUNCTIONS"),
                             (_REGEX_FUNCS, "REGEX_FUNCTIONS"), (_RANGE_AGG_FUNCS, "RANGE_AGGREGATE_FUNCTION"),
                             (_LARGE_OBJECT_FUNCS, "LARGE_OBJECT_FUNCTIONS")):
            if func in funcs:
                return [(issue, {"function": func})]
        if func == "any_value":
            return [("ANY_VALUE_AGGREGATE_FUNCTION", {})]
        if func == "pg_notify":
            return [("LISTEN_NOTIFY", {})]
        return []
    if kind in ("XmlExpr", "XmlSerialize"):
        return [("XML_FUNCTIONS", {})]
    if kind == "ColumnRef":
        last = (_strings(node.fields) or [""])[-1].lower()
        return [(f"SYSTEM_COLUMN_{last.upper()}", {})] if last in _SYSTEM_COLUMNS else []
    if kind in _JSON_CONSTRUCTORS:
        return [("JSON_CONSTRUCTOR_FUNCTION", {})]
    if kind in _JSON_QUERIES:
        return [("JSON_QUERY_FUNCTION", {})]
    if kind == "JsonIsPredicate":
        return [("JSON_TYPE_PREDICATE", {})]
    if kind == "SelectStmt" and _enum_name(node.limitOption) == "LIMIT_OPTION_WITH_TIES":
        return [("FETCH_WITH_TIES", {})]
    if kind == "CommonTableExpr" and _enum_name(node.ctematerialized) != "CTEMaterializeDefault":
        return [("CTE_WITH_MATERIALIZED_CLAUSE", {})]
    if kind == "MergeStmt":
        return [("MERGE_STATEMENT", {})]
    if kind in ("ListenStmt", "NotifyStmt", "UnlistenStmt"):
        return [("LISTEN_NOTIFY", {})]
    if kind == "CopyStmt":
        found: list[tuple[str, dict[str, str]]] = []
        if node.whereClause is not None:
            found.append(("COPY FROM ... WHERE", {}))
        if any(getattr(o, "defname", "") == "on_error" for o in node.options or ()):
            found.append(("COPY ... ON_ERROR", {}))
        return found
    if kind == "TransactionStmt" and _enum_name(node.kind) in (
            "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED", "TRANS_STMT_ROLLBACK_PREPARED"):
        return [("TWO_PHASE_COMMIT", {})]
    if kind == "CurrentOfExpr":
        return [("WHERE_CURRENT_OF", {})]
    return []


def _has_non_decimal_literal(sql: str) -> bool:
    """The parser turns 0x1F into 31 and keeps no location, so look at the scanner's tokens instead."""
    from pglast.parser import scan

    return any(t.name in ("ICONST", "FCONST") and _NON_DECIMAL.match(sql[t.start:t.end + 1]) for t in scan(sql))


def _plpgsql_expr_sql(query: str, parse_mode: int) -> str:
    """PL/pgSQL keeps expressions and assignments as fragments; make them parseable SELECTs."""
    if parse_mode == 0:
        return query
    if parse_mode >= 3:
        m = _ASSIGNMENT.match(query)
        if m:
            query = m.group(1)
    return f"SELECT {query}"


def _statement_text(sql: str, raw: Any) -> str:
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(sql)
    text = _LEADING_COMMENTS.sub("", sql[start:end]).strip()
    return text if text.endswith(";") else text + ";"


# ---- HTML --------------------------------------------------------------------------------------------------

_HTML = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Schema analysis for YugabyteDB {{ a.target_db_version }}</title>
<style>
 body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1d2330; }
 h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { margin-top: 1.6em; }
 .meta { color: #5a6473; }
 .cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
 .card { border: 1px solid #d7dce3; border-radius: 6px; padding: .6em 1em; min-width: 8em; }
 .card b { display: block; font-size: 1.6em; }
 .LEVEL_3 { color: #b3261e; } .LEVEL_2 { color: #b26a00; } .LEVEL_1 { color: #2c6e2f; }
 table { border-collapse: collapse; width: 100%; }
 th, td { border-bottom: 1px solid #e3e7ed; padding: .35em .5em; text-align: left; vertical-align: top; }
 th { background: #f3f5f8; position: sticky; top: 0; }
 th.sortable { cursor: pointer; user-select: none; } th.sortable:after { content: " \2195"; color: #9aa3af; }
 pre { white-space: pre-wrap; background: #f6f8fa; padding: .5em; margin: .3em 0; font-size: 12px; }
 .filters { display: flex; gap: .6em; flex-wrap: wrap; margin: .6em 0; }
 .filters input, .filters select { padding: .3em; }
 details summary { cursor: pointer; color: #2456a6; }
 .small { font-size: 12px; color: #5a6473; }
</style>
</head>
<body>
{% macro issue_table(rows, id) %}
<table id="{{ id }}" class="issues">
 <thead><tr>
  <th class="sortable" data-key="impact">Impact</th><th class="sortable">Category</th>
  <th class="sortable">Issue</th><th class="sortable">Object type</th><th class="sortable">Object</th>
  <th>Details</th>
 </tr></thead>
 <tbody>
 {% for i in rows %}
 <tr data-cat="{{ i.category.value }}" data-imp="{{ i.impact.value }}">
  <td class="{{ i.impact.value }}">{{ i.impact.value }}</td>
  <td>{{ titles[i.category.value] }}</td>
  <td><b>{{ i.name }}</b><div class="small">{{ i.issue_type }}</div></td>
  <td>{{ i.object_type }}</td>
  <td>{{ i.object_name }}{% for k, v in i.details|dictsort %}<div class="small">{{ k }}: {{ v }}</div>{% endfor %}</td>
  <td><details><summary>SQL, workaround, versions</summary>
   <pre>{{ i.sql_statement }}</pre>
   <p>{{ i.description }}{% if i.preview_note %} <em>{{ i.preview_note }}</em>{% endif %}</p>
   <p><b>Workaround:</b> {{ i.workaround }}</p>
   <p><b>Fixed in:</b> {% if i.fixed_in %}{{ i.fixed_in.values()|join(", ") }}{% else %}not yet{% endif %}
   &middot; <a href="{{ i.docs_link }}">docs</a>
   {% if i.gh_issue %}&middot; <a href="{{ i.gh_issue }}">issue</a>{% endif %}
   {% if i.file %}&middot; file {{ i.file }}{% endif %}</p>
  </details></td>
 </tr>
 {% endfor %}
 </tbody>
</table>
{% endmacro %}
<h1>Schema analysis</h1>
<p class="meta">Target YugabyteDB {{ a.target_db_version }} (PostgreSQL {{ a.target_pg_base }} based)
{% if a.source_version %} &middot; source {{ a.source_version }}{% endif %}
&middot; generated {{ a.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC") }}</p>

<div class="cards">
 <div class="card"><b>{{ a.summary.total_issues }}</b>issues</div>
 <div class="card LEVEL_3"><b>{{ a.summary.by_impact.LEVEL_3 }}</b>Level 3</div>
 <div class="card LEVEL_2"><b>{{ a.summary.by_impact.LEVEL_2 }}</b>Level 2</div>
 <div class="card LEVEL_1"><b>{{ a.summary.by_impact.LEVEL_1 }}</b>Level 1</div>
 <div class="card"><b>{{ a.summary.resolved_by_target }}</b>supported by this version</div>
 {% if a.parse_errors %}<div class="card"><b>{{ a.parse_errors|length }}</b>statements not parsed</div>{% endif %}
</div>

<h2>Summary</h2>
<table style="width:auto">
 <tr><th>Category</th><th>Issues</th></tr>
 {% for cat, n in a.summary.by_category.items() %}<tr><td>{{ titles[cat] }}</td><td>{{ n }}</td></tr>{% endfor %}
</table>
<h3>Objects</h3>
<table style="width:auto">
 <tr><th>Object type</th><th>Total</th><th>With issues</th></tr>
 {% for t, c in a.summary.by_object_type|dictsort %}<tr><td>{{ t }}</td><td>{{ c.total }}</td>
 <td>{{ c.with_issues }}</td></tr>{% endfor %}
</table>

<h2>Issues</h2>
<div class="filters">
 <input id="q" type="search" placeholder="Filter (object, issue, SQL)&hellip;" size="40">
 <select id="cat"><option value="">All categories</option>
  {% for cat, n in a.summary.by_category.items() if n %}<option value="{{ cat }}">{{ titles[cat] }}</option>{% endfor %}
 </select>
 <select id="imp"><option value="">All impacts</option>
  <option>LEVEL_3</option><option>LEVEL_2</option><option>LEVEL_1</option></select>
 <span id="shown" class="small"></span>
</div>
{{ issue_table(a.issues, "issues") }}

{% if a.resolved_by_target %}
<h2>Supported by YugabyteDB {{ a.target_db_version }}</h2>
<p class="small">Found in the schema, but this target version supports them; an older target would report them.</p>
{{ issue_table(a.resolved_by_target, "resolved") }}
{% endif %}

{% if a.parse_errors %}
<h2>Statements that could not be parsed</h2>
<table><tr><th>Object</th><th>Error</th><th>SQL</th></tr>
{% for p in a.parse_errors %}<tr><td>{{ p.object_type }} {{ p.object_name }}</td><td>{{ p.error }}</td>
<td><pre>{{ p.sql_statement }}</pre></td></tr>{% endfor %}
</table>
{% endif %}


<script>
(function () {
  var order = {LEVEL_3: 3, LEVEL_2: 2, LEVEL_1: 1};
  document.querySelectorAll("table.issues").forEach(function (table) {
    table.querySelectorAll("th.sortable").forEach(function (th, col) {
      var asc = false;
      th.addEventListener("click", function () {
        asc = !asc;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          if (th.dataset.key === "impact") { x = order[x] || 0; y = order[y] || 0; }
          var r = x < y ? -1 : x > y ? 1 : 0;
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var q = document.getElementById("q"), cat = document.getElementById("cat"), imp = document.getElementById("imp");
  function apply() {
    var text = q.value.toLowerCase(), shown = 0, rows = document.querySelectorAll("#issues tbody tr");
    rows.forEach(function (r) {
      var ok = (!text || r.textContent.toLowerCase().indexOf(text) >= 0) &&
               (!cat.value || r.dataset.cat === cat.value) && (!imp.value || r.dataset.imp === imp.value);
      r.style.display = ok ? "" : "none";
      if (ok) { shown++; }
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " shown";
  }
  [q, cat, imp].forEach(function (el) { el.addEventListener("input", apply); });
  apply();
})();
</script>
</body>
</html>
"""


def render_html(analysis: SchemaAnalysis) -> str:
    """One self-contained page (inline CSS and JS, no network) with the summary and a sortable,
    filterable issue table."""
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_HTML)
    titles = {c.value: t for c, t in catalog.CATEGORY_TITLES.items()}
    return template.render(a=analysis, titles=titles)
