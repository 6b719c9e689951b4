"""The rule provider on SQL text: each fix changes only what the issue needs."""

from __future__ import annotations

import pytest

from voyager_tui.engine.ai.models import Problem
from voyager_tui.engine.ai.rules import suggest


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


@pytest.mark.parametrize(("issue", "ddl"), [
    ("INHERITANCE", "CREATE TABLE c () INHERITS (p)"),
    ("UNSUPPORTED_DATATYPE_XML", "CREATE TABLE t (x xml)"),
    ("UNLOGGED_TABLES", "not sql at all ((("),
    ("UNLOGGED_TABLES", "CREATE TABLE t (a int)"),
])
def test_no_mechanical_fix_gives_none(issue: str, ddl: str) -> None:
    assert fix(issue, ddl) is None
