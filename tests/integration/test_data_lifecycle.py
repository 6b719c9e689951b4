"""Crash and resume, verification that names differences, the cutover gate, and ending a migration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import target_cli_args
from tests.data_fixtures import table_digest
from tests.helpers import complete, open_store, target_conn
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.steps import run_step

EXE = Path(sys.executable).with_name("voyager-tui")


@pytest.fixture
def exported(prepared: dict[str, Any]) -> dict[str, Any]:
    run_step(prepared["target"], prepared["mid"], Phase.EXPORT_DATA, options=prepared["opts"] | {"batch_size": 1000})
    return prepared


def ledger(target: ConnectionParams) -> tuple[int, int]:
    with target_conn(target) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT (schema_name, table_name, chunk_id)) "
                           "FROM ybvoyager.import_batches").fetchone()
    return int(row[0]), int(row[1])


def test_sigkill_mid_import_then_rerun_is_exact(exported: dict[str, Any]) -> None:
    p = exported
    with target_conn(p["target"]) as conn:  # slow the load down so the kill lands mid-way
        conn.execute("""CREATE FUNCTION public.slow_down() RETURNS trigger LANGUAGE plpgsql AS
                        $$BEGIN PERFORM pg_sleep(0.0004); RETURN NEW; END$$;
                        CREATE TRIGGER slow BEFORE INSERT ON "Sales Dept"."Order"
                        FOR EACH ROW EXECUTE FUNCTION public.slow_down()""")
    args = [str(EXE), "migrate", "import", "data", "--migration-uuid", str(p["mid"]), "--export-dir",
            p["opts"]["export_dir"], "--parallel-jobs", "2", *target_cli_args(p["target"])]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    deadline = time.monotonic() + 120
    with target_conn(p["target"]) as conn:
        while True:
            n = conn.execute("SELECT count(*) FROM ybvoyager.import_batches WHERE table_name = 'Order'").fetchone()[0]
            if n >= 3:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "import never committed a batch"
            time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    total_chunks = int(open_store(p["target"]).conn.execute("SELECT count(*) FROM ybvoyager.export_chunks")
                       .fetchone()[0])
    loaded_before, _ = ledger(p["target"])
    assert 0 < loaded_before < total_chunks, "the kill must land in the middle of the import"
    snap = open_store(p["target"]).snapshot(p["mid"])
    assert snap.phase(Phase.IMPORT_DATA).status == PhaseStatus.IN_PROGRESS
    assert snap.runner(Phase.IMPORT_DATA).state.value == "CRASHED"

    with target_conn(p["target"]) as conn:
        conn.execute('DROP TRIGGER slow ON "Sales Dept"."Order"')
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "Import Data completed" in rerun.stdout
    count, distinct = ledger(p["target"])
    assert count == distinct == total_chunks  # no batch applied twice
    assert table_digest(p["source"], '"Sales Dept"."Order"', '"ID"') == \
        table_digest(p["target"], '"Sales Dept"."Order"', '"ID"')
    complete(open_store(p["target"]), p["mid"], Phase.FINALIZE_SCHEMA)
    verified = run_step(p["target"], p["mid"], Phase.VERIFY)
    assert verified.metadata["clean"] is True


def test_verify_names_the_table_chunk_and_first_differing_key(exported: dict[str, Any]) -> None:
    p = exported
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    complete(open_store(p["target"]), p["mid"], Phase.FINALIZE_SCHEMA)
    assert run_step(p["target"], p["mid"], Phase.VERIFY).metadata["clean"] is True
    with target_conn(p["target"]) as conn:
        conn.execute('UPDATE "Sales Dept"."Order" SET "größe" = "größe" + 0.01 WHERE "ID" = 4321')
        conn.execute("DELETE FROM public.composite_pk WHERE a = 7 AND b = 'k4007'")  # float8: checked as text
        # Every column of this table hashes without rendering text (the fast checksum): still found.
        conn.execute("""UPDATE public."日本語テーブル" SET n = n + 1 WHERE "列" = 'キー7'""")
        chunk = conn.execute("""SELECT chunk_id FROM ybvoyager.export_chunks WHERE table_name = 'Order'
                                AND predicate LIKE '%%>= 4001 AND%%'""").fetchone()[0]
    with pytest.raises(VoyagerError, match=rf'3 chunk\(s\) differ; first: Sales Dept\.Order chunk {chunk} '
                                           r'\("ID" >= 4001 AND "ID" < 5001\): 1000 rows in the source, 1000 in the '
                                           r"target, different, first differing key \{'ID': 4321\}"):
        run_step(p["target"], p["mid"], Phase.VERIFY)
    report = open_store(p["target"]).latest_report(p["mid"], "verification")
    assert report is not None and report["clean"] is False
    bad = {t["table_name"]: t["mismatches"] for t in report["tables"] if t["mismatches"]}
    assert bad["composite_pk"][0]["kind"] == "missing_in_target"
    assert bad["composite_pk"][0]["first_differing_key"] == {"a": 7, "b": "k4007"}
    assert bad["日本語テーブル"][0]["kind"] == "different"
    assert bad["日本語テーブル"][0]["first_differing_key"] == {"列": "キー7"}


def test_cutover_gate_then_end(exported: dict[str, Any], tmp_path: Path) -> None:
    p = exported
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    store = open_store(p["target"])
    store.set_phase_status(p["mid"], Phase.FINALIZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(p["mid"], Phase.FINALIZE_SCHEMA, PhaseStatus.COMPLETED,
                           metadata={"sequences_restored": []})
    run_step(p["target"], p["mid"], Phase.VERIFY)
    with target_conn(p["target"]) as conn:  # a batch imported after the verification makes it stale
        conn.execute("UPDATE ybvoyager.import_batches SET imported_at = now() + interval '1 minute' "
                     "WHERE chunk_id = 1 AND table_name = 'Order'")
    with pytest.raises(VoyagerError, match="no-go for cutover: rows were imported or tables emptied after the last "
                                           "verification"):
        run_step(p["target"], p["mid"], Phase.CUTOVER)
    run_step(p["target"], p["mid"], Phase.VERIFY)
    done = run_step(p["target"], p["mid"], Phase.CUTOVER)
    assert done.metadata["summary"].startswith("GO for cutover")
    backup = tmp_path / "backup"
    run_step(p["target"], p["mid"], Phase.END, options=p["opts"] | {"backup_dir": str(backup)})
    assert not p["dir"].exists()
    assert (backup / "state-reports.json").exists()
    summary = open_store(p["target"]).list_migrations()[0]
    assert not summary.is_active
