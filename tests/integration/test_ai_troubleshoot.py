"""`voyager-tui ai troubleshoot` changes the parallelism of a real running import, without restarting it.

Locks taken by the test hold the import at known points (a COPY waits for a SHARE lock on its table), so the
import is certainly still running while the test changes its parallelism, and no timing is assumed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from tests.conftest import connect_kwargs, target_cli_args
from tests.data_fixtures import table_digest
from tests.helpers import open_store
from voyager_tui.cli.main import cli
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.phases import Phase
from voyager_tui.engine.steps import run_step

TABLES = [('"Sales Dept"."Order"', '"ID"'), ('public."日本語テーブル"', '"列"'), ("public.no_pk", "a, b"),
          ("public.composite_pk", "a, b"), ("public.gen", "id")]


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def import_sessions(target: ConnectionParams) -> tuple[int, int]:
    """(import connections, of them waiting for a heavyweight lock)."""
    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        row: Any = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity
               WHERE datname = current_database() AND application_name = 'voyager-tui-import'""").fetchone()
    return int(row[0]), int(row[1])


@pytest.fixture
def exported(prepared: dict[str, Any]) -> dict[str, Any]:
    # Small chunks: the import has many units of work to spread over its jobs.
    run_step(prepared["target"], prepared["mid"], Phase.EXPORT_DATA, options=prepared["opts"] | {"batch_size": 1000})
    return prepared


class Importer:
    """import data in a thread, with locks that hold its COPYs into chosen tables."""

    def __init__(self, p: dict[str, Any], jobs: int) -> None:
        self.p = p
        self.error: BaseException | None = None
        self.locks: dict[str, psycopg.Connection[Any]] = {}
        self.thread = threading.Thread(target=self._run, args=(jobs,), daemon=True)

    def lock(self, table: str) -> None:
        conn = psycopg.connect(**connect_kwargs(self.p["target"]))  # type: ignore[arg-type]
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")  # reads (the import's checks) pass, COPY waits
        self.locks[table] = conn

    def unlock(self, table: str) -> None:
        conn = self.locks.pop(table)
        conn.rollback()
        conn.close()

    def _run(self, jobs: int) -> None:
        try:
            run_step(self.p["target"], self.p["mid"], Phase.IMPORT_DATA,
                     options=self.p["opts"] | {"parallel_jobs": jobs})
        except BaseException as exc:
            self.error = exc

    def finish(self) -> None:
        for table in list(self.locks):
            self.unlock(table)
        self.thread.join(timeout=120)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


@pytest.fixture
def importer(exported: dict[str, Any]) -> Iterator[Callable[[int], Importer]]:
    made: list[Importer] = []

    def start(jobs: int) -> Importer:
        imp = Importer(exported, jobs)
        made.append(imp)
        return imp

    yield start
    for imp in made:  # a failed test must not leave a blocked import behind
        for table in list(imp.locks):
            imp.unlock(table)
        imp.thread.join(timeout=120)


def troubleshoot(p: dict[str, Any], *extra: str, input: str | None = None) -> Any:
    return run("ai", "troubleshoot", "--migration-name", "shop", *target_cli_args(p["target"]), *extra, input=input)


def assert_exactly_once(p: dict[str, Any]) -> None:
    store = open_store(p["target"])
    ledger = store.conn.execute("SELECT count(*), count(DISTINCT (schema_name, table_name, chunk_id)) "
                                "FROM ybvoyager.import_batches").fetchone()
    chunks = store.conn.execute("SELECT count(*) FROM ybvoyager.export_chunks").fetchone()
    assert ledger is not None and chunks is not None and ledger[0] == ledger[1] == chunks[0]
    for table, order in TABLES:
        assert table_digest(p["source"], table, order) == table_digest(p["target"], table, order), table
    progress = {t.table_name: t for t in store.snapshot(p["mid"]).tables_of(Phase.IMPORT_DATA)}
    assert (progress["Order"].completed_rows, progress["Order"].status) == (20_000, "COMPLETED")


def test_no_running_import_is_one_clear_error(exported: dict[str, Any]) -> None:
    result = troubleshoot(exported, "--yes")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: import data of migration shop is not running: nothing to "
                                            "troubleshoot")
    assert len(result.output.strip().splitlines()) == 1


def test_grow_then_shrink_a_running_import(exported: dict[str, Any], importer: Callable[[int], Importer]) -> None:
    p = exported
    imp = importer(1)
    imp.lock('"Sales Dept"."Order"')  # the first table loaded: the one job stops at its first chunk
    imp.lock("public.no_pk")  # a later table: where the shrunken pool is held again
    imp.thread.start()
    wait_for("the single job to wait for the lock", lambda: import_sessions(p["target"]) == (1, 1))

    declined = troubleshoot(p, "--parallel-jobs", "3", input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "running on" in declined.output and "with 1 parallel job(s)" in declined.output
    assert "Change: parallel jobs 1 → 3" in declined.output and declined.output.rstrip().endswith("Not applied")
    assert "1 on Lock" in declined.output and "import sessions wait for a lock" in declined.output

    grown = troubleshoot(p, "--parallel-jobs", "3", "--yes")
    assert grown.exit_code == 0, grown.output
    assert "Import now runs with 3 parallel job(s) (was 1)" in grown.output
    # Two more connections, each taking the next chunk and waiting on the same lock.
    wait_for("three import connections", lambda: import_sessions(p["target"]) == (3, 3))

    shrunk = troubleshoot(p, "--parallel-jobs", "1", "--yes")
    assert "Import now runs with 1 parallel job(s) (was 3)" in shrunk.output
    imp.unlock('"Sales Dept"."Order"')
    # The surplus jobs finish the chunk they hold and stop: only one job reaches no_pk's lock.
    wait_for("one import connection held at no_pk", lambda: import_sessions(p["target"]) == (1, 1))
    imp.finish()

    assert_exactly_once(p)
    store = open_store(p["target"])
    changes = [e for e in store.events(p["mid"]) if e.event_type == "import_parallelism_changed"]
    assert [(e.event_data["from"], e.event_data["to"]) for e in changes] == [(1, 3), (3, 1)]
    assert changes[0].event_data["requested_by"] and changes[0].phase == "import_data"
    assert "parallel jobs changed from 1 to 3" in changes[0].message
    requests = [e for e in store.events(p["mid"]) if e.event_type == "run_control_requested"]
    assert [e.event_data["value"] for e in requests] == [3, 1]
    row = store.conn.execute("SELECT status, applied_value, requested_value FROM ybvoyager.run_controls").fetchall()
    assert row == [("APPLIED", 1, 1)]


def test_a_value_the_importer_cannot_use_is_rejected(exported: dict[str, Any],
                                                     importer: Callable[[int], Importer]) -> None:
    from voyager_tui.engine import run_controls

    p = exported
    imp = importer(2)
    imp.lock('"Sales Dept"."Order"')
    imp.thread.start()
    wait_for("two jobs waiting for the lock", lambda: import_sessions(p["target"]) == (2, 2))
    store = open_store(p["target"])
    control = run_controls.request_setting(store, p["mid"], Phase.IMPORT_DATA, run_controls.PARALLEL_JOBS, 0)

    def answered() -> bool:
        now = run_controls.read_control(store, p["mid"], Phase.IMPORT_DATA, run_controls.PARALLEL_JOBS)
        return now is not None and now.request_id == control.request_id and now.status != "PENDING"

    wait_for("the importer's answer", answered)
    now = run_controls.read_control(store, p["mid"], Phase.IMPORT_DATA, run_controls.PARALLEL_JOBS)
    assert now is not None and (now.status, now.applied_value) == ("REJECTED", 2)
    assert "not a whole number from 1 to 64; still 2" in now.message
    imp.finish()
    assert_exactly_once(p)
