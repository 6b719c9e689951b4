"""Query advice from an assessment's query statistics: ranking, predicate extraction, index and colocation proposals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.assessment_fixtures import assessment_dir
from voyager_tui.engine.ai.query_advice import (
    analyze,
    load_metadata,
    propose,
    rank_patterns,
    statement_problem,
)
from voyager_tui.engine.ai.query_predicates import table_uses
from voyager_tui.engine.assessment.metadata import Metadata
from voyager_tui.engine.errors import VoyagerError

COLUMNS = {
    "orders": ["id", "customer_id", "status", "created_at", "total", "note"],
    "customers": ["id", "email", "name", "region_id"],
    "regions": ["id", "name"],
}
Q_RECENT = ("SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE o.status = $1 AND o.created_at >= $2 ORDER BY o.created_at DESC LIMIT $3")
Q_BY_EMAIL = "SELECT id, name FROM customers WHERE email = $1"
Q_BY_ID = "SELECT * FROM orders WHERE id = $1"
Q_RANGE = "SELECT count(*) FROM orders WHERE created_at BETWEEN $1 AND $2"
Q_REGION = ("SELECT c.name, r.name FROM customers c JOIN regions r ON r.id = c.region_id "
            "WHERE c.id = $1")
Q_OTHER = "SELECT * FROM pg_catalog.pg_class WHERE relname = $1"


def stat(qid: str, query: str, calls: int, total: float) -> dict[str, Any]:
    return {"queryid": qid, "query": query, "calls": calls, "total_exec_time_ms": total,
            "mean_exec_time_ms": total / calls, "rows": calls}


def make(tmp_path: Path, query_stats: list[dict[str, Any]] | None, *, indexes: list[dict[str, Any]] | None = None,
         sizes: dict[str, int] | None = None, **kw: Any) -> Path:
    sizes = sizes or {}
    columns = [{"schema_name": "public", "table_name": t, "column_name": c, "ordinal": i + 1, "data_type": "text"}
               for t, cols in COLUMNS.items() for i, c in enumerate(cols)]
    stats = [{"schema_name": "public", "table_name": t, "object_type": "table", "row_count": 1000,
              "size_bytes": sizes.get(t, 8192 * 10), "column_count": len(cols), "has_primary_key": True}
             for t, cols in COLUMNS.items()]
    pks = [{"schema_name": "public", "index_name": f"{t}_pkey", "table_name": t, "index_type": "btree",
            "is_unique": True, "is_primary": True, "columns": "id",
            "definition": f"CREATE UNIQUE INDEX {t}_pkey ON public.{t} USING btree (id)"} for t in COLUMNS]
    objects = [{"schema_name": "public", "object_name": t, "object_type": "table"} for t in COLUMNS]
    ad = assessment_dir(tmp_path / "a", schema_objects=objects, table_statistics=stats, columns=columns,
                        indexes=pks + (indexes or []), query_stats=query_stats, **kw)
    return ad.root


def md_of(root: Path) -> Metadata:
    return load_metadata(root)


def test_ranking_weighs_calls_and_time_and_leaves_out_other_schemas(tmp_path: Path) -> None:
    root = make(tmp_path, [stat("1", Q_BY_EMAIL, 1000, 100.0), stat("2", Q_RANGE, 10, 9000.0),
                           stat("3", Q_BY_ID, 500, 50.0), stat("4", Q_OTHER, 100000, 99999.0)])
    md = md_of(root)
    ranked = rank_patterns(md.query_stats, md)
    assert [p.queryid for p in ranked] == ["2", "1", "3"]  # the catalog query touches no assessed table
    # 1000/1510 + 100/9150 ≈ 0.673 < 10/1510 + 9000/9150 ≈ 0.990
    assert ranked[0].score == pytest.approx(10 / 1510 + 9000 / 9150, abs=1e-4)
    assert ranked[1].tables == ["public.customers"]


def test_predicates_joins_order_and_selected_columns(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", Q_RECENT, 1, 1.0)]))
    uses = {u.table: u for u in table_uses(Q_RECENT, md)}
    orders, customers = uses["public.orders"], uses["public.customers"]
    assert orders.equality == ["status"]
    assert orders.range == ["created_at"]
    assert orders.join == ["customer_id"]
    assert orders.order_by == [("created_at", True)]
    assert set(orders.referenced) == {"id", "total", "customer_id", "status", "created_at"}
    assert customers.join == ["id"] and not customers.equality


def test_in_any_between_subquery_and_writes(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", Q_BY_ID, 1, 1.0)]))
    [u] = table_uses("SELECT id FROM orders WHERE status IN ($1, $2) AND customer_id = ANY($3) "
                     "AND total BETWEEN $4 AND $5", md)
    assert u.equality == ["status", "customer_id"] and u.range == ["total"]
    uses = {u.table: u for u in table_uses(
        "SELECT note FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE email = $1)", md)}
    assert uses["public.orders"].join == ["customer_id"]
    assert uses["public.customers"].equality == ["email"]
    [w] = table_uses("UPDATE orders SET note = $1 WHERE status = $2 AND created_at < now() - $3::interval", md)
    assert w.write and w.equality == ["status"] and w.range == ["created_at"]
    # A function on the column cannot use a plain index; OR has no single index range.
    [f] = table_uses("SELECT id FROM orders WHERE lower(note) = $1 OR status = $2", md)
    assert not f.equality and not f.range
    assert table_uses("SELECT FROM", md) == []


def test_covering_index_with_hash_leading_equality(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", Q_RECENT, 100, 50.0)]))
    advice, suppressed = propose(rank_patterns(md.query_stats, md), md)
    [a] = advice
    assert (a.table, a.key_columns, a.include_columns, a.leading) == (
        "public.orders", ["status", "created_at"], ["id", "total", "customer_id"], "HASH")
    assert a.sql_yugabytedb == ("CREATE INDEX orders_status_created_at_idx ON public.orders "
                                "(status HASH, created_at DESC) INCLUDE (id, total, customer_id)")
    assert a.sql_postgresql == ("CREATE INDEX orders_status_created_at_idx ON public.orders "
                                "(status, created_at DESC) INCLUDE (id, total, customer_id)")
    assert a.sources[0].queryid == "1" and a.sources[0].tables == ["public.orders", "public.customers"]
    # customers is reached through its primary key: nothing to add there.
    assert [(s.table, s.served_by) for s in suppressed] == [("public.customers", "customers_pkey")]


def test_range_leading_index_is_asc_on_yugabytedb(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", Q_RANGE, 100, 50.0)]))
    [a], _ = propose(rank_patterns(md.query_stats, md), md)
    assert a.leading == "ASC" and a.key_columns == ["created_at"] and a.include_columns == []
    assert a.sql_yugabytedb == "CREATE INDEX orders_created_at_idx ON public.orders (created_at ASC)"
    assert "HASH first column cannot serve a range" in a.reason


def test_select_star_gets_no_include(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", "SELECT * FROM orders WHERE customer_id = $1", 100, 50.0)]))
    [a], _ = propose(rank_patterns(md.query_stats, md), md)
    assert a.key_columns == ["customer_id"] and a.include_columns == []
    assert "SELECT *" in a.reason


def test_existing_index_suppresses_or_is_extended(tmp_path: Path) -> None:
    serving = {"schema_name": "public", "index_name": "customers_email_idx", "table_name": "customers",
               "index_type": "btree", "is_unique": False, "is_primary": False, "columns": "email",
               "definition": "CREATE INDEX customers_email_idx ON public.customers USING btree (email) "
                             "INCLUDE (id, name)"}
    md = md_of(make(tmp_path, [stat("1", Q_BY_EMAIL, 100, 50.0)], indexes=[serving]))
    advice, suppressed = propose(rank_patterns(md.query_stats, md), md)
    assert advice == []
    assert [(s.served_by, s.key_columns) for s in suppressed] == [("customers_email_idx", ["email"])]

    keys_only = {**serving, "definition": "CREATE INDEX customers_email_idx ON public.customers USING btree (email)"}
    md = md_of(make(tmp_path / "2", [stat("1", Q_BY_EMAIL, 100, 50.0)], indexes=[keys_only]))
    [a], suppressed = propose(rank_patterns(md.query_stats, md), md)
    assert suppressed == []
    assert a.extends == "customers_email_idx" and a.include_columns == ["id", "name"]
    assert a.index_name == "customers_email_2_idx"  # the conventional name is the existing index's
    assert "drop it after creating this one" in a.reason

    # A partial index, or one with the columns in the wrong order, does not serve the predicate.
    partial = {**keys_only, "definition": keys_only["definition"] + " WHERE (name IS NOT NULL)"}
    md = md_of(make(tmp_path / "3", [stat("1", Q_BY_EMAIL, 100, 50.0)], indexes=[partial]))
    [a], _ = propose(rank_patterns(md.query_stats, md), md)
    assert a.extends is None


def test_same_key_from_two_patterns_is_one_advice(tmp_path: Path) -> None:
    md = md_of(make(tmp_path, [stat("1", "SELECT total FROM orders WHERE customer_id = $1", 100, 50.0),
                               stat("2", "SELECT note FROM orders WHERE customer_id = $1", 90, 40.0)]))
    [a], _ = propose(rank_patterns(md.query_stats, md), md)
    assert a.include_columns == ["total", "note"] and [r.queryid for r in a.sources] == ["1", "2"]


def test_colocation_for_small_joined_tables(tmp_path: Path) -> None:
    root = make(tmp_path, [stat("1", Q_REGION, 100, 50.0)])
    advice = analyze(root)
    [c] = advice.colocation
    assert c.tables == ["public.customers", "public.regions"]
    assert "colocated" in c.reason and c.sources[0].queryid == "1"


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(VoyagerError, match="does not exist"):
        analyze(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VoyagerError, match="not an assessment dir"):
        analyze(tmp_path / "empty")
    root = make(tmp_path, None, pg_stat_statements="missing")
    with pytest.raises(VoyagerError, match="pg_stat_statements was not installed"):
        analyze(root)
    root = make(tmp_path / "2", [stat("1", Q_OTHER, 10, 1.0)])
    with pytest.raises(VoyagerError, match="none of the 1 statement"):
        analyze(root)
    with pytest.raises(VoyagerError, match="--top"):
        analyze(root, top=0)


def test_only_one_plain_statement_is_advised_on(tmp_path: Path) -> None:
    escape = "SELECT total FROM orders WHERE customer_id = $1; COMMIT; DROP TABLE victim"
    deep = "SELECT note FROM orders WHERE status = " + " + ".join(f"${i}" for i in range(1, 6000))
    root = make(tmp_path, [stat("1", escape, 1000, 100.0), stat("2", deep, 900, 90.0),
                           stat("3", "TRUNCATE orders", 800, 80.0), stat("4", Q_BY_EMAIL, 10, 1.0)])
    advice = analyze(root)
    assert [p.queryid for p in advice.patterns] == ["4"]
    assert [a.index_name for a in advice.indexes] == ["customers_email_idx"]
    reasons = {k.queryid: k.reason for k in advice.skipped}
    assert reasons["1"] == "the text holds 3 statements, not one"
    assert reasons["2"].startswith("the text is nested too deeply to parse")
    assert reasons["3"] == "not a SELECT, INSERT, UPDATE, DELETE or MERGE statement (Truncate)"
    assert statement_problem("MERGE INTO orders o USING customers c ON o.customer_id = c.id "
                             "WHEN MATCHED THEN UPDATE SET note = $1") is None
    assert statement_problem("DELETE FROM orders WHERE id = $1;") is None
    assert statement_problem("SELECT FROM WHERE").startswith("the text does not parse")  # type: ignore[union-attr]


def test_keywords_and_odd_names_are_quoted_and_names_fit_63_bytes(tmp_path: Path) -> None:
    long_table = "ä" * 30
    tables = {"order": ["id", "user", "group"], long_table: ["a", "b"]}
    columns = [{"schema_name": "public", "table_name": t, "column_name": c, "ordinal": i + 1, "data_type": "integer"}
               for t, cols in tables.items() for i, c in enumerate(cols)]
    stats = [{"schema_name": "public", "table_name": t, "object_type": "table", "row_count": 0, "size_bytes": 8192,
              "column_count": len(cols), "has_primary_key": False} for t, cols in tables.items()]
    root = assessment_dir(tmp_path / "a", table_statistics=stats, columns=columns, schema_ddl="", query_stats=[
        stat("1", 'SELECT id FROM "order" WHERE "user" = $1 AND "group" = $2', 100, 10.0),
        stat("2", f"SELECT b FROM {long_table} WHERE a = $1", 50, 5.0)]).root
    by_table = {a.table_name: a for a in analyze(root).indexes}
    assert by_table["order"].sql_postgresql == ('CREATE INDEX order_user_group_idx ON public."order" '
                                                '("user", "group") INCLUDE (id)')
    name = by_table[long_table].index_name
    assert len(name.encode()) <= 63 and name.startswith("ä" * 27)  # 54 bytes of the name, then a digest
    assert by_table[long_table].sql_postgresql.startswith(f'CREATE INDEX "{name}" ON public."{long_table}" (a)')
