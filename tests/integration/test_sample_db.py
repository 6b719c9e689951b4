"""The demo's sample shop, built for real in the PostgreSQL service at 127.0.0.1:5432."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from voyager_tui.engine.demo.sample_db import (
    EXPECTED_ROW_COUNTS,
    INCOMPATIBLE_OBJECTS,
    SAMPLE_TABLES,
    create_sample_source,
)

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"

ORDERS_CHECKSUM = """
SELECT md5(string_agg(
           concat_ws('|', id, customer_id, extract(epoch FROM ordered_at), status, total),
           ',' ORDER BY id))
FROM public.orders
"""


def _admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc}); "
            "start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start`"
        )


def _connect(dbname: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname=dbname, connect_timeout=5, autocommit=True
    )


@pytest.fixture(scope="module")
def sample_dbs() -> Iterator[tuple[str, str]]:
    """Two databases built independently from the sample script."""
    names = (f"vt_sample_{uuid.uuid4().hex[:8]}", f"vt_sample_{uuid.uuid4().hex[:8]}")
    with _admin() as admin:
        try:
            for name in names:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                with _connect(name) as conn:
                    create_sample_source(conn)
            yield names
        finally:
            for name in names:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def conn(sample_dbs: tuple[str, str]) -> Iterator[psycopg.Connection[Any]]:
    with _connect(sample_dbs[0]) as c:
        yield c


def _scalar(conn: psycopg.Connection[Any], query: str, *params: object) -> Any:
    row = conn.execute(query, params or None).fetchone()
    assert row is not None
    return row[0]


def test_tables_and_row_counts(conn: psycopg.Connection[Any]) -> None:
    assert set(EXPECTED_ROW_COUNTS) == set(SAMPLE_TABLES)
    found = {
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public'"
        )
    }
    assert found == set(SAMPLE_TABLES)
    counts = {
        table: _scalar(conn, f"SELECT count(*) FROM ONLY {table}")  # names come from the module's own constant
        for table in SAMPLE_TABLES
    }
    assert counts == EXPECTED_ROW_COUNTS
    assert counts["public.customers"] == 2000
    assert counts["public.products"] == 200
    assert counts["public.orders"] == 5000
    assert 11_000 <= counts["public.order_items"] <= 13_000


def test_foreign_keys_hold(conn: psycopg.Connection[Any]) -> None:
    orphans = {
        "orders.customer_id": "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL",
        "order_items.order_id": "SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
        "WHERE o.id IS NULL",
        "order_items.product_id": "SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id "
        "WHERE p.id IS NULL",
        "room_bookings.booked_by": "SELECT count(*) FROM room_bookings b LEFT JOIN customers c ON c.id = b.booked_by "
        "WHERE c.id IS NULL",
    }
    assert {name: _scalar(conn, query) for name, query in orphans.items()} == dict.fromkeys(orphans, 0)
    # Every FK constraint the script declared is validated (FKs added NOT VALID would skip existing rows).
    assert _scalar(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated") == 0
    assert _scalar(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 5
    # Order totals agree with their lines.
    assert (
        _scalar(
            conn,
            "SELECT count(*) FROM orders o WHERE o.total <> "
            "(SELECT coalesce(sum(line_total), 0) FROM order_items i WHERE i.order_id = o.id)",
        )
        == 0
    )


def test_planted_incompatibilities_exist(conn: psycopg.Connection[Any]) -> None:
    kinds = {kind for kind, _ in INCOMPATIBLE_OBJECTS}
    assert kinds == {
        "BRIN index",
        "Exclusion constraint",
        "Deferrable constraint",
        "Storage parameters",
        "Unlogged table",
        "Table inheritance",
        "Stored generated column",
        "Security invoker view",
    }
    checks = {
        "BRIN index": "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = %s "
        "AND indexdef ILIKE '%% USING brin %%'",
        "Exclusion constraint": "SELECT count(*) FROM pg_constraint c JOIN pg_class i ON i.oid = c.conindid "
        "JOIN pg_am a ON a.oid = i.relam WHERE c.conname = %s AND c.contype = 'x' AND a.amname = 'gist'",
        "Deferrable constraint": "SELECT count(*) FROM pg_constraint WHERE conname = %s AND contype = 'u' "
        "AND condeferrable AND condeferred",
        "Storage parameters": "SELECT count(*) FROM pg_class WHERE oid = ('public.' || %s)::regclass "
        "AND 'fillfactor=70' = ANY (reloptions)",
        "Unlogged table": "SELECT count(*) FROM pg_class WHERE oid = ('public.' || %s)::regclass "
        "AND relpersistence = 'u'",
        "Table inheritance": "SELECT count(*) FROM pg_inherits WHERE inhrelid = ('public.' || %s)::regclass "
        "AND inhparent = 'public.audit_log'::regclass",
        "Stored generated column": "SELECT count(*) FROM pg_attribute WHERE attrelid = ('public.' || "
        "split_part(%s, '.', 1))::regclass AND attname = split_part(%s, '.', 2) AND attgenerated = 's'",
        "Security invoker view": "SELECT count(*) FROM pg_class WHERE oid = ('public.' || %s)::regclass "
        "AND relkind = 'v' AND 'security_invoker=true' = ANY (reloptions)",
    }
    missing = []
    for kind, name in INCOMPATIBLE_OBJECTS:
        query = checks[kind]
        params = (name,) * query.count("%s")
        if _scalar(conn, query, *params) != 1:
            missing.append((kind, name))
    assert missing == []


def test_trigger_and_sequences_work(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction(force_rollback=True):
        before = _scalar(conn, "SELECT count(*) FROM audit_log")
        conn.execute(
            "UPDATE orders SET status = CASE WHEN status = 'paid' THEN 'shipped' ELSE 'paid' END::order_status "
            "WHERE id = 100001"
        )
        assert _scalar(conn, "SELECT count(*) FROM audit_log") == before + 1
        assert _scalar(conn, "SELECT max(id) FROM audit_log") == 501
        # Sequences continue after the seeded rows instead of colliding with them.
        assert _scalar(conn, "INSERT INTO orders (customer_id, ordered_at) VALUES (1, now()) RETURNING id") == 105001
        assert (
            _scalar(
                conn,
                "INSERT INTO customers (email, full_name, country, created_at) "
                "VALUES ('new@example.com', 'New Person', 'NZ', now()) RETURNING id",
            )
            == 2001
        )


def test_deterministic(sample_dbs: tuple[str, str]) -> None:
    checksums = []
    for name in sample_dbs:
        with _connect(name) as c:
            checksums.append(
                (
                    _scalar(c, ORDERS_CHECKSUM),
                    _scalar(
                        c,
                        "SELECT md5(string_agg(concat_ws('|', order_id, line_no, product_id, quantity, "
                        "unit_price, line_total), ',' ORDER BY order_id, line_no)) FROM order_items",
                    ),
                    _scalar(
                        c,
                        "SELECT md5(string_agg(concat_ws('|', id, email, full_name, country, "
                        "extract(epoch FROM created_at), loyalty), ',' ORDER BY id)) FROM customers",
                    ),
                )
            )
    assert checksums[0] == checksums[1]
    assert all(checksums[0])
