"""`voyager-tui assessment view`: the real binary serves the report viewer, and Debian's chromium shows it.

The browser page is textual-serve's xterm.js terminal, which paints on a canvas. To read what it shows, the
test turns on xterm.js's screen-reader mode (one option in the served textual.js), which mirrors every terminal
row into DOM rows (`.xterm-accessibility-tree`): the text a user sees, read from the browser itself.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.assessment_fixture import write_fixture_assessment
from voyager_tui.engine.assessment.registry import known_assessments

CHROMIUM = Path("/usr/bin/chromium")
BINARY = Path(sys.executable).with_name("voyager-tui")
TREE_TEXT = "() => { const t = document.querySelector('.xterm-accessibility-tree'); return t ? t.innerText : ''; }"
XTERM_OPTION = "scrollback:0,"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def view(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BINARY), "assessment", "view", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def wait_for_port(proc: subprocess.Popen[str], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the server exited with {proc.returncode}: {out}\n{err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # polling a condition with a deadline, not synchronising on time
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    adir = write_fixture_assessment(tmp_path / "shop")
    port = free_port()
    proc = subprocess.Popen([str(BINARY), "assessment", "view", "--assessment-dir", str(adir.root),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(proc, port)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()  # textual-serve exits gracefully on SIGTERM and stops the app processes
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_the_report_is_seen_in_chromium(served: tuple[str, subprocess.Popen[str]]) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser test")
    from playwright.sync_api import Route, sync_playwright

    base, _proc = served

    def route(r: Route) -> None:
        url = r.request.url
        if not url.startswith(base):
            r.abort()  # textual-serve's page links web fonts; this machine may be offline
        elif url.endswith("/static/js/textual.js"):
            resp = r.fetch()
            body = resp.text()
            assert body.count(XTERM_OPTION) == 1, "textual-serve's textual.js changed: update XTERM_OPTION"
            r.fulfill(response=resp, body=body.replace(XTERM_OPTION, XTERM_OPTION + "screenReaderMode:!0,"))
        else:
            r.continue_()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", route)
            page.goto(base)
            page.wait_for_function(f"() => ({TREE_TEXT})().includes('Recommended version')", timeout=60_000)
            summary = page.evaluate(TREE_TEXT)
            assert "Assessment shop postgresql shop → YugabyteDB 2024.2.6.0 L3 1 L2 2 L1 4" in summary
            assert "Complexity HIGH — 1 LEVEL_3 issue and 2 LEVEL_2 issues must be resolved." in summary
            assert "Unsupported datatype - xml" not in summary  # on the Issues tab, not shown yet
            page.focus(".xterm-helper-textarea")
            page.keyboard.press("2")  # keys reach the app: the Issues tab opens
            page.wait_for_function(f"() => ({TREE_TEXT})().includes('Unsupported datatype - xml')",
                                   timeout=30_000)
            issues = page.evaluate(TREE_TEXT)
            assert "Showing 7 of 7" in issues
            assert "CREATE TABLE public.invoices (id bigint PRIMARY KEY, payload xml);" in issues
        finally:
            browser.close()


def test_the_url_is_printed_and_the_dir_is_remembered(served: tuple[str, subprocess.Popen[str]],
                                                       tmp_path: Path) -> None:
    base, proc = served
    port = int(base.rsplit(":", 1)[1])
    proc.terminate()
    out, _ = proc.communicate(timeout=15)
    assert f"Serving the assessment report of {tmp_path / 'shop'} at {base}  (Ctrl+C stops)" in out
    with socket.socket() as s:  # the port is free again once the server stopped
        s.bind(("127.0.0.1", port))
    [entry] = known_assessments()  # the viewed dir is listed on Home from now on
    assert entry.path == (tmp_path / "shop").resolve()
    assert entry.issue_counts == {"LEVEL_1": 4, "LEVEL_2": 2, "LEVEL_3": 1}


def test_a_missing_report_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = view("--assessment-dir", str(tmp_path / "empty"), "--port", str(free_port()))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'empty'} has no report yet ({tmp_path / 'empty' / 'reports' / 'assessment_report.json'}"
        f" is missing); run `voyager-tui assessment generate-report --assessment-dir {tmp_path / 'empty'}`")
    missing = view("--assessment-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"error: assessment dir {tmp_path / 'nope'} does not exist"


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    adir = write_fixture_assessment(tmp_path / "shop")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = view("--assessment-dir", str(adir.root), "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: port {port} on 127.0.0.1 is already in use; pick another with --port"
    assert "Traceback" not in result.stderr


def test_in_terminal_needs_a_terminal(tmp_path: Path) -> None:
    adir = write_fixture_assessment(tmp_path / "shop")
    result = view("--assessment-dir", str(adir.root), "--in-terminal")
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: --in-terminal needs a terminal; without it the report is served to a "
                                     "browser")
