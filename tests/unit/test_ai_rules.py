"""The rule provider on SQL text: each fix changes only what the issue needs."""

from __future__ import annotations

import pytest

from voyager_tui.engine.ai.models import Problem
from voyager_tui.engine.ai.rules import NOT_MECHANICAL, _rule_for, suggest
from voyager_tui.engine.schema.catalog import CATALOG


def fix(issue: str, ddl: str, object_type: str = "TABLE") -> str | None:
    s = suggest(Problem(object_type=object_type, object_name="x", issue_type=issue, original_sql=ddl))
    if s is None:
        return None
    assert s.provider == "rules" and s.model is None and s.reason and s.original_sql == ddl
    return s.suggested_sql


@pytest.mark.parametrize("method", ["brin", "gist", "spgist"])
def test_unsupported_index_method_becomes_btree_on_the_same_columns(method: str) -> None:
    got = fix(f"UNSUPPORTED_{method.upper()}_INDEX_METHOD",
              f"CREATE INDEX i ON s.t USING {method} (a, (lower(b))) WITH (pages_per_range = 8) WHERE a > 0")
    assert got == "CREATE INDEX i ON s.t (a, (lower(b))) WHERE a > 0;"


def test_index_with_a_method_specific_operator_class_is_dropped() -> None:
    s = suggest(Problem(object_type="INDEX", object_name="i", issue_type="UNSUPPORTED_GIST_INDEX_METHOD",
                        original_sql="CREATE INDEX i ON t USING gist (title gist_trgm_ops)"))
    assert s is not None and s.suggested_sql == "" and "Drop" in s.reason and s.caveats


def test_deferrable_is_removed_except_on_foreign_keys() -> None:
    got = fix("DEFERRABLE_CONSTRAINTS", "CREATE TABLE t (id int, n int UNIQUE DEFERRABLE INITIALLY DEFERRED, "
              "r int REFERENCES p (id) DEFERRABLE, UNIQUE (id, n) DEFERRABLE INITIALLY IMMEDIATE)")
    assert got == ("CREATE TABLE t (id integer, n integer UNIQUE, r integer REFERENCES p (id) DEFERRABLE, "
                   "UNIQUE (id, n));")
    assert fix("DEFERRABLE_CONSTRAINTS", "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a) DEFERRABLE") == \
        "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);"
    assert fix("DEFERRABLE_CONSTRAINTS", "CREATE TABLE t (a int UNIQUE)") is None


def test_storage_parameters_and_cluster_on_are_removed() -> None:
    assert fix("STORAGE_PARAMETERS", "CREATE TABLE t (id int PRIMARY KEY WITH (fillfactor=80)) WITH (fillfactor=70)") \
        == "CREATE TABLE t (id integer PRIMARY KEY);"
    assert fix("ALTER_TABLE_CLUSTER_ON", "ALTER TABLE t CLUSTER ON t_pkey") == ""
    assert fix("ALTER_TABLE_SET_STATISTICS", "ALTER TABLE t ALTER COLUMN a SET STATISTICS 500, ADD COLUMN b int") == \
        "ALTER TABLE t ADD COLUMN b integer;"


def test_unlogged_becomes_logged() -> None:
    assert fix("UNLOGGED_TABLES", "CREATE UNLOGGED TABLE s.c (k text)") == "CREATE TABLE s.c (k text);"


def test_stored_generated_column_becomes_a_trigger() -> None:
    got = fix("STORED_GENERATED_COLUMNS", 'CREATE TABLE s."Order" (q int, p numeric, '
              'tot numeric GENERATED ALWAYS AS (q * p) STORED)')
    assert got is not None
    assert got.startswith('CREATE TABLE s."Order" (q integer, p numeric, tot numeric);\n')
    assert "new.tot := new.q * new.p;" in got
    assert 'BEFORE INSERT OR UPDATE ON s."Order" FOR EACH ROW EXECUTE FUNCTION s."Order_generated_columns"()' in got


def test_pk_on_unsupported_type_becomes_a_unique_expression_index() -> None:
    got = fix("PK_UK_ON_INET_DATATYPE", "CREATE TABLE h (addr inet, port int, PRIMARY KEY (addr, port))")
    assert got == ("CREATE TABLE h (addr inet NOT NULL, port integer NOT NULL);\n"
                   "CREATE UNIQUE INDEX h_addr_port_key ON h ((CAST(addr AS text)), port);")
    got = fix("PK_UK_ON_CITEXT_DATATYPE", "ALTER TABLE u ADD CONSTRAINT u_email_key UNIQUE (email)")
    assert got == "CREATE UNIQUE INDEX u_email_key ON u ((lower(CAST(email AS text))));"


def test_index_on_unsupported_type_uses_gin_or_an_expression() -> None:
    assert fix("INDEX_ON_JSONB_DATATYPE", "CREATE INDEX i ON t (doc)") == "CREATE INDEX i ON t USING gin (doc);"
    assert fix("INDEX_ON_INET_DATATYPE", "CREATE INDEX i ON t (a)") == "CREATE INDEX i ON t ((CAST(a AS text)));"


def test_exclusion_constraint_is_dropped_with_a_caveat() -> None:
    s = suggest(Problem(object_type="TABLE", object_name="b", issue_type="EXCLUSION_CONSTRAINTS",
                        original_sql="CREATE TABLE b (r int, d tsrange, EXCLUDE USING gist (d WITH &&))"))
    assert s is not None and s.suggested_sql == "CREATE TABLE b (r integer, d tsrange);"
    assert any("no longer checked" in c for c in s.caveats)


def test_multi_column_and_ordered_gin() -> None:
    assert fix("MULTI_COLUMN_GIN_INDEX", "CREATE INDEX g ON t USING gin (a, b)") == \
        "CREATE INDEX g_a ON t USING gin (a);\nCREATE INDEX g_b ON t USING gin (b);"
    assert fix("ORDERED_GIN_INDEX", "CREATE INDEX g ON t USING gin (a DESC)") == "CREATE INDEX g ON t USING gin (a);"


def test_every_catalog_issue_has_a_rule_or_a_reason_why_not() -> None:
    """Keeps the coverage table honest: a new catalog entry needs a rule or a NOT_MECHANICAL reason."""
    uncovered = [i for i in CATALOG if _rule_for(i) is None and i not in NOT_MECHANICAL]
    assert uncovered == []
    assert [i for i in NOT_MECHANICAL if _rule_for(i) is not None] == []
    assert [i for i in NOT_MECHANICAL if i not in CATALOG] == []
    assert all(len(reason) > 20 for reason in NOT_MECHANICAL.values())


def test_alter_statements_that_only_tune_or_bind_are_removed() -> None:
    assert fix("ALTER_INDEX_SET", "ALTER INDEX i SET (fillfactor = 70)") == ""
    assert fix("COMPRESSION_CLAUSE_IN_TABLE", "ALTER TABLE t ALTER COLUMN b SET COMPRESSION lz4, ADD c int") == \
        "ALTER TABLE t ADD COLUMN c integer;"
    assert fix("ALTER_TABLE_OF", "ALTER TABLE t OF ty") == ""
    assert fix("ALTER_TABLE_OF", "ALTER TABLE t ADD COLUMN b int") is None


def test_disabled_rule_is_dropped_and_other_subcommands_stay() -> None:
    assert fix("ALTER_TABLE_DISABLE_RULE", 'ALTER TABLE s.t DISABLE RULE "R1", ADD COLUMN b int') == \
        'ALTER TABLE s.t ADD COLUMN b integer;\nDROP RULE "R1" ON s.t;'


@pytest.mark.parametrize(("issue", "ddl"), [
    ("CREATE_CONVERSION", "CREATE CONVERSION c FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"),
    ("ALTER_CONVERSION", "ALTER CONVERSION c RENAME TO d"),
    ("REINDEX", "REINDEX TABLE t"),
])
def test_statements_whose_workaround_is_to_leave_them_out_are_dropped(issue: str, ddl: str) -> None:
    s = suggest(Problem(object_type="CONVERSION", object_name="c", issue_type=issue, original_sql=ddl))
    assert s is not None and s.suggested_sql == "" and s.caveats


def test_view_options_are_removed() -> None:
    assert fix("SECURITY_INVOKER_VIEWS", "CREATE VIEW v WITH (security_invoker = true, security_barrier) AS "
               "SELECT 1") == "CREATE VIEW v WITH (security_barrier) AS SELECT 1;"
    assert fix("VIEW_WITH_CHECK_OPTION", "CREATE VIEW v AS SELECT a FROM t WHERE a > 0 WITH CASCADED CHECK OPTION") \
        == "CREATE VIEW v AS SELECT a FROM t WHERE a > 0;"
    assert fix("VIEW_WITH_CHECK_OPTION", "CREATE VIEW v WITH (check_option = local) AS SELECT 1") == \
        "CREATE VIEW v AS SELECT 1;"


def test_deterministic_true_is_removed_but_false_is_left_to_a_person() -> None:
    assert fix("DETERMINISTIC_OPTION_WITH_COLLATION",
               "CREATE COLLATION c (provider = icu, locale = 'und', deterministic = true)") == \
        "CREATE COLLATION c(provider = icu, locale = 'und');"
    assert fix("DETERMINISTIC_OPTION_WITH_COLLATION",
               "CREATE COLLATION c (provider = icu, locale = 'und', deterministic = false)") is None


def test_sql_standard_body_becomes_a_quoted_body() -> None:
    assert fix("SQL_BODY_IN_FUNCTION", "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + 1") \
        == "CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$SELECT a + 1$$;"
    assert fix("SQL_BODY_IN_FUNCTION", "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
               "DELETE FROM t WHERE a = 'x'; END") == \
        "CREATE PROCEDURE p() LANGUAGE sql AS $$INSERT INTO t VALUES (1);\nDELETE FROM t WHERE a = 'x'$$;"


def test_unique_nulls_not_distinct_becomes_partial_unique_indexes() -> None:
    got = fix("UNIQUE_NULLS_NOT_DISTINCT", "CREATE TABLE t (a int UNIQUE NULLS NOT DISTINCT, b int, c text, "
              "CONSTRAINT bc UNIQUE NULLS NOT DISTINCT (b, c))")
    assert got == ("CREATE TABLE t (a integer UNIQUE, b integer, c text, CONSTRAINT bc UNIQUE (b, c));\n"
                   "CREATE UNIQUE INDEX t_a_key_null_1 ON t ((a IS NULL)) WHERE a IS NULL;\n"
                   "CREATE UNIQUE INDEX bc_null_1 ON t (c) WHERE b IS NULL;\n"
                   "CREATE UNIQUE INDEX bc_null_2 ON t (b) WHERE c IS NULL;\n"
                   "CREATE UNIQUE INDEX bc_null_1_2 ON t ((b IS NULL)) WHERE b IS NULL AND c IS NULL;")
    got = fix("UNIQUE_NULLS_NOT_DISTINCT", "CREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT WHERE b > 0")
    assert got == ("CREATE UNIQUE INDEX i ON t (a) WHERE b > 0;\n"
                   "CREATE UNIQUE INDEX i_null_1 ON t ((a IS NULL)) WHERE b > 0 AND a IS NULL;")
    assert fix("UNIQUE_NULLS_NOT_DISTINCT", "CREATE TABLE t (a int, b int, c int, d int, "
               "UNIQUE NULLS NOT DISTINCT (a, b, c, d))") is None  # 15 indexes: left to a person


def test_partition_columns_are_added_to_the_primary_key() -> None:
    assert fix("INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION", "CREATE TABLE m (id int CONSTRAINT m_pk PRIMARY KEY, "
               "d date) PARTITION BY RANGE (d)") == \
        "CREATE TABLE m (id integer, d date, CONSTRAINT m_pk PRIMARY KEY (id, d)) PARTITION BY range (d);"
    assert fix("INSUFFICIENT_COLUMNS_IN_PK_FOR_PARTITION", "CREATE TABLE m (id int PRIMARY KEY, d date) "
               "PARTITION BY RANGE ((d + 1))") is None


def test_keys_are_removed_from_foreign_tables() -> None:
    assert fix("CONSTRAINT_ON_FOREIGN_TABLE", "CREATE FOREIGN TABLE ft (a int PRIMARY KEY, b int REFERENCES p (id), "
               "CONSTRAINT f FOREIGN KEY (b) REFERENCES p (id)) SERVER srv OPTIONS (table_name 'x')") == \
        "CREATE FOREIGN TABLE ft (a integer NOT NULL, b integer) SERVER srv OPTIONS (table_name 'x');"
    assert fix("CONSTRAINT_ON_FOREIGN_TABLE", "ALTER FOREIGN TABLE ft ADD CONSTRAINT k PRIMARY KEY (a)") == ""


def test_multi_object_drop_and_create_schema_are_split() -> None:
    assert fix("DROP_MULTIPLE_OBJECTS", "DROP INDEX IF EXISTS a, s.b CASCADE") == \
        "DROP INDEX IF EXISTS a CASCADE;\nDROP INDEX IF EXISTS s.b CASCADE;"
    got = fix("CREATE_SCHEMA_WITH_ELEMENTS", "CREATE SCHEMA s CREATE TABLE t (a int PRIMARY KEY) "
              "CREATE VIEW v AS SELECT a FROM t JOIN x USING (a) CREATE INDEX ON t (a)")
    assert got == ("CREATE SCHEMA s;\nCREATE TABLE s.t (a integer PRIMARY KEY);\n"
                   "CREATE VIEW s.v AS SELECT a FROM s.t INNER JOIN x USING (a);\nCREATE INDEX ON s.t (a);")


def test_with_oids_is_removed() -> None:
    assert fix("WITH_OIDS", "CREATE TABLE t (a int) WITH OIDS") == "CREATE TABLE t (a integer);"
    assert fix("WITH_OIDS", "CREATE TABLE t (a int) WITH (oids = true, fillfactor = 70)") == \
        "CREATE TABLE t (a integer) WITH (fillfactor = 70);"


@pytest.mark.parametrize(("issue", "ddl"), [
    ("INHERITANCE", "CREATE TABLE c () INHERITS (p)"),
    ("UNSUPPORTED_DATATYPE_XML", "CREATE TABLE t (x xml)"),
    ("UNLOGGED_TABLES", "not sql at all ((("),
    ("UNLOGGED_TABLES", "CREATE TABLE t (a int)"),
])
def test_no_mechanical_fix_gives_none(issue: str, ddl: str) -> None:
    assert fix(issue, ddl) is None
