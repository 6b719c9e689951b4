"""`voyager-tui migrate init/status/next/history/list` against the real PostgreSQL service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import source_cli_args, target_cli_args
from tests.helpers import open_store, target_conn
from voyager_tui.cli.main import cli
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.phases import Phase, PhaseStatus


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    # Wide enough that table cells do not wrap mid-phrase.
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160", **(env or {})}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def binary(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("voyager-tui")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def init(source: ConnectionParams, target: ConnectionParams, name: str = "shop", *extra: str) -> tuple[int, str, str]:
    return run("migrate", "init", "--migration-name", name, *source_cli_args(source), *target_cli_args(target),
               *extra)


def test_help_shows_the_workflow() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "WORKFLOW OVERVIEW" in out and "1. ASSESS" in out and "6. CUTOVER" in out
    code, out, _ = run("migrate", "--help")
    assert code == 0
    for word in ("WORKFLOW OVERVIEW", "2. INIT      → Initialize migration, register with target DB", "EXAMPLES:",
                 "init", "status", "next", "history", "list"):
        assert word in out


def test_init_then_status_next_history_list(source_db: ConnectionParams, target_db: ConnectionParams,
                                            isolated_env: Path) -> None:
    code, out, err = init(source_db, target_db, "shop", "--source-db-schema", "public,sales")
    assert code == 0, err
    assert "Migration shop registered" in out
    assert "NEXT STEP: Run Export Schema" in out
    assert "voyager-tui migrate export schema" in out
    # init remembers the target for the TUI, without a password
    config = (isolated_env / "config" / "config.toml").read_text()
    assert f'dbname = "{target_db.dbname}"' in config

    code, out, err = run("migrate", "status", *target_cli_args(target_db))
    assert code == 0, err
    for text in ("MIGRATION STATUS", "Migration: shop", "[public, sales]", "○ Export Schema", "NOT_STARTED",
                 "Current Activity:",
                 "No step is running.", "▶ NEXT STEP: Run Export Schema", "--migration-name shop \\",
                 f"--target-db-name {target_db.dbname}"):
        assert text in out, text

    code, out, _ = run("migrate", "status", "--json", *target_cli_args(target_db))
    data = json.loads(out)
    assert data["snapshot"]["migration"]["migration_name"] == "shop"
    assert data["snapshot"]["migration"]["source_schemas"] == ["public", "sales"]
    assert [p["status"] for p in data["phases"]] == ["NOT_STARTED"] * 10
    assert data["next_step"]["phase"] == "export_schema"
    assert data["next_step"]["command"].startswith("voyager-tui migrate export schema --migration-name shop")
    assert data["current_activity"] == ["No step is running."]

    code, out, _ = run("migrate", "next", "--migration-name", "shop", *target_cli_args(target_db))
    assert code == 0
    assert "Run Export Schema" in out and "not runnable here" not in out
    code, out, _ = run("migrate", "next", "--json", "--migration-name", "shop", *target_cli_args(target_db))
    step = json.loads(out)
    assert step["kind"] == "run" and step["can_run_here"] is True
    assert step["argv"][:4] == ["voyager-tui", "migrate", "export", "schema"]

    code, out, _ = run("migrate", "history", *target_cli_args(target_db))
    assert code == 0 and "migration_registered" in out and "Migration shop registered" in out
    code, out, _ = run("migrate", "history", "--json", *target_cli_args(target_db))
    assert [e["event_type"] for e in json.loads(out)["events"]] == ["migration_registered"]

    code, out, _ = run("migrate", "list", *target_cli_args(target_db))
    assert code == 0 and "shop" in out and "0/9" in out and "[public, sales]" in out
    code, out, _ = run("migrate", "list", "--json", *target_cli_args(target_db))
    assert [(m["migration"]["migration_name"], m["is_active"]) for m in json.loads(out)] == [("shop", True)]


def test_status_follows_progress_written_by_another_process(source_db: ConnectionParams,
                                                            target_db: ConnectionParams) -> None:
    assert init(source_db, target_db)[0] == 0
    store = open_store(target_db)
    mid = store.get_migration(name="shop").migration_uuid
    store.set_phase_status(mid, Phase.EXPORT_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(mid, Phase.EXPORT_SCHEMA, PhaseStatus.COMPLETED)
    store.set_phase_status(mid, Phase.ANALYZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(mid, Phase.ANALYZE_SCHEMA, PhaseStatus.FAILED, error="syntax error at line 3")
    code, out, _ = run("migrate", "status", *target_cli_args(target_db))
    assert code == 0
    assert "✓ Export Schema" in out and "100%" in out
    assert "✗ Analyze Schema" in out and "FAILED" in out
    assert "Fix the problem, then re-run Analyze Schema" in out
    assert "syntax error at line 3" in out
    code, out, _ = run("migrate", "history", *target_cli_args(target_db))
    assert "Analyze Schema failed: syntax error at line 3" in out
    # A phase IN_PROGRESS with no runner holding it is reported as interrupted.
    store.set_phase_status(mid, Phase.ANALYZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    code, out, _ = run("migrate", "status", *target_cli_args(target_db))
    assert "INTERRUPTED" in out and "Resume Analyze Schema" in out


def test_init_twice_is_refused_by_the_real_binary(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    args = ["migrate", "init", *source_cli_args(source_db), *target_cli_args(target_db)]
    first = binary(*args, "--migration-name", "one")
    assert first.returncode == 0, first.stderr
    again = binary(*args, "--migration-name", "two")
    assert again.returncode == 1
    assert again.stderr.startswith("error: this source (postgresql:sysid-")
    assert "already being migrated" in again.stderr and "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_unreachable_target_is_one_line(source_db: ConnectionParams) -> None:
    res = binary("migrate", "status", "--target-db-host", "127.0.0.1", "--target-db-port", "1",
                 "--target-db-user", "x", "--target-db-name", "x")
    assert res.returncode == 1
    assert res.stderr.startswith("error: cannot connect to target x@127.0.0.1:1/x:")
    assert len(res.stderr.strip().splitlines()) == 1


def test_target_without_state(target_db: ConnectionParams) -> None:
    res = binary("migrate", "list", *target_cli_args(target_db))
    assert res.returncode == 1
    assert "schema ybvoyager does not exist" in res.stderr and "migrate init" in res.stderr


def test_unknown_migration_lists_the_known_ones(source_db: ConnectionParams, target_db: ConnectionParams) -> None:
    assert init(source_db, target_db)[0] == 0
    res = binary("migrate", "status", "--migration-name", "nope", *target_cli_args(target_db))
    assert res.returncode == 1
    assert res.stderr.strip() == "error: no migration 'nope' in this target; migrations here: shop"


def test_bad_flag_value_is_a_usage_error(target_db: ConnectionParams) -> None:
    res = binary("migrate", "status", "--target-db-port", "seventy")
    assert res.returncode == 2
    assert "Invalid value for '--target-db-port'" in res.stderr and "Traceback" not in res.stderr


def test_passwords_never_land_in_state_config_or_output(source_db: ConnectionParams, target_db: ConnectionParams,
                                                        isolated_env: Path) -> None:
    secret = "s3cr3t-Marker-9f1c"
    env = {"SOURCE_DB_PASSWORD": secret, "TARGET_DB_PASSWORD": secret}
    code, out, err = run(
        "migrate", "init", "--migration-name", "shop", *source_cli_args(source_db), *target_cli_args(target_db),
        env=env)
    assert code == 0, err
    outputs = [out, err]
    for cmd in (["status"], ["status", "--json"], ["next", "--json"], ["history", "--json"], ["list", "--json"]):
        code, out, err = run("migrate", *cmd, *target_cli_args(target_db), env=env)
        outputs += [out, err]
    assert not any(secret in o for o in outputs)
    with target_conn(target_db) as conn:
        for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'ybvoyager'").fetchall():
            dump = conn.execute(f"SELECT coalesce(string_agg(t::text, ''), '') FROM ybvoyager.{table} t").fetchone()[0]
            assert secret not in dump, table
    for path in isolated_env.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="ignore"), path


@pytest.mark.parametrize("args", [["--version"], ["locate"]])
def test_small_commands(args: list[str]) -> None:
    res = binary(*args)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()


def test_init_attaches_an_assessment(source_db: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> None:
    from tests.assessment_fixtures import write_metadata
    from voyager_tui.engine.assessment.report import generate_report

    adir = tmp_path / "assessment"
    write_metadata(adir / "metadata", db_name=source_db.dbname, schemas=["public"],
                   schema_objects=[{"schema_name": "public", "object_name": "t", "object_type": "table"}],
                   table_statistics=[{"schema_name": "public", "table_name": "t", "object_type": "table",
                                      "row_count": 10, "size_bytes": 8192, "column_count": 2}],
                   schema_ddl="CREATE TABLE public.t (id int PRIMARY KEY, r int4range);\n"
                              "CREATE INDEX t_r ON public.t USING gist (r);\n")
    report = generate_report(adir, "2.20.7.0")
    assert report.issues, "the fixture schema must have issues"

    wrong = tmp_path / "other"
    write_metadata(wrong / "metadata", db_name="somewhere_else")
    generate_report(wrong)
    code, _, err = init(source_db, target_db, "shop", "--assessment-dir", str(wrong))
    assert code == 1 and "is of database 'somewhere_else'" in err
    code, _, err = init(source_db, target_db, "shop", "--assessment-dir", str(tmp_path / "missing"))
    assert code == 1 and "assessment_report.json does not exist" in err
    with target_conn(target_db) as conn:  # nothing was registered by the refused attempts
        assert conn.execute("SELECT to_regclass('ybvoyager.migrations')").fetchone() == (None,)

    code, out, err = init(source_db, target_db, "shop", "--assessment-dir", str(adir))
    assert code == 0, err
    assert f"assessment attached: {len(report.issues)} issues (L3 " in out
    store = open_store(target_db)
    mig = store.get_migration(name="shop")
    snap = store.snapshot(mig.migration_uuid)
    assessment = snap.phase(Phase.ASSESSMENT)
    assert assessment.status == PhaseStatus.COMPLETED
    assert assessment.metadata["summary"].startswith(f"{len(report.issues)} issues (L3 ")
    stored = store.latest_report(mig.migration_uuid, "assessment")
    assert stored is not None and stored["target_db_version"] == "2.20.7.0"
    assert {i["issue_type"] for i in stored["issues"]} == {i.issue_type for i in report.issues}
    code, out, _ = run("migrate", "history", *target_cli_args(target_db))
    assert "Assessment completed:" in out
