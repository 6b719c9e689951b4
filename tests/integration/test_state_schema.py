"""Schema ybvoyager: creation, upgrade of an older version, refusal of a newer one, concurrent creation."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest

from tests.helpers import target_conn
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import StateSchemaMissing, StateSchemaTooNew
from voyager_tui.engine.state_schema import CURRENT_VERSION, ensure_schema, installed_version
from voyager_tui.engine.state_store import StateStore

TABLES = {"schema_version", "migrations", "migration_state", "reports", "table_progress", "events", "runner_leases",
          "export_chunks", "import_batches", "suggestions", "run_controls"}


def tables(conn) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'ybvoyager'").fetchall()
    return {r[0] for r in rows}


def test_creates_every_table(target_db: ConnectionParams) -> None:
    with target_conn(target_db) as conn:
        assert installed_version(conn) is None
        assert ensure_schema(conn) == CURRENT_VERSION
        assert tables(conn) == TABLES
        assert ensure_schema(conn) == CURRENT_VERSION  # idempotent


def test_readers_do_not_create_the_schema(target_db: ConnectionParams) -> None:
    with target_conn(target_db) as conn:
        with pytest.raises(StateSchemaMissing, match="schema ybvoyager does not exist"):
            StateStore(conn)
        assert installed_version(conn) is None


def test_older_schema_is_upgraded_and_keeps_its_rows(target_db: ConnectionParams) -> None:
    with target_conn(target_db) as conn:
        assert ensure_schema(conn, up_to=1) == 1
        assert "runner_leases" not in tables(conn)
        mid = uuid.uuid4()
        conn.execute(
            """INSERT INTO ybvoyager.migrations (migration_uuid, migration_name, source_db_type,
               source_db_identifier, source_schemas, target_db_name)
               VALUES (%s, 'old', 'postgresql', 'x', '{public}', 'db')""",
            (mid,),
        )
        store = StateStore(conn)
        assert store.schema_version == CURRENT_VERSION
        assert installed_version(conn) == CURRENT_VERSION
        assert "runner_leases" in tables(conn)
        assert store.get_migration(name="old").migration_uuid == mid
        row = conn.execute("SELECT upgraded_by FROM ybvoyager.schema_version").fetchone()
        assert row[0].startswith("voyager-tui ")


def test_version_4_gains_run_controls(target_db: ConnectionParams) -> None:
    with target_conn(target_db) as conn:
        assert ensure_schema(conn, up_to=4) == 4
        assert "run_controls" not in tables(conn)
        assert ensure_schema(conn) == CURRENT_VERSION >= 5
        assert tables(conn) == TABLES


def test_newer_schema_is_refused(target_db: ConnectionParams) -> None:
    with target_conn(target_db) as conn:
        ensure_schema(conn)
        conn.execute("UPDATE ybvoyager.schema_version SET version = %s", (CURRENT_VERSION + 1,))
        with pytest.raises(StateSchemaTooNew, match=f"version {CURRENT_VERSION + 1}, newer than this voyager-tui"):
            StateStore(conn, create=True)


def test_concurrent_creation_from_four_processes(make_db: Callable[[str], ConnectionParams]) -> None:
    target = make_db("race")
    code = (
        "import sys\n"
        "from voyager_tui.engine.connections import ConnectionParams, connect_pg\n"
        "from voyager_tui.engine.secrets import DbRole\n"
        "from voyager_tui.engine.state_schema import ensure_schema\n"
        f"p = ConnectionParams.model_validate_json({target.model_dump_json()!r})\n"
        "with connect_pg(p, DbRole.TARGET) as c:\n"
        "    print(ensure_schema(c))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [r[1] for r in results]
    assert {r[0].strip() for r in results} == {str(CURRENT_VERSION)}
    with target_conn(target) as conn:
        assert tables(conn) == TABLES
