"""`voyager-tui demo --no-tui/--reset/--stop` with the real binary and its embedded PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("voyager-tui")


@pytest.fixture
def demo_env() -> Iterator[dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="vt-demo-"))
    home.chmod(0o755)  # as root the server runs as `postgres`, which must reach this directory
    env = {**os.environ, "VOYAGER_TUI_HOME": str(home)}
    yield env
    subprocess.run([str(EXE), "demo", "--stop"], env=env, capture_output=True, timeout=60)
    shutil.rmtree(home, ignore_errors=True)


def vt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=180)


def demo_uuid(env: dict[str, str]) -> str:
    run = Path(env["VOYAGER_TUI_HOME"]) / "data" / "demo" / "run"
    res = vt(env, "migrate", "status", "--json", "--target-db-host", str(run), "--target-db-port", "5432",
             "--target-db-user", "postgres", "--target-db-name", "voyager_demo_target", "--target-ssl-mode", "disable")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["snapshot"]["migration"]["migration_uuid"]


def test_demo_is_reused_then_reset(demo_env: dict[str, str]) -> None:
    first = vt(demo_env, "demo", "--no-tui")
    assert first.returncode == 0, first.stderr
    assert "Creating the sample source database" in first.stderr
    assert "target: postgres@" in first.stdout and "voyager_demo_target" in first.stdout
    original = demo_uuid(demo_env)

    again = vt(demo_env, "demo", "--no-tui")
    assert again.returncode == 0, again.stderr
    assert "Creating" not in again.stderr and "Registering" not in again.stderr
    assert demo_uuid(demo_env) == original

    _finish_demo_migration(demo_env)
    finished = vt(demo_env, "demo", "--no-tui")
    assert "The demo migration is complete; run `voyager-tui demo --reset` to start it over." in finished.stderr

    reset = vt(demo_env, "demo", "--no-tui", "--reset")
    assert reset.returncode == 0, reset.stderr
    assert "Removing the previous demo" in reset.stderr
    assert demo_uuid(demo_env) != original

    assert vt(demo_env, "demo", "--stop").returncode == 0
    run = Path(demo_env["VOYAGER_TUI_HOME"]) / "data/demo/run"
    gone = vt(demo_env, "migrate", "list", "--target-db-host", str(run), "--target-db-port", "5432",
              "--target-db-user", "postgres", "--target-db-name", "voyager_demo_target")
    assert gone.returncode == 1 and "cannot connect to target" in gone.stderr


def test_demo_needs_a_terminal_for_the_app(demo_env: dict[str, str]) -> None:
    res = subprocess.run([str(EXE), "demo"], env=demo_env, capture_output=True, text=True, timeout=180,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 1
    assert res.stderr.strip().endswith("error: the full-screen app needs a terminal; "
                                       "for scripts use `voyager-tui migrate status`")


def _finish_demo_migration(env: dict[str, str]) -> None:
    from voyager_tui.engine.connections import ConnectionParams, connect_pg
    from voyager_tui.engine.phases import PHASE_ORDER, Phase, PhaseStatus
    from voyager_tui.engine.secrets import DbRole
    from voyager_tui.engine.state_store import StateStore

    run = Path(env["VOYAGER_TUI_HOME"]) / "data" / "demo" / "run"
    params = ConnectionParams(host=str(run), port=5432, user="postgres", dbname="voyager_demo_target",
                              sslmode="disable")
    with connect_pg(params, DbRole.TARGET) as conn:
        store = StateStore(conn)
        mid = store.get_migration(name="demo").migration_uuid
        for phase in PHASE_ORDER:
            if phase == Phase.ASSESSMENT:
                store.set_phase_status(mid, phase, PhaseStatus.SKIPPED)
                continue
            store.set_phase_status(mid, phase, PhaseStatus.IN_PROGRESS)
            store.set_phase_status(mid, phase, PhaseStatus.COMPLETED)
