"""Export and import data against the real PostgreSQL service: exact round trip, exactly once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.data_fixtures import table_digest
from tests.helpers import open_store, target_conn
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.phases import Phase
from voyager_tui.engine.steps import run_step

TABLES = [('"Sales Dept"."Order"', '"ID"'), ('public."日本語テーブル"', '"列"'), ("public.no_pk", "a, b"),
          ("public.composite_pk", "a, b"), ("public.gen", "id"), ("public.empty_table", "id")]


def test_round_trip_is_exact(prepared: dict[str, Any]) -> None:
    p = prepared
    exported = run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"] | {"batch_size": 3000,
                                                                                        "parallel_jobs": 2})
    assert "exported 33,400 rows of 7 tables" in exported.metadata["summary"]
    imported = run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"] | {"parallel_jobs": 2})
    assert imported.metadata["rows"] == 33_400 and imported.metadata["errored_rows"] == 0
    for table, order in TABLES:
        assert table_digest(p["source"], table, order) == table_digest(p["target"], table, order), table
    store = open_store(p["target"])
    snap = store.snapshot(p["mid"])
    progress = {(t.phase, t.table_name): t for t in snap.tables}
    order = progress[(Phase.IMPORT_DATA, "Order")]
    assert (order.completed_rows, order.total_rows, order.status) == (20_000, 20_000, "COMPLETED")
    chunks = store.conn.execute("SELECT table_name, count(*), min(format) FROM ybvoyager.export_chunks "
                                "GROUP BY 1").fetchall()
    by_table = {t: (n, f) for t, n, f in chunks}
    assert by_table["Order"][0] >= 6  # 20,000 rows in chunks of 3,000
    assert by_table["Order"][1] == "text"  # mood[] is an array of a user-defined type
    assert by_table["composite_pk"][0] > 1 and by_table["no_pk"][1] == "binary"
    ledger = store.conn.execute("SELECT count(*), count(DISTINCT (schema_name, table_name, chunk_id)) "
                                "FROM ybvoyager.import_batches").fetchone()
    assert ledger[0] == ledger[1] == sum(n for n, _ in by_table.values())


def test_rerun_import_does_not_duplicate(prepared: dict[str, Any]) -> None:
    p = prepared
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"])
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    again = run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    assert again.metadata["rows"] == 33_400
    assert table_digest(p["target"], '"Sales Dept"."Order"', '"ID"')[0] == 20_000


def test_target_with_rows_is_refused_unless_truncated(prepared: dict[str, Any]) -> None:
    p = prepared
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"])
    with target_conn(p["target"]) as conn:
        conn.execute("INSERT INTO public.gen (id, x) VALUES (1000, 1)")
    with pytest.raises(VoyagerError, match=r"target tables already hold rows: public\.gen; re-run with "
                                           r"--truncate-tables"):
        run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    done = run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"] | {"truncate_tables": True})
    assert done.metadata["rows"] == 33_400


def test_bad_rows_abort_or_are_stashed_exactly(prepared: dict[str, Any]) -> None:
    p = prepared
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"] | {"batch_size": 3000})
    with target_conn(p["target"]) as conn:  # the target rejects 3 of the source's rows
        conn.execute('ALTER TABLE "Sales Dept"."Order" ADD CONSTRAINT no_odd_thousands '
                     'CHECK ("ID" NOT IN (1001, 7001, 15001))')
    with pytest.raises(VoyagerError, match=r'import of Sales Dept\.Order chunk \d+ at row \d+ failed: new row for '
                                           r'relation "Order" violates check constraint "no_odd_thousands" '
                                           r"\(Failing row contains \((1001|7001|15001), "):
        run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    done = run_step(p["target"], p["mid"], Phase.IMPORT_DATA,
                    options=p["opts"] | {"error_policy": "stash-and-continue"})
    assert done.metadata["errored_rows"] == 3 and done.metadata["rows"] == 33_397
    stashed = [json.loads(line) for f in sorted((p["dir"] / "errors").rglob("*.jsonl"))
               for line in f.read_text().splitlines()]
    ids = sorted(int(s["copy_text"].split("\t")[0]) for s in stashed)
    assert ids == [1001, 7001, 15001]
    assert all("no_odd_thousands" in s["error"] for s in stashed)
    snap = open_store(p["target"]).snapshot(p["mid"])
    order = next(t for t in snap.tables if t.phase == Phase.IMPORT_DATA and t.table_name == "Order")
    assert order.errored_rows == 3 and order.completed_rows == 19_997
