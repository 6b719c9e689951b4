"""`voyager-tui assessment fleet` against the real PostgreSQL: several databases in parallel, one unreachable, one
that cannot be collected live; the matrix and the consolidated report must agree with each database's own report."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from tests.conftest import connect_kwargs
from voyager_tui.cli.assessment_fleet import fleet_command
from voyager_tui.engine.assessment.collect_pg import collect_postgresql
from voyager_tui.engine.assessment.fleet import ERROR_FILE, run_fleet
from voyager_tui.engine.assessment.fleet_config import load_fleet_config
from voyager_tui.engine.assessment.fleet_report import RANKING_RULE, FleetDatabase, readiness_key
from voyager_tui.engine.assessment.report import load_report
from voyager_tui.engine.connections import ConnectionParams

SECRET = "fleet-Secret-4711"


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(fleet_command, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)


def execute(params: ConnectionParams, ddl: str) -> None:
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(ddl)


def live_entry(name: str, params: ConnectionParams, *extra: str, schemas: str = "[public]") -> str:
    lines = [f"  - name: {name}", "    source-db-type: postgresql", f"    port: {params.port}",
             f"    database: {params.dbname}", f"    schemas: {schemas}", *[f"    {e}" for e in extra]]
    return "\n".join(lines) + "\n"


HEADER = "defaults:\n  host: 127.0.0.1\n  user: postgres\n  ssl-mode: disable\n  iops-interval: 1\nclusters:\n"


@pytest.fixture
def ready_db(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    params = make_db("fleet_ready")
    execute(params, "CREATE TABLE items (id bigint PRIMARY KEY, name text);"
                    "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 200) g")
    return params


@pytest.fixture
def blocked_db(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    """LEVEL_3 blockers: an xml column and a deferrable unique constraint."""
    params = make_db("fleet_blocked")
    execute(params, "CREATE SCHEMA app;"
                    "CREATE TABLE app.doc (id int PRIMARY KEY, body xml, code text,"
                    " CONSTRAINT doc_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED);"
                    "CREATE TABLE app.note (id int PRIMARY KEY, doc_id int REFERENCES app.doc)")
    return params


def test_fleet_assesses_in_parallel_and_records_failures(
    ready_db: ConnectionParams, blocked_db: ConnectionParams, make_db: Callable[[str], ConnectionParams],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A third database, collected beforehand (as the scripts would) and only ingested by the fleet run.
    collected = make_db("fleet_collected")
    execute(collected, "CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz, payload jsonb);"
                       "CREATE INDEX events_at ON events (at)")
    metadata_dir = tmp_path / "collected" / "events-db"
    collect_postgresql(collected, None, ["public"], metadata_dir, iops_interval=1)

    port = closed_port()
    monkeypatch.setenv("VT_FLEET_READY_PW", SECRET)  # trust auth ignores it; it must still never be written
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        HEADER
        + live_entry("ready", ready_db, "password: {env: VT_FLEET_READY_PW}")
        + live_entry("blocked", blocked_db, schemas="[app]")
        + "  - name: unreachable\n    source-db-type: postgresql\n"
        + f"    port: {port}\n    database: nothing_here\n"
        + "  - name: events\n    source-db-type: postgresql\n    metadata-dir: collected/events-db\n"
        + "  - name: mysql-live\n    source-db-type: mysql\n    host: 127.0.0.1\n    port: 3306\n",
        encoding="utf-8")
    out = tmp_path / "fa"

    result = run_cli("--fleet-config", str(fleet), "--assessment-dir", str(out), "--compare-mode", "--parallel", "3")

    assert result.exit_code == 1, result.output
    for name in ("ready", "blocked", "unreachable", "events", "mysql-live"):
        assert f"] {name}: started (" in result.stdout
    for name in ("ready", "blocked", "events"):
        assert f"] {name}: done in " in result.stdout
    for name in ("unreachable", "mysql-live"):
        assert f"] {name}: FAILED after " in result.stdout

    matrix: dict[str, Any] = json.loads((out / "fleet" / "comparison_matrix.json").read_text(encoding="utf-8"))
    assert matrix["summary"] == {"total": 5, "succeeded": 3, "failed": 2}
    assert matrix["ranking_rule"] == RANKING_RULE

    failed = {f["name"]: f for f in matrix["failed"]}
    assert list(failed) == ["unreachable", "mysql-live"]  # the order of the fleet file
    assert failed["unreachable"]["error"].startswith(f"cannot connect to source postgres@127.0.0.1:{port}/nothing_here")
    assert "\n" not in failed["unreachable"]["error"]
    assert failed["mysql-live"]["error"] == (
        "live collection from mysql is not supported yet: run the scripts from `voyager-tui assessment "
        "generate-scripts` and set metadata-dir")
    assert (out / "unreachable" / "fleet" / ERROR_FILE).read_text(encoding="utf-8").splitlines()[0] == \
        failed["unreachable"]["error"]
    assert not (out / "unreachable" / "reports" / "assessment_report.json").exists()

    rows = {d["name"]: d for d in matrix["databases"]}
    assert set(rows) == {"ready", "blocked", "events"}
    issue_counts: dict[str, Counter[str]] = {}
    for name, row in rows.items():
        report = load_report(out / name)  # each database's own assessment dir, normal layout
        for sub in ("metadata", "reports", "sizing", "fleet"):
            assert (out / name / sub).is_dir()
        assert row["issues_by_impact"] == report.impact_counts()
        assert row["issues_total"] == len(report.issues)
        assert row["effort_hours"] == report.effort.hours
        assert row["complexity"] == report.effort.complexity
        assert row["recommended_version"] == report.recommended_version
        assert row["target_db_version"] == report.target_db_version
        assert row["size_bytes"] == sum(t.size_bytes or 0 for t in report.table_stats) > 0
        assert report.sizing is not None and row["sizing"]["num_nodes"] == report.sizing.num_nodes
        assert row["sizing"]["vcpus_per_node"] == report.sizing.vcpus_per_node
        assert (out / row["report_html"]).is_file()
        issue_counts[name] = Counter(i.issue_type for i in report.issues)
    assert rows["events"]["source"] == f"postgresql metadata {tmp_path / 'collected' / 'events-db'}"
    assert rows["blocked"]["db_name"] == blocked_db.dbname and rows["blocked"]["schemas"] == ["app"]

    # The blockers are found, and they rank the blocked database last.
    assert issue_counts["blocked"]["UNSUPPORTED_DATATYPE_XML"] == 1
    assert issue_counts["blocked"]["DEFERRABLE_CONSTRAINTS"] == 1
    assert rows["ready"]["issues_by_impact"]["LEVEL_3"] == 0
    ranked = [d["name"] for d in matrix["databases"]]
    assert [d["readiness_rank"] for d in matrix["databases"]] == [1, 2, 3]
    assert ranked == [d.name for d in sorted((FleetDatabase.model_validate(r) for r in rows.values()),
                                             key=readiness_key)]
    assert ranked[-1] == "blocked"

    # The issue-type comparison is exactly the per-database counts.
    compared = {t["issue_type"]: t for t in matrix["issue_types"]}
    expected_types = set().union(*(set(c) for c in issue_counts.values()))
    assert set(compared) == expected_types
    for issue_type, t in compared.items():
        want = {name: c[issue_type] for name, c in issue_counts.items() if c[issue_type]}
        assert t["counts"] == want and t["databases"] == len(want) and t["total"] == sum(want.values())

    html = (out / "fleet" / "consolidated_report.html").read_text(encoding="utf-8")
    for name in ("ready", "blocked", "events", "unreachable", "mysql-live"):
        assert f">{name}<" in html
    for name in ("ready", "blocked", "events"):
        assert f'href="../{name}/reports/assessment_report.html"' in html
    assert 'id="compare"' in html and "UNSUPPORTED_DATATYPE_XML" in html
    assert "Readiness rank." in html and "fewest LEVEL_3 issues" in html
    assert "<script src" not in html and "<link" not in html  # self-contained

    # The password of the env reference is used but never written anywhere.
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    assert SECRET not in result.output


def test_rerun_replaces_results_and_exit_codes(ready_db: ConnectionParams, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    out = tmp_path / "fa"
    fleet.write_text(HEADER + live_entry("only", ready_db), encoding="utf-8")

    first = run_cli("--fleet-config", str(fleet), "--assessment-dir", str(out))
    assert first.exit_code == 0, first.output
    report_json = out / "only" / "reports" / "assessment_report.json"
    assert report_json.is_file()
    html = (out / "fleet" / "consolidated_report.html").read_text(encoding="utf-8")
    assert 'id="compare"' not in html and "None: every database was assessed." in html
    assert "with 1 in parallel" in first.stdout  # default: min(4, count)

    # The same name, now unreachable: the old report must not survive to pass for this run's.
    fleet.write_text(HEADER + live_entry("only", ready_db.model_copy(update={"port": closed_port()})),
                     encoding="utf-8")
    second = run_cli("--fleet-config", str(fleet), "--assessment-dir", str(out))
    assert second.exit_code == 1, second.output
    assert not report_json.exists()
    assert not (out / "only" / "metadata" / "table-statistics.csv").exists()
    matrix = json.loads((out / "fleet" / "comparison_matrix.json").read_text(encoding="utf-8"))
    assert matrix["databases"] == [] and [f["name"] for f in matrix["failed"]] == ["only"]
    assert "No database was assessed." in (out / "fleet" / "consolidated_report.html").read_text(encoding="utf-8")


def test_bad_fleet_file_exits_2_with_one_line(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n  - name: a\n    source-db-type: postgresql\n    database: x\n"
                     "  - name: b\n    source-db-type: oracel\n    metadata-dir: m\n", encoding="utf-8")
    result = run_cli("--fleet-config", str(fleet), "--assessment-dir", str(tmp_path / "fa"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {fleet}:6: clusters[1].source-db-type: must be one of postgresql, mysql, "
                             "oracle\n")
    assert result.stdout == ""
    assert not (tmp_path / "fa").exists()


def test_cancelled_before_start_records_every_database(ready_db: ConnectionParams, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(HEADER + live_entry("one", ready_db) + live_entry("two", ready_db), encoding="utf-8")
    cancel = threading.Event()
    cancel.set()
    run = run_fleet(load_fleet_config(fleet), tmp_path / "fa", cancel=cancel)
    assert not run.ok
    assert [(f.name, f.error) for f in run.matrix.failed] == [("one", "cancelled before it started"),
                                                               ("two", "cancelled before it started")]
    assert run.outputs.matrix_json.is_file()
