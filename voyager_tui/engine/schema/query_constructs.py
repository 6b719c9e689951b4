"""DML and query constructs YugabyteDB lacks, found in parse trees of queries and PL/pgSQL bodies.

The assessment reuses this for query texts from pg_stat_statements.
"""

from __future__ import annotations

import re
from typing import Any

from .pgnodes import enum_name as _enum_name
from .pgnodes import strings as _strings

_ASSIGNMENT = re.compile(r"^\s*[\w.\"\[\]]+\s*:?=\s*(.*)$", re.DOTALL)
_NON_DECIMAL = re.compile(r"^[+-]?0[xXoObB]")

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


# ---- query texts (pg_stat_statements): the assessment's entry points ----------------------------------------

_SAVEPOINT_KINDS = frozenset({"TRANS_STMT_SAVEPOINT", "TRANS_STMT_ROLLBACK_TO", "TRANS_STMT_RELEASE"})


class QueryText:
    """One parsed query text: the catalogued constructs in it and the relations it reads or writes.

    Raises ValueError when the text does not parse (pg_stat_statements truncates long texts)."""

    def __init__(self, sql: str) -> None:
        from pglast import parse_sql
        from pglast.parser import ParseError, fingerprint

        from .pgnodes import iter_nodes

        try:
            trees = parse_sql(sql)
            self.fingerprint: str = fingerprint(sql)
        except ParseError as exc:
            raise ValueError(str(exc)) from None
        found: list[tuple[str, dict[str, str]]] = []
        relations: list[tuple[str | None, str]] = []
        ctes: set[str] = set()
        for raw in trees:
            for node in iter_nodes(raw.stmt):
                kind = type(node).__name__
                found += _query_construct(node)
                if kind == "TransactionStmt" and _enum_name(node.kind) in _SAVEPOINT_KINDS:
                    # A live-migration caveat rather than a construct: only query texts can show it.
                    found.append(("SAVEPOINT_USAGE", {}))
                elif kind == "RangeVar":
                    relations.append((node.schemaname, node.relname))
                elif kind == "CommonTableExpr":
                    ctes.add(node.ctename)
        if _has_non_decimal_literal(sql):
            found.append(("NON_DECIMAL_INTEGER_LITERAL", {}))
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self.issues: list[tuple[str, dict[str, str]]] = []
        for issue_type, details in found:
            key = (issue_type, tuple(sorted(details.items())))
            if key not in seen:
                seen.add(key)
                self.issues.append((issue_type, details))
        self.relations: list[tuple[str | None, str]] = [
            (schema, name) for schema, name in relations if schema is not None or name not in ctes]
