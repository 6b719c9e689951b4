"""The catalog of PostgreSQL constructs YugabyteDB does not support (or supports only from some version).

One entry per issue type. Ids are yb-voyager's issue type names, so reports and telemetry line up with the
tool users already know; the entries yb-voyager reports without a type (its regex checks) got ids here in the
same style. `analyze schema` and `assessment` both read this module; detection lives elsewhere
(schema/analyze.py), so the catalog stays plain data that tests can check for completeness.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from .catalog_assessment import (
    ASSESSMENT_ENTRIES,
    DOCS_MYSQL,
    DOCS_ORACLE,
    MYSQL_UNSUPPORTED_DATATYPES,
    ORACLE_UNSUPPORTED_DATATYPES,
    source_datatype_issue_id,
)
from .issue_types import CATEGORY_TITLES, Category, Impact, IssueType, Maturity
from .issue_types import fixed_in as _fix

__all__ = ["CATALOG", "CATEGORY_TITLES", "MYSQL_UNSUPPORTED_DATATYPES", "ORACLE_UNSUPPORTED_DATATYPES", "Category",
           "Impact", "IssueType", "Maturity", "by_category", "get", "source_datatype_issue_id"]


_DOCS = "https://docs.yugabyte.com/stable/yugabyte-voyager/known-issues/postgresql/"
_DOCS_EXTENSIONS = "https://docs.yugabyte.com/stable/explore/ysql-language-features/pg-extensions/"
_DOCS_COMPAT = "https://docs.yugabyte.com/stable/explore/ysql-language-features/postgresql-compatibility/"


# The PG15-based line: everything PostgreSQL 12-15 added arrived with 2.25 (preview) and 2025.1 (stable).
PG15_LINE = _fix(s2_25="2.25.0.0", s2025_1="2025.1.0.0", s2025_2="2025.2.0.0", s2026_1="2026.1.0.0")
_UNLOGGED_FIX = _fix(s2024_2="2024.2.0.0", s2_25="2.25.0.0", s2025_1="2025.1.0.0", s2025_2="2025.2.0.0",
                     s2026_1="2026.1.0.0")
_ADD_PK_PARTITIONED_FIX = _fix(s2_23="2.23.0.0", s2024_1="2024.1.0.0", s2024_2="2024.2.0.0", s2_25="2.25.0.0",
                               s2025_1="2025.1.0.0", s2025_2="2025.2.0.0", s2026_1="2026.1.0.0")
_SAVEPOINT_FIX = _fix(s2024_2="2024.2.8.0", s2025_1="2025.1.4.0", s2025_2="2025.2.2.0", s2026_1="2026.1.0.0")
_PG15_STABLE = _fix(s2025_1="2025.1.0.0", s2025_2="2025.2.0.0", s2026_1="2026.1.0.0")

F = Category.UNSUPPORTED_FEATURES
D = Category.UNSUPPORTED_DATATYPES
C = Category.MIGRATION_CAVEATS
Q = Category.UNSUPPORTED_QUERY_CONSTRUCTS
L1, L2, L3 = Impact.LEVEL_1, Impact.LEVEL_2, Impact.LEVEL_3

_ENTRIES: list[IssueType] = [
    # ---- §3.1 DDL: unsupported features ---------------------------------------------------------------------
    IssueType("STORED_GENERATED_COLUMNS", "Stored generated columns", F, L1,
              "Columns declared GENERATED ALWAYS AS (...) STORED cannot be created on PG11-based YugabyteDB.",
              "Drop the GENERATED clause and compute the column with a BEFORE INSERT OR UPDATE trigger.",
              _DOCS + "#generated-always-as-stored-type-column-is-not-supported", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/10695"),
    IssueType("UNLOGGED_TABLES", "UNLOGGED tables", F, L1,
              "CREATE UNLOGGED TABLE fails before 2024.2; every YugabyteDB table is replicated and durable.",
              "Remove the UNLOGGED keyword; the table becomes a normal (logged) table.",
              _DOCS + "#unlogged-table-is-not-supported", _UNLOGGED_FIX,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1129"),
    IssueType("UNSUPPORTED_GIST_INDEX_METHOD", "Index with GIST access method", F, L1,
              "YugabyteDB indexes are LSM (and GIN); the GiST access method does not exist.",
              "Drop the index, or replace it with a btree/GIN index that serves the same queries.",
              _DOCS + "#gist-brin-and-spgist-index-types-are-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1337"),
    IssueType("UNSUPPORTED_BRIN_INDEX_METHOD", "Index with BRIN access method", F, L1,
              "The BRIN access method does not exist in YugabyteDB.",
              "Drop the index; a range-sharded (ASC) index on the column covers most BRIN use cases.",
              _DOCS + "#gist-brin-and-spgist-index-types-are-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1337"),
    IssueType("UNSUPPORTED_SPGIST_INDEX_METHOD", "Index with SPGIST access method", F, L1,
              "The SP-GiST access method does not exist in YugabyteDB.",
              "Drop the index, or replace it with a btree/GIN index that serves the same queries.",
              _DOCS + "#gist-brin-and-spgist-index-types-are-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1337"),
    IssueType("STORAGE_PARAMETERS", "Storage parameters", F, L1,
              "WITH (...) storage parameters such as fillfactor or fastupdate on tables, indexes or constraints "
              "are heap/btree tuning knobs that YugabyteDB rejects.",
              "Remove the WITH (...) clause from the DDL.",
              _DOCS + "#storage-parameters-on-indexes-or-constraints-in-the-source-postgresql",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/23467"),
    IssueType("ALTER_TABLE_SET_COLUMN_ATTRIBUTE", "ALTER TABLE .. ALTER COLUMN .. SET ( attribute = value )", F, L1,
              "Per-column planner attributes (n_distinct, n_distinct_inherited) cannot be set.",
              "Remove the statement; it only tunes planner estimates.",
              _DOCS + "#unsupported-alter-table-ddl-variants-in-source-schema",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1124"),
    IssueType("ALTER_TABLE_CLUSTER_ON", "ALTER TABLE CLUSTER ON", F, L1,
              "CLUSTER ON marks an index for physical reordering of a heap table, which does not apply to "
              "DocDB storage.",
              "Remove the statement; order by the primary key (range sharding) if physical order matters.",
              _DOCS + "#unsupported-alter-table-ddl-variants-in-source-schema",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1124"),
    IssueType("ALTER_TABLE_DISABLE_RULE", "ALTER TABLE .. DISABLE RULE", F, L1,
              "Rules cannot be disabled with ALTER TABLE.",
              "Drop the rule instead of disabling it (re-create it when needed).",
              _DOCS + "#unsupported-alter-table-ddl-variants-in-source-schema",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1124"),
    IssueType("EXCLUSION_CONSTRAINTS", "Exclusion constraints", F, L1,
              "EXCLUDE constraints need a GiST index, which YugabyteDB does not have.",
              "Enforce the rule in the application or with a trigger that checks for conflicting rows.",
              _DOCS + "#exclusion-constraints-is-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/3944"),
    IssueType("DEFERRABLE_CONSTRAINTS", "Deferrable constraints", F, L3,
              "Only foreign keys can be DEFERRABLE; deferrable primary key, unique and check constraints are "
              "rejected, and code that relies on checking them at commit changes behaviour.",
              "Make the constraint NOT DEFERRABLE and reorder the application's writes so each statement "
              "leaves the table consistent.",
              _DOCS + "#deferrable-constraint-on-constraints-other-than-foreign-keys-is-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1709"),
    IssueType("MULTI_COLUMN_GIN_INDEX", "Multi-column GIN index", F, L1,
              "A YugabyteDB GIN index covers exactly one column.",
              "Create one GIN index per column.",
              _DOCS + "#gin-indexes-on-multiple-columns-are-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/10652"),
    IssueType("ORDERED_GIN_INDEX", "Ordered GIN index", F, L1,
              "GIN index columns cannot carry ASC/DESC/HASH ordering.",
              "Remove the ordering from the GIN index column.",
              _DOCS + "#issue-in-some-unsupported-cases-of-gin-indexes",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/10653"),
    IssueType("CONSTRAINT_TRIGGER", "Constraint trigger", F, L1,
              "CREATE CONSTRAINT TRIGGER (deferrable triggers) is not supported.",
              "Use a normal AFTER trigger, or move the check into the application.",
              _DOCS + "#constraint-trigger-is-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/4700"),
    IssueType("REFERENCING_CLAUSE_IN_TRIGGER", "REFERENCING clause in triggers", F, L1,
              "Statement triggers with transition tables (REFERENCING NEW/OLD TABLE AS ...) are not supported.",
              "Rewrite as a FOR EACH ROW trigger, or do the batch work in the application.",
              _DOCS + "#referencing-clause-for-triggers",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1668"),
    IssueType("BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE", "BEFORE ROW triggers on partitioned tables", F, L1,
              "A BEFORE ... FOR EACH ROW trigger cannot be created on the partitioned (parent) table on "
              "PG11-based YugabyteDB.",
              "Create the trigger on each partition instead of on the parent.",
              _DOCS + "#before-row-triggers-on-partitioned-tables", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/24830"),
    IssueType("EXPRESSION_PARTITION_WITH_PK_UK", "Expression partitions with primary/unique keys", F, L1,
              "A table partitioned by an expression cannot have a primary key or unique constraint.",
              "Partition by plain columns, or drop the primary/unique key (enforce uniqueness per partition).",
              DOCS_MYSQL + "#tables-partitioned-with-expressions-cannot-contain-primary-unique-keys",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/698"),
    IssueType("MULTI_COLUMN_LIST_PARTITION", "Multi-column partition by list", F, L1,
              "PARTITION BY LIST takes a single column.",
              "Partition by one column, or switch to RANGE partitioning over the columns.",
              DOCS_MYSQL + "#multi-column-partition-by-list-is-not-supported",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/699"),
    IssueType("INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION", "Partition key columns not part of primary key", F, L1,
              "The primary key of a partitioned table must contain every partition key column.",
              "Add the partition key columns to the primary key.",
              DOCS_ORACLE + "#partition-key-column-not-part-of-primary-key-columns",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/578"),
    IssueType("INHERITANCE", "Table inheritance", F, L3,
              "INHERITS (table inheritance) is not supported; tables and queries that rely on it must be redesigned.",
              "Replace inheritance with declarative partitioning, or with separate tables and a UNION ALL view.",
              _DOCS + "#table-inheritance-is-not-supported",
              preview_in=_PG15_STABLE, preview_maturity=Maturity.TECH_PREVIEW,
              enabling_flag="ysql_enable_inheritance",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/1129"),
    IssueType("SECURITY_INVOKER_VIEWS", "Security invoker views", F, L1,
              "Views WITH (security_invoker) (PostgreSQL 15) are rejected on PG11-based YugabyteDB.",
              "Create the view without security_invoker and grant the underlying tables as needed.",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("DETERMINISTIC_OPTION_WITH_COLLATION", "Deterministic attribute in collation", F, L1,
              "The deterministic = ... option of CREATE COLLATION (PostgreSQL 12) is rejected on PG11-based "
              "YugabyteDB.",
              "Remove the option (collations are deterministic there).",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("NON_DETERMINISTIC_COLLATION", "Non-deterministic collations", F, L1,
              "Non-deterministic (for example case-insensitive ICU) collations are not supported.",
              "Use a deterministic collation, and lower()/citext-style comparisons where case-insensitivity is "
              "needed.",
              _DOCS + "#postgresql-12-and-later-features",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25541"),
    IssueType("FOREIGN_KEY_REFERENCED_PARTITIONED_TABLE", "Foreign key references a partitioned table", F, L1,
              "A foreign key cannot reference a partitioned table on PG11-based YugabyteDB.",
              "Reference the partitions, or enforce the relationship with a trigger.",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("SQL_BODY_IN_FUNCTION", "SQL body in function", F, L1,
              "SQL-standard function bodies (BEGIN ATOMIC ... END / RETURN expr) are rejected on PG11-based "
              "YugabyteDB.",
              "Rewrite the function with a quoted body: AS $$ ... $$ LANGUAGE sql.",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("UNIQUE_NULLS_NOT_DISTINCT", "Unique nulls not distinct", F, L1,
              "UNIQUE NULLS NOT DISTINCT (PostgreSQL 15) is rejected on PG11-based YugabyteDB.",
              "Drop NULLS NOT DISTINCT and enforce one NULL with a partial unique index on (col IS NULL).",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("COMPRESSION_CLAUSE_IN_TABLE", "COMPRESSION clause in table for TOASTing", F, L1,
              "Column COMPRESSION (TOAST) settings have no meaning in YugabyteDB, which does not TOAST.",
              "Remove the COMPRESSION clause / SET COMPRESSION statement.",
              _DOCS + "#postgresql-12-and-later-features",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25575"),
    IssueType("DATABASE_OPTIONS_PG15", "Database options (PostgreSQL 15)", F, L2,
              "CREATE DATABASE options added in PostgreSQL 15 (locale_provider, icu_locale, locale, strategy, "
              "collation_version, oid) are rejected.",
              "Create the database without these options.",
              _DOCS + "#postgresql-12-and-later-features", _fix(s2_25="2.25.0.0"),
              # Only the 2.25 preview accepted them; the stable PG15 series did not keep that.
              carry_forward=False,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25541"),
    IssueType("DATABASE_OPTIONS_PG17", "Database options (PostgreSQL 17)", F, L2,
              "CREATE DATABASE options added in PostgreSQL 17 (builtin_locale, icu_rules) are rejected.",
              "Create the database without these options.",
              _DOCS + "#postgresql-12-and-later-features",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25541"),
    IssueType("UNSUPPORTED_EXTENSION", "Unsupported extension", F, L3,
              "The extension is not bundled with YugabyteDB, so objects and code that depend on it will not work.",
              "Find a supported alternative (see the list of supported extensions), or move the logic into "
              "the application.",
              _DOCS_EXTENSIONS),
    IssueType("CREATE_CONVERSION", "CREATE CONVERSION", F, L3,
              "User-defined encoding conversions are not supported.",
              "Remove the conversion and convert encodings in the application.",
              _DOCS + "#create-or-alter-conversion-is-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/10866"),
    IssueType("VIEW_WITH_CHECK_OPTION", "View WITH CHECK OPTION", F, L1,
              "Views WITH [LOCAL | CASCADED] CHECK OPTION are not supported.",
              "Create the view without CHECK OPTION and enforce the condition with a trigger on the base table.",
              _DOCS + "#view-with-check-option-is-not-supported",
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/22716"),
]

# yb-voyager's analyze-schema also reports these with regexes and no issue type; ids are ours.
_UNTYPED_ALTER_LINK = _DOCS + "#unsupported-alter-table-ddl-variants-in-source-schema"
_ENTRIES += [
    IssueType(id_, name, F, L1, description, workaround, link, gh_issue=gh)
    for id_, name, description, workaround, link, gh in [
        ("ALTER_TABLE_OF", "ALTER TABLE .. [NOT] OF", "Binding a table to a composite type is not supported.",
         "Remove the statement.", _UNTYPED_ALTER_LINK, "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_SET_SCHEMA", "ALTER TABLE .. SET SCHEMA", "Moving a table to another schema is not supported.",
         "Create the table in the target schema directly.", _UNTYPED_ALTER_LINK,
         "https://github.com/yugabyte/yugabyte-db/issues/3947"),
        ("ALTER_TABLE_SET_STATISTICS", "ALTER TABLE .. ALTER COLUMN .. SET STATISTICS",
         "Per-column statistics targets cannot be set.", "Remove the statement.", _UNTYPED_ALTER_LINK,
         "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_SET_STORAGE", "ALTER TABLE .. ALTER COLUMN .. SET STORAGE",
         "Column storage modes (PLAIN/EXTERNAL/EXTENDED/MAIN) are heap concepts.", "Remove the statement.",
         _UNTYPED_ALTER_LINK, "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_RESET_ATTRIBUTE", "ALTER TABLE .. RESET (...)",
         "Resetting table or column attributes is not supported.", "Remove the statement.",
         _UNTYPED_ALTER_LINK, "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_ALTER_CONSTRAINT", "ALTER TABLE .. ALTER CONSTRAINT",
         "Changing a constraint's deferrability in place is not supported.",
         "Drop and re-create the constraint.", _UNTYPED_ALTER_LINK,
         "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_SET_WITHOUT_CLUSTER", "ALTER TABLE .. SET WITHOUT CLUSTER",
         "CLUSTER markings do not exist in YugabyteDB.", "Remove the statement.", _UNTYPED_ALTER_LINK,
         "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_INHERIT", "ALTER TABLE .. [NO] INHERIT", "Changing table inheritance is not supported.",
         "Redesign without inheritance (see INHERITANCE).", _UNTYPED_ALTER_LINK,
         "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TABLE_VALIDATE_CONSTRAINT", "ALTER TABLE .. VALIDATE CONSTRAINT",
         "NOT VALID constraints cannot be validated later.", "Create the constraint as valid.",
         _UNTYPED_ALTER_LINK, "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("WITH_OIDS", "Tables WITH OIDS", "User tables with OIDs are not supported.",
         "Remove WITH OIDS / SET WITH OIDS and add an identity column if rows need an id.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/10273"),
        ("ALTER_INDEX_SET", "ALTER INDEX .. SET / RESET", "Index storage parameters and statistics cannot be set.",
         "Remove the statement.", _UNTYPED_ALTER_LINK, "https://github.com/yugabyte/yugabyte-db/issues/1124"),
        ("ALTER_TYPE_ATTRIBUTE", "ALTER TYPE .. ADD/DROP/ALTER ATTRIBUTE",
         "Changing the attributes of a composite type is not supported.",
         "Create the type with its final attributes.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/1893"),
        ("ALTER_VIEW", "ALTER VIEW", "ALTER VIEW variants other than OWNER TO are not supported.",
         "Re-create the view (CREATE OR REPLACE VIEW) with the wanted definition.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/1131"),
        ("ALTER_AGGREGATE", "ALTER AGGREGATE", "Renaming or moving aggregates is not supported.",
         "Create the aggregate with its final name and schema.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/2717"),
        ("ALTER_TABLESPACE", "ALTER TABLESPACE", "Tablespace options cannot be altered.",
         "Create the tablespace with its final options (YugabyteDB tablespaces describe placement).",
         _DOCS_COMPAT, "https://github.com/yugabyte/yugabyte-db/issues/1153"),
        ("ALTER_CONVERSION", "ALTER CONVERSION", "Conversions are not supported, so neither is altering them.",
         "Remove the statement.", _DOCS + "#create-or-alter-conversion-is-not-supported",
         "https://github.com/yugabyte/yugabyte-db/issues/10866"),
        ("CREATE_ACCESS_METHOD", "CREATE ACCESS METHOD", "Custom access methods are not supported.",
         "Remove the access method and the objects that use it.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/10693"),
        ("REINDEX", "REINDEX", "REINDEX is not supported (LSM indexes do not bloat the way btree heaps do).",
         "Remove the statement.", _DOCS_COMPAT, "https://github.com/yugabyte/yugabyte-db/issues/10267"),
        ("CREATE_TABLE_LIKE", "CREATE TABLE .. (LIKE ..)", "Copying a table definition with LIKE is not supported.",
         "Spell the columns and constraints out.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/1129"),
        ("CREATE_SCHEMA_WITH_ELEMENTS", "CREATE SCHEMA with elements",
         "CREATE SCHEMA cannot create objects in the same statement.",
         "Create the schema first, then each object with its own statement.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/10865"),
        ("LANGUAGE_C_FUNCTION", "LANGUAGE C function",
         "Functions implemented in C need their shared library on every YugabyteDB node.",
         "Rewrite the function in SQL or PL/pgSQL, or use an equivalent supported extension.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yb-voyager/issues/1540"),
        ("DROP_MULTIPLE_OBJECTS", "DROP of multiple objects", "One DROP statement naming several objects fails.",
         "Split it into one DROP per object.", _DOCS_COMPAT, "https://github.com/yugabyte/yugabyte-db/issues/880"),
        ("DROP_INDEX_CONCURRENTLY", "DROP INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY is not supported.",
         "Drop the index without CONCURRENTLY.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/22717"),
        ("WHERE_CURRENT_OF", "WHERE CURRENT OF", "Positioned UPDATE/DELETE through a cursor is not supported.",
         "Update or delete by primary key instead of by cursor position.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/737"),
        ("CONSTRAINT_ON_FOREIGN_TABLE", "Primary/foreign key on a foreign table",
         "Primary and foreign key constraints cannot be declared on foreign tables.",
         "Remove the constraint from the foreign table.", _DOCS_COMPAT,
         "https://github.com/yugabyte/yugabyte-db/issues/10698"),
    ]
]

# ---- §3.1 PK/UK and indexes on datatypes without an LSM ordering -------------------------------------------
INDEX_UNSUPPORTED_TYPES: tuple[str, ...] = (
    "citext", "tsvector", "tsquery", "jsonb", "inet", "json", "macaddr", "macaddr8", "cidr", "bit", "varbit",
    "daterange", "tsrange", "tstzrange", "numrange", "int4range", "int8range", "interval", "circle", "box", "line",
    "lseg", "point", "pg_lsn", "path", "polygon", "txid_snapshot", "array", "user_defined",
)
"""Column types a primary key, unique constraint or btree index cannot be built on (plus arrays and UDTs)."""


def _type_label(t: str) -> str:
    return {"array": "array", "user_defined": "user defined"}.get(t, t)


def pk_uk_issue_id(type_key: str) -> str:
    return f"PK_UK_ON_{type_key.upper()}_DATATYPE"


def index_issue_id(type_key: str) -> str:
    return f"INDEX_ON_{type_key.upper()}_DATATYPE"


_INDEX_DOCS = _DOCS + "#indexes-on-some-complex-data-types-are-not-supported"
for _t in INDEX_UNSUPPORTED_TYPES:
    _ENTRIES.append(IssueType(
        pk_uk_issue_id(_t), f"Primary/Unique key on column with {_type_label(_t)} datatype", F, L1,
        f"A primary key or unique constraint on a {_type_label(_t)} column cannot be created: YugabyteDB has no "
        "LSM ordering for this type.",
        "Key on a supported column instead, or on a hash/cast of the value (e.g. a generated text or md5 "
        "column with its own unique index).",
        _INDEX_DOCS, gh_issue="https://github.com/yugabyte/yugabyte-db/issues/25003"))
    _ENTRIES.append(IssueType(
        index_issue_id(_t), f"Index on column with {_type_label(_t)} datatype", F, L1,
        f"A btree (LSM) index on a {_type_label(_t)} column cannot be created in YugabyteDB.",
        "Index an expression of a supported type instead (e.g. ((col::text)) or a hash of it), or use GIN where "
        "the type supports it.",
        _INDEX_DOCS, gh_issue="https://github.com/yugabyte/yugabyte-db/issues/9698"))

# ---- §3.2 datatypes YugabyteDB cannot store -----------------------------------------------------------------
UNSUPPORTED_DATATYPES: Mapping[str, str] = MappingProxyType({
    # type name as it appears in DDL -> issue id
    "xml": "UNSUPPORTED_DATATYPE_XML",
    "xid": "UNSUPPORTED_DATATYPE_XID",
    "geometry": "UNSUPPORTED_DATATYPE_GEOMETRY",
    "geography": "UNSUPPORTED_DATATYPE_GEOGRAPHY",
    "box2d": "UNSUPPORTED_DATATYPE_BOX2D",
    "box3d": "UNSUPPORTED_DATATYPE_BOX3D",
    "topogeometry": "UNSUPPORTED_DATATYPE_TOPOGEOMETRY",
    "raster": "UNSUPPORTED_DATATYPE_RASTER",
    "lo": "UNSUPPORTED_DATATYPE_LARGE_OBJECT",
    "pg_lsn": "UNSUPPORTED_DATATYPE_PG_LSN",
    "txid_snapshot": "UNSUPPORTED_DATATYPE_TXID_SNAPSHOT",
    "int4multirange": "UNSUPPORTED_DATATYPE_INT4MULTIRANGE",
    "int8multirange": "UNSUPPORTED_DATATYPE_INT8MULTIRANGE",
    "nummultirange": "UNSUPPORTED_DATATYPE_NUMMULTIRANGE",
    "tsmultirange": "UNSUPPORTED_DATATYPE_TSMULTIRANGE",
    "tstzmultirange": "UNSUPPORTED_DATATYPE_TSTZMULTIRANGE",
    "datemultirange": "UNSUPPORTED_DATATYPE_DATEMULTIRANGE",
})
_POSTGIS = frozenset({"geometry", "geography", "box2d", "box3d", "topogeometry", "raster"})
_MULTIRANGE = frozenset(t for t in UNSUPPORTED_DATATYPES if t.endswith("multirange"))
for _t, _id in UNSUPPORTED_DATATYPES.items():
    if _t in _POSTGIS:
        _what, _how = "PostGIS types cannot be stored: YugabyteDB does not bundle PostGIS.", (
            "Store the value as text (WKT) or bytea (WKB) and do spatial work in the application.")
        _link = _DOCS + "#unsupported-datatypes-by-yugabytedb"
    elif _t in _MULTIRANGE:
        _what, _how = ("Multirange types (PostgreSQL 14) do not exist on PG11-based YugabyteDB.",
                       "Store an array of the matching range type, or one row per range.")
        _link = _DOCS + "#postgresql-12-and-later-features"
    elif _t == "xml":
        _what, _how = ("The xml type is not supported: rows with xml data cannot be loaded.",
                       "Convert the column to text and validate XML in the application.")
        _link = _DOCS + "#data-ingestion-on-xml-data-type-is-not-supported"
    elif _t == "lo":
        _what, _how = ("Large objects (the lo type and the lo_* functions) are not supported.",
                       "Store the content in a bytea column.")
        _link = _DOCS + "#large-objects-and-its-functions-are-currently-not-supported"
    elif _t == "xid":
        _what, _how = ("Transaction ids (xid) have no meaning across a distributed database.",
                       "Drop the column or store the value as bigint.")
        _link = _DOCS + "#xid-functions-is-not-supported"
    else:
        _what, _how = (f"The {_t} type is tied to PostgreSQL's local WAL/transaction system and is not supported.",
                       "Drop the column or store the value as text.")
        _link = _DOCS + "#unsupported-datatypes-by-yugabytedb"
    _ENTRIES.append(IssueType(_id, f"Unsupported datatype - {_t}", D, L3, _what, _how, _link,
                              PG15_LINE if _t in _MULTIRANGE else _fix(),
                              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/3345"))

# ---- §3.3 migration caveats ---------------------------------------------------------------------------------
_ENTRIES += [
    IssueType("ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "Adding primary key to a partitioned table", C, L1,
              "ALTER TABLE ... ADD PRIMARY KEY on a partitioned table fails on older versions, and pg_dump always "
              "adds primary keys that way.",
              "Move the PRIMARY KEY into the CREATE TABLE of the partitioned table.",
              _DOCS + "#adding-primary-key-to-a-partitioned-table-results-in-an-error", _ADD_PK_PARTITIONED_FIX,
              gh_issue="https://github.com/yugabyte/yugabyte-db/issues/10074"),
    IssueType("FOREIGN_TABLE", "Foreign table", C, L1,
              "Foreign tables are migrated without their server and user mapping, which must exist on the target "
              "first.",
              "Create the foreign server and user mapping on the target before importing the schema.",
              _DOCS + "#foreign-table-in-the-source-database-requires-server-and-user-mapping",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/1627"),
    IssueType("POLICY_WITH_ROLES", "Policy with roles", C, L1,
              "Roles are not migrated, so a policy naming roles fails unless those roles exist on the target.",
              "Create the roles on the target before importing the schema.",
              _DOCS + "#policies-on-users-in-source-require-manual-user-creation",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/1655"),
    IssueType("SAVEPOINT_USAGE", "SAVEPOINT usage in transactions", C, L1,
              "With live migration, YugabyteDB CDC on older versions also emits changes that were rolled back to a "
              "savepoint, so the replica can diverge.",
              "Upgrade the target to a fixed version before a live migration, or avoid ROLLBACK TO SAVEPOINT.",
              "https://docs.yugabyte.com/stable/yugabyte-voyager/known-issues/#savepoint-usage-in-transactions",
              _SAVEPOINT_FIX),
]
LIVE_MIGRATION_UNSUPPORTED_TYPES: Mapping[str, str] = MappingProxyType({
    t: f"UNSUPPORTED_DATATYPE_LIVE_MIGRATION_{t.upper()}"
    for t in ("point", "line", "lseg", "box", "path", "polygon", "circle", "vector", "timetz")
})
for _t, _id in LIVE_MIGRATION_UNSUPPORTED_TYPES.items():
    _ENTRIES.append(IssueType(
        _id, f"Unsupported datatype for live migration - {_t}", C, L1,
        f"Live migration (CDC) cannot stream {_t} columns: they are left out of the change stream, so their "
        "changes after the snapshot are lost. Offline migration is not affected.",
        "Migrate offline, or convert the column to a supported type (e.g. text) before starting live migration.",
        _DOCS + "#unsupported-datatypes-by-voyager-during-live-migration",
        gh_issue="https://github.com/yugabyte/yb-voyager/issues/1731"))
_ENTRIES += [
    IssueType("UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_USER_DEFINED",
              "Unsupported datatype for live migration with fall-forward/fall-back - user-defined type", C, L1,
              "Live migration with fall-forward or fall-back cannot stream columns of user-defined types from "
              "YugabyteDB with the gRPC connector.",
              "Use the logical replication connector, migrate without fall-forward/fall-back, or migrate offline.",
              _DOCS + "#unsupported-datatypes-by-voyager-during-live-migration",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/1731"),
    IssueType("UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_TSQUERY",
              "Unsupported datatype for live migration with fall-forward/fall-back - tsquery", C, L1,
              "Live migration with fall-forward or fall-back cannot stream tsquery columns from YugabyteDB.",
              "Migrate without fall-forward/fall-back, or offline.",
              _DOCS + "#unsupported-datatypes-by-voyager-during-live-migration",
              gh_issue="https://github.com/yugabyte/yb-voyager/issues/1731"),
]

# ---- §3.4 query constructs (found in function bodies, views and, later, pg_stat_statements) ----------------
_ENTRIES += [
    IssueType("ADVISORY_LOCKS", "Advisory locks", Q, L2,
              "pg_advisory_lock() and friends are not available before 2025.1.",
              "Use a lock table with SELECT ... FOR UPDATE, or an external lock service.",
              _DOCS + "#advisory-locks-is-not-yet-implemented", _PG15_STABLE,
              preview_in=_fix(s2_25="2.25.1.0"), preview_maturity=Maturity.TECH_PREVIEW,
              enabling_flag="ysql_yb_enable_advisory_locks"),
    *[IssueType(f"SYSTEM_COLUMN_{c.upper()}", f"System column - {c}", Q, L2,
                f"The system column {c} does not exist on YugabyteDB tables.",
                "Use an application-managed version or timestamp column instead.",
                _DOCS + "#system-columns-is-not-yet-supported")
      for c in ("xmin", "xmax", "cmin", "cmax", "ctid")],
    IssueType("XML_FUNCTIONS", "XML functions", Q, L2, "XML functions need the xml type, which is not supported.",
              "Process XML in the application.", _DOCS + "#xml-functions-is-not-yet-supported"),
    IssueType("REGEX_FUNCTIONS", "Regex functions", Q, L2,
              "regexp_count, regexp_instr and regexp_like (PostgreSQL 15) are missing before 2.25/2025.1.",
              "Rewrite with regexp_matches / regexp_replace.", _DOCS + "#postgresql-12-and-later-features", PG15_LINE),
    IssueType("ANY_VALUE_AGGREGATE_FUNCTION", "ANY_VALUE() aggregate", Q, L2,
              "any_value() (PostgreSQL 16) is not available.", "Use min() or max() instead.",
              _DOCS + "#postgresql-12-and-later-features"),
    IssueType("RANGE_AGGREGATE_FUNCTION", "Range aggregate functions", Q, L2,
              "range_agg / range_intersect_agg (PostgreSQL 14) are missing before 2.25/2025.1.",
              "Compute the aggregate in the application.", _DOCS + "#postgresql-12-and-later-features", PG15_LINE),
    IssueType("JSON_CONSTRUCTOR_FUNCTION", "JSON constructor functions", Q, L2,
              "SQL/JSON constructors (JSON_OBJECT, JSON_ARRAY, JSON_OBJECTAGG, JSON_ARRAYAGG; PostgreSQL 16) are "
              "not available.", "Use json_build_object / json_agg and friends.",
              _DOCS + "#postgresql-12-and-later-features"),
    IssueType("JSON_QUERY_FUNCTION", "JSON query functions", Q, L2,
              "SQL/JSON query functions (JSON_QUERY, JSON_VALUE, JSON_EXISTS, JSON_TABLE; PostgreSQL 17) are not "
              "available.", "Use the jsonb operators and jsonb_path_* functions.",
              _DOCS + "#postgresql-12-and-later-features"),
    IssueType("JSON_TYPE_PREDICATE", "IS JSON predicate", Q, L2,
              "The IS JSON predicate (PostgreSQL 16) is not available.",
              "Validate with a cast inside a function that catches the error.",
              _DOCS + "#postgresql-12-and-later-features"),
    IssueType("JSONB_SUBSCRIPTING", "JSONB subscripting", Q, L2,
              "jsonb subscripting (col['key'], PostgreSQL 14) is missing before 2.25/2025.1.",
              "Use the -> / ->> operators.", _DOCS + "#jsonb-subscripting", PG15_LINE),
    IssueType("LARGE_OBJECT_FUNCTIONS", "Large object functions", Q, L2,
              "lo_create, lo_import and the other large object functions are not supported.",
              "Store the content in a bytea column.",
              _DOCS + "#large-objects-and-its-functions-are-currently-not-supported"),
    IssueType("COPY FROM ... WHERE", "COPY FROM ... WHERE", Q, L2,
              "COPY FROM with a WHERE clause (PostgreSQL 12) is missing before 2.25/2025.1.",
              "Load everything into a staging table and INSERT ... SELECT ... WHERE.",
              _DOCS + "#postgresql-12-and-later-features", PG15_LINE),
    IssueType("COPY ... ON_ERROR", "COPY ... ON_ERROR", Q, L2,
              "COPY's ON_ERROR option (PostgreSQL 17) is not available.",
              "Clean the input before loading it.", _DOCS + "#postgresql-12-and-later-features"),
    IssueType("FETCH_WITH_TIES", "FETCH .. WITH TIES", Q, L2,
              "FETCH FIRST ... WITH TIES (PostgreSQL 13) is not available.",
              "Use a window function (rank()) to keep the ties.", _DOCS + "#postgresql-12-and-later-features"),
    IssueType("CTE_WITH_MATERIALIZED_CLAUSE", "WITH .. AS [NOT] MATERIALIZED", Q, L2,
              "The [NOT] MATERIALIZED option of common table expressions (PostgreSQL 12) is missing before "
              "2.25/2025.1.", "Remove the option.", _DOCS + "#postgresql-12-and-later-features", PG15_LINE),
    IssueType("MERGE_STATEMENT", "MERGE statement", Q, L2, "MERGE (PostgreSQL 15) is not available.",
              "Use INSERT ... ON CONFLICT DO UPDATE, or separate UPDATE and INSERT statements.",
              _DOCS + "#merge-command"),
    IssueType("LISTEN_NOTIFY", "LISTEN / NOTIFY", Q, L2, "LISTEN, NOTIFY and pg_notify() do nothing on older versions.",
              "Use a message queue or polling.", _DOCS + "#events-listen-notify",
              preview_in=_fix(s2025_2="2025.2.3.0", s2026_1="2026.1.0.0"), preview_maturity=Maturity.EARLY_ACCESS,
              enabling_flag="ysql_yb_enable_listen_notify"),
    IssueType("NON_DECIMAL_INTEGER_LITERAL", "Non-decimal integer literals", Q, L2,
              "Hexadecimal, octal and binary integer literals (0x.., 0o.., 0b..; PostgreSQL 16) are not accepted.",
              "Write the number in decimal.", _DOCS + "#postgresql-12-and-later-features"),
    IssueType("TWO_PHASE_COMMIT", "Two-phase commit", Q, L3,
              "PREPARE TRANSACTION / COMMIT PREPARED (two-phase commit) are not supported.",
              "Redesign the distributed transaction (e.g. an outbox table).", _DOCS + "#two-phase-commit"),
]

# §3.5 performance findings and §3.6/§3.7 MySQL and Oracle datatypes: found only by the assessment.
_ENTRIES += ASSESSMENT_ENTRIES

CATALOG: Mapping[str, IssueType] = MappingProxyType({e.id: e for e in _ENTRIES})
if len(CATALOG) != len(_ENTRIES):  # a duplicate id would silently hide an entry
    raise RuntimeError("duplicate issue type id in the catalog")

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({
    "adminpack", "amcheck", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube", "dblink",
    "dict_int", "dict_xsyn", "earthdistance", "file_fdw", "fuzzystrmatch", "hll", "hstore", "hypopg",
    "insert_username", "intagg", "intarray", "isn", "lo", "ltree", "moddatetime", "orafce", "pageinspect",
    "pg_buffercache", "pg_cron", "pg_freespacemap", "pg_hint_plan", "pg_prewarm", "pg_stat_monitor",
    "pg_stat_statements", "pg_trgm", "pg_visibility", "pgaudit", "pgcrypto", "pgrowlocks", "pgstattuple",
    "plpgsql", "postgres_fdw", "refint", "seg", "sslinfo", "tablefunc", "tcn", "timetravel", "tsm_system_rows",
    "tsm_system_time", "unaccent", "uuid-ossp", "vector", "yb_pg_metrics", "yb_test_extension",
})
"""Extensions YugabyteDB ships: yb-voyager's allow-list, plus pgvector (YugabyteDB bundles it; vector columns
only raise the live-migration caveat)."""


def get(issue_id: str) -> IssueType:
    try:
        return CATALOG[issue_id]
    except KeyError:
        raise KeyError(f"unknown issue type {issue_id!r}") from None


def by_category(category: Category) -> Iterator[IssueType]:
    return (e for e in CATALOG.values() if e.category is category)
