"""Chunk planning on the real PostgreSQL service: a table that was never analyzed is still split."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from tests.conftest import connect_kwargs
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.data.chunking import plan_chunks
from voyager_tui.engine.data.tables import list_source_tables


def test_a_never_analyzed_table_is_estimated_and_split(make_db: Callable[[str], ConnectionParams]) -> None:
    db = make_db("chunk_plan")
    with psycopg.connect(**connect_kwargs(db), autocommit=True) as conn:  # type: ignore[arg-type]
        # As after a restore without ANALYZE: no statistics, relpages and reltuples still unset.
        conn.execute("CREATE TABLE fresh (id bigint PRIMARY KEY, v text) WITH (autovacuum_enabled = false)")
        conn.execute("INSERT INTO fresh SELECT i, md5(i::text) FROM generate_series(1, 200000) i")
        assert conn.execute("SELECT relpages, reltuples FROM pg_class WHERE oid = 'fresh'::regclass").fetchone() \
            == (0, -1)
        (table,) = list_source_tables(conn, ["public"])
        assert 100_000 <= table.estimated_rows <= 400_000, table.estimated_rows
        assert table.pages > 1_000
        plan = plan_chunks(conn, table, rows_per_chunk=20_000, max_chunk_bytes=1 << 30)
    assert 5 <= len(plan.predicates) <= 21, plan.method
    assert plan.method.endswith("ranges of primary key id")
