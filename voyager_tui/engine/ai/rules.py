"""The built-in rule provider: offline, deterministic fixes for catalog issues that have a mechanical workaround.

Each rule parses the object's DDL with pglast, changes the AST and prints it again, so the fix keeps every part of
the statement it does not need to touch. Issues with no mechanical fix (inheritance, unsupported datatypes, ...)
get no suggestion (None); the LLM provider or a human handles those. NOT_MECHANICAL lists each such catalog
issue type with the reason, so every catalog entry is either fixed here or explained.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pglast import ast, parse_sql
from pglast.parser import ParseError

from ..schema.catalog import (
    CATALOG,
    LIVE_MIGRATION_UNSUPPORTED_TYPES,
    MYSQL_UNSUPPORTED_DATATYPES,
    ORACLE_UNSUPPORTED_DATATYPES,
    UNSUPPORTED_DATATYPES,
    Category,
    source_datatype_issue_id,
)
from .models import Problem, Suggestion
from .rules_indexes import (
    _index_method_to_btree,
    _index_on_expression,
    _multi_column_gin,
    _ordered_gin,
    _pk_uk_alternative,
)
from .rules_kit import (
    _UNSUPPORTED_METHODS,
    _WITH_OIDS,
    NoFix,
    Rule,
)
from .rules_statements import (
    _drop_foreign_table_keys,
    _drop_statement,
    _nulls_distinct_indexes,
    _partition_columns_into_pk,
    _quoted_function_body,
    _split_create_schema,
    _split_drop,
    _without_check_option,
    _without_deterministic,
    _without_oids,
    _without_security_invoker,
)
from .rules_tables import (
    _compression,
    _constraint_trigger,
    _deferrable,
    _disable_rule_to_drop,
    _drop_index_concurrently,
    _exclusion,
    _generated_columns,
    _remove_table_of,
    _remove_tuning_cmds,
    _storage_parameters,
    _unlogged,
)

PROVIDER = "rules"


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


def _rule_for(issue_type: str) -> Rule | None:
    if issue_type in _UNSUPPORTED_METHODS:
        return _index_method_to_btree
    if issue_type.startswith("PK_UK_ON_") and issue_type.endswith("_DATATYPE"):
        return _pk_uk_alternative
    if issue_type.startswith("INDEX_ON_") and issue_type.endswith("_DATATYPE"):
        return _index_on_expression
    return _RULES.get(issue_type)


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
