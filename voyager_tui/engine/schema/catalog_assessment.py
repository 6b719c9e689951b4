"""Catalog entries only the assessment finds: performance findings from catalog metadata and ANALYZE statistics
(research notes §3.5), and the datatypes of MySQL and Oracle sources that the migration cannot carry (§3.6, §3.7).
schema/catalog.py merges them into the one catalog."""

from __future__ import annotations

from .issue_types import Category, Impact, IssueType, Maturity
from .issue_types import fixed_in as _fix

DOCS_MYSQL = "https://docs.yugabyte.com/stable/yugabyte-voyager/known-issues/mysql/"
DOCS_ORACLE = "https://docs.yugabyte.com/stable/yugabyte-voyager/known-issues/oracle/"
D = Category.UNSUPPORTED_DATATYPES
L1, L3 = Impact.LEVEL_1, Impact.LEVEL_3
_ENTRIES: list[IssueType] = []

# ---- §3.5 performance optimizations: found by the assessment from catalog metadata and ANALYZE statistics ------
# Thresholds live with the detector (assessment/perf.py); these entries only describe the findings.
P = Category.PERFORMANCE_OPTIMIZATIONS
_DOCS_ASSESS = "https://docs.yugabyte.com/stable/yugabyte-voyager/migrate/assess-migration/"
_DOCS_HOTSPOTS = "https://docs.yugabyte.com/stable/develop/data-modeling/hot-shards-ysql/"
# Bucket-based index scans that return a globally ordered result: tech preview from 2025.2.1.0 (docs,
# develop/data-modeling/bucket-based-index-ysql); a preview is never counted as a fix.
_BUCKET_INDEX_PREVIEW = _fix(s2025_2="2025.2.1.0")
_ENTRIES += [
    *[IssueType(f"HOTSPOTS_ON_{kind.upper()}_INDEX", f"Hotspots with range-sharded {kind} indexes", P, L1,
                f"The index's first column is a {kind}. Secondary indexes are range-sharded on YugabyteDB, so "
                f"monotonically increasing {kind} values send every insert to the last tablet (a write hotspot).",
                "Make the leading column HASH-sharded if only equality lookups use it, or prepend a bucket column "
                "(e.g. (yb_hash_code(id) % 8) ASC) to spread the writes.",
                _DOCS_HOTSPOTS, preview_in=_BUCKET_INDEX_PREVIEW, preview_maturity=Maturity.TECH_PREVIEW,
                enabling_flag="yb_enable_derived_saops")
      for kind in ("date", "timestamp")],
    *[IssueType(f"HOTSPOTS_ON_{kind.upper()}_PK_UK", f"Hotspots with range-sharded {kind} primary/unique keys", P,
                L1,
                f"The primary or unique key starts with a {kind} column. Range-sharding it (as voyager does for "
                f"{kind}-leading keys) sends monotonically increasing inserts to one tablet.",
                "Lead the key with a hash-sharded column, or add a bucket column in front of the key.",
                _DOCS_HOTSPOTS, preview_in=_BUCKET_INDEX_PREVIEW, preview_maturity=Maturity.TECH_PREVIEW,
                enabling_flag="yb_enable_derived_saops")
      for kind in ("date", "timestamp")],
    IssueType("REDUNDANT_INDEXES", "Redundant indexes", P, L1,
              "The index's key columns are a leading prefix of another index on the same table with the same "
              "access method: the other index serves the same lookups, and every write maintains both.",
              "Drop the redundant index (it also shortens the data import).", _DOCS_ASSESS),
    IssueType("INDEX_ON_LOW_CARDINALITY_COLUMN", "Index on a low-cardinality column", P, L1,
              "The index's first column has few distinct values, so with hash sharding all rows of one value land "
              "in one tablet and the index gives little selectivity.",
              "Make the index composite with a high-cardinality column after the low-cardinality one, or drop it.",
              _DOCS_ASSESS),
    IssueType("INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_NULL_VALUES",
              "Index on a column with a high percentage of NULL values", P, L1,
              "Most rows have NULL in the index's first column; they all hash to one tablet of the index (a hotspot "
              "on writes) although queries rarely look for NULL.",
              "Make it a partial index: CREATE INDEX ... WHERE <column> IS NOT NULL.", _DOCS_ASSESS),
    IssueType("INDEX_ON_COLUMN_WITH_HIGH_PERCENTAGE_OF_PARTICULAR_VALUE",
              "Index on a column with a high percentage of one value", P, L1,
              "One value dominates the index's first column; its rows all land in one tablet of the index.",
              "Exclude the dominant value with a partial index (WHERE <column> <> value), or add a "
              "high-cardinality column to the key.", _DOCS_ASSESS),
    IssueType("FOREIGN_KEY_DATATYPE_MISMATCH", "Foreign key datatype mismatch", P, L1,
              "A foreign key column's type differs from the referenced column's type, so every check of the "
              "constraint needs a cast and cannot use the referenced index as efficiently.",
              "Change the referencing column to the referenced column's type.", _DOCS_ASSESS),
    IssueType("MISSING_FOREIGN_KEY_INDEX", "Missing foreign key index", P, L1,
              "No index starts with the foreign key's columns, so deletes and key updates on the referenced table "
              "scan the referencing table (a distributed scan on YugabyteDB).",
              "Create an index on the foreign key columns of the referencing table.", _DOCS_ASSESS),
    IssueType("MISSING_PRIMARY_KEY_WHEN_UNIQUE_NOT_NULL", "Missing primary key when a unique NOT NULL key exists", P,
              L1,
              "The table has no primary key but a unique key over NOT NULL columns. Without a primary key "
              "YugabyteDB shards by a hidden row id, so every lookup by the natural key needs an index hop.",
              "Declare the unique NOT NULL columns as the primary key.", _DOCS_ASSESS),
]

# ---- §3.6 / §3.7 datatypes of MySQL and Oracle sources that the migration cannot carry (from columns.csv) -------
# yb-voyager drops MySQL BLOB-family columns on export (src/srcdb/mysql.go) and cannot export these Oracle types
# (src/srcdb/oracle.go); CLOB only with --allow-oracle-clob-data-export.
MYSQL_UNSUPPORTED_DATATYPES: tuple[str, ...] = ("tinyblob", "blob", "mediumblob", "longblob")
ORACLE_UNSUPPORTED_DATATYPES: tuple[str, ...] = (
    "blob", "clob", "nclob", "bfile", "uritype", "xmltype", "anydata", "anytype", "anydataset", "rowid", "urowid",
    "sdo_geometry", "sdo_topo_geometry", "sdo_georaster", "json")


def source_datatype_issue_id(source: str, type_name: str) -> str:
    """MYSQL_UNSUPPORTED_DATATYPE_BLOB, ORACLE_UNSUPPORTED_DATATYPE_XMLTYPE, ..."""
    return f"{source.upper()}_UNSUPPORTED_DATATYPE_{type_name.upper()}"


for _t in MYSQL_UNSUPPORTED_DATATYPES:
    _ENTRIES.append(IssueType(
        source_datatype_issue_id("mysql", _t), f"Unsupported datatype (MySQL) - {_t}", D, L3,
        f"The {_t.upper()} column cannot be exported: the migration leaves it out, so its data would be lost.",
        "Move the content out of the database (object storage) or convert the column to a type the export "
        "supports before migrating, and plan a separate copy into a bytea column.", DOCS_MYSQL))
for _t in ORACLE_UNSUPPORTED_DATATYPES:
    _ENTRIES.append(IssueType(
        source_datatype_issue_id("oracle", _t), f"Unsupported datatype (Oracle) - {_t}", D, L3,
        f"The Oracle {_t.upper()} type cannot be exported by the migration"
        + (" (CLOB only with --allow-oracle-clob-data-export)." if _t == "clob" else "."),
        "Convert the column before migrating (e.g. LOBs to a separate copy into bytea/text, XMLTYPE to text, "
        "ROWID values to text), or migrate the data with a custom script.", DOCS_ORACLE))

ASSESSMENT_ENTRIES: tuple[IssueType, ...] = tuple(_ENTRIES)
