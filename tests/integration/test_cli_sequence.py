"""The CLI path: run exactly the commands `migrate next` prints until the migration is complete."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import psycopg
from click.testing import CliRunner

from tests.conftest import connect_kwargs, source_cli_args, target_cli_args
from voyager_tui.cli.main import cli
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.sample_db import EXPECTED_ROW_COUNTS, create_sample_source
from voyager_tui.engine.export_dir import ExportDir


def vt(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160"}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr or result.stdout
    return result.stdout


def init_shop(source: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> None:
    """The demo's sample database in `source`, registered as migration shop."""
    with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:
        create_sample_source(conn)
    vt("migrate", "init", "--migration-name", "shop", *source_cli_args(source), *target_cli_args(target_db),
       "--export-dir", str(tmp_path / "export"))


def test_following_migrate_next_migrates_the_sample_database(make_db: Callable[[str], ConnectionParams],
                                                             target_db: ConnectionParams, tmp_path: Path) -> None:
    init_shop(make_db("cli_src"), target_db, tmp_path)
    ran = []
    for _ in range(12):
        step = json.loads(vt("migrate", "next", "--json", *target_cli_args(target_db)))
        if step["kind"] == "done":
            break
        assert step["kind"] == "run" and step["can_run_here"], step
        argv = shlex.split(step["command"])
        assert argv[0] == "voyager-tui"
        out = vt(*argv[1:])
        assert "completed for migration shop" in out
        ran.append(" ".join(w for w in argv[1:4] if not w.startswith("--")))
    assert step["kind"] == "done"
    assert ran == ["migrate export schema", "migrate analyze schema", "migrate import schema", "migrate export data",
                   "migrate import data", "migrate finalize schema", "migrate verify", "migrate cutover",
                   "migrate end"]
    history = vt("migrate", "history", *target_cli_args(target_db))
    assert "Verify Data completed: verified 20,560 rows" in history
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        for table, count in EXPECTED_ROW_COUNTS.items():
            assert conn.execute(f"SELECT count(*) FROM ONLY {table}").fetchone()[0] == count, table
        # Keys were built after the data (PostgreSQL target) and every table got fresh statistics.
        unanalyzed = conn.execute("""SELECT relid::regclass::text FROM pg_stat_user_tables
                                     WHERE relid = ANY(%s::regclass[]) AND last_analyze IS NULL""",
                                  (list(EXPECTED_ROW_COUNTS),)).fetchall()
        assert unanalyzed == []
        assert conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid = ANY(%s::regclass[])",
                            (list(EXPECTED_ROW_COUNTS),)).fetchone()[0] > 0
    assert not (tmp_path / "export").exists()  # end cleaned the export dir after archiving it


def test_a_full_disk_is_a_clear_message(tmp_path: Path) -> None:
    import pytest

    from voyager_tui.engine.errors import VoyagerError

    xdir = ExportDir(tmp_path / "export").ensure()
    with pytest.raises(VoyagerError, match=r"export dir .* has only \d+ MiB free; free at least \d+ MiB and re-run "
                                           r"\(finished work is kept\)"):
        xdir.check_free_space(needed=1 << 62)


def test_migrate_run_runs_every_remaining_step_in_one_process(make_db: Callable[[str], ConnectionParams],
                                                             target_db: ConnectionParams, tmp_path: Path) -> None:
    init_shop(make_db("run_src"), target_db, tmp_path)
    vt("migrate", "export", "schema", *target_cli_args(target_db))  # a run starts wherever the migration stands

    out = vt("migrate", "run", "--through", "import-data", "--batch-size", "500", "--parallel-jobs", "2",
             *target_cli_args(target_db))
    done = [line.split(" completed")[0] for line in out.splitlines() if line.startswith("✓ ")]
    assert done == ["✓ Analyze Schema", "✓ Import Schema", "✓ Export Data", "✓ Import Data"] or \
        done == ["✓ Analyze Schema", "✓ Import Schema", "✓ Import Data", "✓ Export Data"], out
    assert "Run Finalize Schema" in out  # it stopped where it was told to and says what comes next
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        chunks = conn.execute("SELECT count(*) FROM ybvoyager.export_chunks").fetchone()[0]
        batches = conn.execute("SELECT count(*), count(DISTINCT (schema_name, table_name, chunk_id)) "
                               "FROM ybvoyager.import_batches").fetchone()
        assert chunks > len(EXPECTED_ROW_COUNTS) and batches == (chunks, chunks)  # small batches: several chunks
        # Export and import overlapped: the import held its phase before the export completed.
        starts = dict(conn.execute("SELECT phase, started_at FROM ybvoyager.migration_state "
                                   "WHERE phase IN ('export_data', 'import_data') AND step = ''").fetchall())
        ends = dict(conn.execute("SELECT phase, completed_at FROM ybvoyager.migration_state "
                                 "WHERE phase IN ('export_data', 'import_data') AND step = ''").fetchall())
        assert starts["import_data"] < ends["export_data"]

    out = vt("migrate", "run", *target_cli_args(target_db))
    assert [line.split(" completed")[0] for line in out.splitlines() if line.startswith("✓ ")] == \
        ["✓ Finalize Schema", "✓ Verify Data"], out
    assert "Run Cutover" in out  # never run by `migrate run`: the go/no-go is the user's
    out = vt("migrate", "run", *target_cli_args(target_db))
    assert "Nothing to run up to Verify Data" in out
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        for table, count in EXPECTED_ROW_COUNTS.items():
            assert conn.execute(f"SELECT count(*) FROM ONLY {table}").fetchone()[0] == count, table


def test_migrate_run_stops_at_the_first_failure_with_its_message(make_db: Callable[[str], ConnectionParams],
                                                                 target_db: ConnectionParams, tmp_path: Path) -> None:
    init_shop(make_db("run_fail_src"), target_db, tmp_path)
    with psycopg.connect(**connect_kwargs(target_db), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS public")
        conn.execute("CREATE TABLE public.customers (id int)")  # in the way of import schema
        conn.execute("INSERT INTO public.customers VALUES (1)")
    result = CliRunner().invoke(cli, ["migrate", "run", "--no-ignore-exist", *target_cli_args(target_db)],
                                env={"COLUMNS": "160"})
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        states = dict(conn.execute("SELECT phase, status FROM ybvoyager.migration_state WHERE step = ''").fetchall())
    assert states["import_schema"] == "FAILED" and states.get("export_data", "NOT_STARTED") == "NOT_STARTED"


def test_migrate_run_when_export_data_cannot_start(make_db: Callable[[str], ConnectionParams],
                                                   target_db: ConnectionParams, pg_admin: psycopg.Connection,
                                                   tmp_path: Path) -> None:
    source = make_db("run_gone_src")
    init_shop(source, target_db, tmp_path)
    vt("migrate", "run", "--through", "import-schema", *target_cli_args(target_db))
    pg_admin.execute(f'DROP DATABASE "{source.dbname}" WITH (FORCE)')  # the source goes away before the data

    result = CliRunner().invoke(cli, ["migrate", "run", *target_cli_args(target_db)], env={"COLUMNS": "160"})
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: cannot connect to source") and "Traceback" not in result.output, result.output
    with psycopg.connect(**connect_kwargs(target_db)) as conn:
        states = dict(conn.execute("SELECT phase, status FROM ybvoyager.migration_state WHERE step = ''").fetchall())
    assert states["export_data"] == "FAILED" and states.get("import_data", "NOT_STARTED") == "NOT_STARTED"
