"""The issue catalog covers yb-voyager's PostgreSQL catalog (research notes §3.1-3.3) and every entry is usable."""

from __future__ import annotations

import re

import pytest

from voyager_tui.engine.schema import catalog
from voyager_tui.engine.schema.catalog import CATALOG, Category, Impact
from voyager_tui.engine.yb_versions import YBVersion

INDEX_TYPES = ["CITEXT", "TSVECTOR", "TSQUERY", "JSONB", "INET", "JSON", "MACADDR", "MACADDR8", "CIDR", "BIT",
               "VARBIT", "DATERANGE", "TSRANGE", "TSTZRANGE", "NUMRANGE", "INT4RANGE", "INT8RANGE", "INTERVAL",
               "CIRCLE", "BOX", "LINE", "LSEG", "POINT", "PG_LSN", "PATH", "POLYGON", "TXID_SNAPSHOT", "ARRAY",
               "USER_DEFINED"]

# §3.1 DDL / unsupported_features (typed rows, then the untyped regex row with our ids)
FEATURES = [
    "STORED_GENERATED_COLUMNS", "UNLOGGED_TABLES", "UNSUPPORTED_GIST_INDEX_METHOD", "UNSUPPORTED_BRIN_INDEX_METHOD",
    "UNSUPPORTED_SPGIST_INDEX_METHOD", "STORAGE_PARAMETERS", "ALTER_TABLE_SET_COLUMN_ATTRIBUTE",
    "ALTER_TABLE_CLUSTER_ON", "ALTER_TABLE_DISABLE_RULE", "EXCLUSION_CONSTRAINTS", "DEFERRABLE_CONSTRAINTS",
    "MULTI_COLUMN_GIN_INDEX", "ORDERED_GIN_INDEX", "CONSTRAINT_TRIGGER", "REFERENCING_CLAUSE_IN_TRIGGER",
    "BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE", "EXPRESSION_PARTITION_WITH_PK_UK", "MULTI_COLUMN_LIST_PARTITION",
    "INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION", "INHERITANCE", "SECURITY_INVOKER_VIEWS",
    "DETERMINISTIC_OPTION_WITH_COLLATION", "NON_DETERMINISTIC_COLLATION", "FOREIGN_KEY_REFERENCED_PARTITIONED_TABLE",
    "SQL_BODY_IN_FUNCTION", "UNIQUE_NULLS_NOT_DISTINCT", "COMPRESSION_CLAUSE_IN_TABLE", "DATABASE_OPTIONS_PG15",
    "DATABASE_OPTIONS_PG17", "UNSUPPORTED_EXTENSION", "CREATE_CONVERSION", "VIEW_WITH_CHECK_OPTION",
    *[f"PK_UK_ON_{t}_DATATYPE" for t in INDEX_TYPES], *[f"INDEX_ON_{t}_DATATYPE" for t in INDEX_TYPES],
]
UNTYPED = [
    "ALTER_TYPE_ATTRIBUTE", "ALTER_VIEW", "ALTER_AGGREGATE", "ALTER_TABLESPACE", "ALTER_CONVERSION", "ALTER_TABLE_OF",
    "ALTER_TABLE_SET_SCHEMA", "ALTER_TABLE_SET_STATISTICS", "ALTER_TABLE_SET_STORAGE", "ALTER_TABLE_RESET_ATTRIBUTE",
    "ALTER_TABLE_ALTER_CONSTRAINT", "WITH_OIDS", "ALTER_TABLE_SET_WITHOUT_CLUSTER", "ALTER_TABLE_INHERIT",
    "ALTER_TABLE_VALIDATE_CONSTRAINT", "ALTER_INDEX_SET", "CREATE_ACCESS_METHOD", "REINDEX", "CREATE_TABLE_LIKE",
    "CREATE_SCHEMA_WITH_ELEMENTS", "LANGUAGE_C_FUNCTION", "DROP_MULTIPLE_OBJECTS", "DROP_INDEX_CONCURRENTLY",
    "WHERE_CURRENT_OF", "CONSTRAINT_ON_FOREIGN_TABLE",
]
# §3.2 datatypes
DATATYPES = [f"UNSUPPORTED_DATATYPE_{t}" for t in (
    "XML", "XID", "GEOMETRY", "GEOGRAPHY", "BOX2D", "BOX3D", "TOPOGEOMETRY", "RASTER", "LARGE_OBJECT", "PG_LSN",
    "TXID_SNAPSHOT", "INT4MULTIRANGE", "INT8MULTIRANGE", "NUMMULTIRANGE", "TSMULTIRANGE", "TSTZMULTIRANGE",
    "DATEMULTIRANGE")]
# §3.3 migration caveats
CAVEATS = [
    "ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", "FOREIGN_TABLE", "POLICY_WITH_ROLES", "SAVEPOINT_USAGE",
    *[f"UNSUPPORTED_DATATYPE_LIVE_MIGRATION_{t}" for t in (
        "POINT", "LINE", "LSEG", "BOX", "PATH", "POLYGON", "CIRCLE", "VECTOR", "TIMETZ")],
    "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_USER_DEFINED",
    "UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FF_FB_TSQUERY",
]


def test_covers_ddl_features_datatypes_and_caveats() -> None:
    assert len(INDEX_TYPES) == 29
    for ids, category in ((FEATURES, Category.UNSUPPORTED_FEATURES), (UNTYPED, Category.UNSUPPORTED_FEATURES),
                          (DATATYPES, Category.UNSUPPORTED_DATATYPES), (CAVEATS, Category.MIGRATION_CAVEATS)):
        missing = [i for i in ids if i not in CATALOG]
        assert not missing, f"missing from the catalog: {missing}"
        wrong = [i for i in ids if CATALOG[i].category is not category]
        assert not wrong, f"not in {category}: {wrong}"


def test_ids_are_unique_and_stable_in_style() -> None:
    ids = [e.id for e in catalog._ENTRIES]
    assert len(ids) == len(set(ids)) == len(CATALOG)
    # yb-voyager's two COPY ids contain spaces and dots; every other id is UPPER_SNAKE.
    odd = [i for i in ids if not re.fullmatch(r"[A-Z0-9_]+", i)]
    assert sorted(odd) == ["COPY ... ON_ERROR", "COPY FROM ... WHERE"]


@pytest.mark.parametrize("entry", list(CATALOG.values()), ids=lambda e: e.id)
def test_every_issue_is_complete(entry: catalog.IssueType) -> None:
    assert entry.name.strip() and entry.description.strip()
    assert entry.workaround.strip(), "every issue needs a workaround"
    assert entry.docs_link.startswith("https://docs.yugabyte.com/")
    assert isinstance(entry.category, Category) and isinstance(entry.impact, Impact)
    for series, version in {**entry.fixed_in, **entry.preview_in}.items():
        assert YBVersion.parse(version).series == series
    if entry.preview_in:
        assert entry.preview_maturity is not None and entry.enabling_flag


@pytest.mark.parametrize(("issue_id", "impact"), [
    ("DEFERRABLE_CONSTRAINTS", Impact.LEVEL_3), ("INHERITANCE", Impact.LEVEL_3),
    ("UNSUPPORTED_EXTENSION", Impact.LEVEL_3), ("CREATE_CONVERSION", Impact.LEVEL_3),
    ("DATABASE_OPTIONS_PG15", Impact.LEVEL_2), ("STORED_GENERATED_COLUMNS", Impact.LEVEL_1),
    ("UNSUPPORTED_DATATYPE_XML", Impact.LEVEL_3), ("UNSUPPORTED_DATATYPE_LIVE_MIGRATION_TIMETZ", Impact.LEVEL_1),
])
def test_impact_levels(issue_id: str, impact: Impact) -> None:
    assert CATALOG[issue_id].impact is impact


def test_all_datatype_issues_are_level_3() -> None:
    assert {e.impact for e in catalog.by_category(Category.UNSUPPORTED_DATATYPES)} == {Impact.LEVEL_3}


@pytest.mark.parametrize(("issue_id", "fixed", "not_fixed"), [
    ("STORED_GENERATED_COLUMNS", ["2.25.0.0", "2025.1", "2026.1.0.0"], ["2024.2.3.0", "2.20.0.0"]),
    ("UNLOGGED_TABLES", ["2024.2.0.0", "2025.1"], ["2024.1.3.1", "2.20.0.0"]),
    ("ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE", ["2.23.0.0", "2024.1.0.0"], ["2.20.0.0"]),
    ("SAVEPOINT_USAGE", ["2024.2.8.0", "2025.1.4.0", "2025.2.2.0"], ["2024.2.3.0", "2025.1.0.0"]),
    ("UNSUPPORTED_DATATYPE_INT4MULTIRANGE", ["2025.1"], ["2024.2"]),
    ("UNSUPPORTED_GIST_INDEX_METHOD", [], ["2026.1.0.0"]),
    ("INHERITANCE", [], ["2025.1", "2026.1"]),  # tech preview only: still reported
    ("DATABASE_OPTIONS_PG15", ["2.25.0.0"], ["2025.1", "2.27.0.0"]),
])
def test_fixed_in_versions(issue_id: str, fixed: list[str], not_fixed: list[str]) -> None:
    entry = CATALOG[issue_id]
    assert [v for v in fixed if not entry.is_fixed_in(v)] == []
    assert [v for v in not_fixed if entry.is_fixed_in(v)] == []


def test_preview_note_names_the_flag() -> None:
    note = CATALOG["INHERITANCE"].preview_note("2025.1.0.0")
    assert note is not None and "ysql_enable_inheritance" in note and "tech preview" in note
    assert CATALOG["INHERITANCE"].preview_note("2024.2.3.0") is None
    assert CATALOG["ADVISORY_LOCKS"].preview_note("2.25.1.0") is not None
    assert CATALOG["ADVISORY_LOCKS"].preview_note("2025.1") is None  # GA there, nothing to switch on


def test_supported_extensions_are_lowercase() -> None:
    assert all(e == e.lower() for e in catalog.SUPPORTED_EXTENSIONS)
    assert "postgres_fdw" in catalog.SUPPORTED_EXTENSIONS and "postgis" not in catalog.SUPPORTED_EXTENSIONS
