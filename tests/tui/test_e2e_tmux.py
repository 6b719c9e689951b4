"""End to end: the real `voyager-tui demo` binary in tmux, with its embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

EXE = Path(sys.executable).with_name("voyager-tui")


@pytest.fixture
def demo_home() -> Iterator[Path]:
    # Not pytest's tmp_path: as root the demo server runs as `postgres`, which must reach this directory.
    home = Path(tempfile.mkdtemp(prefix="vt-e2e-"))
    home.chmod(0o755)
    yield home
    subprocess.run([str(EXE), "demo", "--stop"], env={**os.environ, "VOYAGER_TUI_HOME": str(home)},
                   capture_output=True, timeout=60)
    shutil.rmtree(home, ignore_errors=True)


class Tmux:
    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"vt-e2e-{uuid.uuid4().hex[:8]}"
        # A private server (-L) with no config: other tmux clients on the machine cannot resize our window.
        self.tmux = ["tmux", "-L", self.name, "-f", "/dev/null"]
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", "110", "-y", "60",
                        # The pane's pty can still be 0x0 when the command starts; fix its size first.
                        f"stty cols 110 rows 60; env {exports} TERM=xterm-256color {command}; "
                        "echo EXITED=$?; sleep 60"], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-t", self.name, "-p"], capture_output=True, text=True,
                              check=True).stdout

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def kill(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)

    def app_pids(self) -> list[int]:
        """The processes the pane's shell started (the app)."""
        shell = subprocess.run([*self.tmux, "display-message", "-p", "-t", self.name, "#{pane_pid}"],
                               capture_output=True, text=True, check=True).stdout.strip()
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        return [int(pid) for pid in children]


def test_demo_opens_the_migration_and_stops_its_server(demo_home: Path) -> None:
    env = {"VOYAGER_TUI_HOME": str(demo_home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    for run in ("first", "second"):  # the second run reuses the cluster, databases and migration
        tmux = Tmux(f"{EXE} demo", env)
        try:
            shown = tmux.wait_for("Next step: Run Export Schema", timeout=120)
            assert "Migration demo" in shown
            assert "voyager-tui migrate export schema" in shown
            tmux.keys("h")
            tmux.wait_for("migration_registered")
            tmux.keys("Escape")
            tmux.wait_for("Next step")
            tmux.keys("Escape")
            shown = tmux.wait_for("Active migrations")
            assert "voyager_demo_source [public]" in shown, run
            tmux.keys("q")
            tmux.wait_for("EXITED=0")
        finally:
            tmux.kill()
        status = subprocess.run([str(EXE), "migrate", "list", "--target-db-host", str(demo_home / "data/demo/run"),
                                 "--target-db-port", "5432", "--target-db-user", "postgres",
                                 "--target-db-name", "voyager_demo_target"],
                                env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
        assert status.returncode == 1, f"the demo server should stop with the app ({run} run)"
        assert "cannot connect to target" in status.stderr


def test_closing_the_terminal_stops_the_demo_server(demo_home: Path) -> None:
    env = {"VOYAGER_TUI_HOME": str(demo_home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    tmux = Tmux(f"{EXE} demo", env)
    try:
        tmux.wait_for("Current activity", timeout=120)
        pidfile = demo_home / "data/demo/pgdata/postmaster.pid"
        server_pid = int(pidfile.read_text().split()[0])
        app_pids = tmux.app_pids()
        assert app_pids
    finally:
        tmux.kill()  # the terminal goes away: the app gets SIGHUP
    deadline = time.monotonic() + 60
    pids = [server_pid, *app_pids]
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{server_pid}").exists(), "the demo server outlived its terminal"
    assert not any(Path(f"/proc/{pid}").exists() for pid in app_pids), "the app outlived its terminal"
