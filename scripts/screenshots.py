"""Regenerate screenshots/*.svg (and .png when Chromium is installed) from the pinned fixture target.

    uv run python scripts/screenshots.py

Needs the PostgreSQL service the tests use (127.0.0.1:5432, user postgres, trust).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import pg_params  # noqa: E402
from tests.tui.assessment_fixture import write_fixture_assessment  # noqa: E402
from tests.tui.fixture_target import AS_OF, SHOP, build_fixture_target  # noqa: E402
from tests.tui.test_suggestions_snapshots import fixture_suggestions  # noqa: E402
from voyager_tui.engine.ai.store import save_suggestions  # noqa: E402
from voyager_tui.engine.ai.validate import validate  # noqa: E402
from voyager_tui.engine.assessment.registry import default_assessment_dir  # noqa: E402
from voyager_tui.engine.config import AppConfig  # noqa: E402
from voyager_tui.engine.connections import ConnectionParams, connect_pg  # noqa: E402
from voyager_tui.engine.secrets import DbRole  # noqa: E402
from voyager_tui.tui.app import VoyagerApp  # noqa: E402

OUT = ROOT / "screenshots"
ASSESSMENT = "shop-assessment"  # under the data dir, once main() has set VOYAGER_TUI_HOME
SIZE = (110, 42)


async def shoot(target, name: str, steps: list[str]) -> Path:
    app = VoyagerApp([target], config=AppConfig(poll_interval=0.2), as_of=AS_OF)
    async with app.run_test(size=SIZE) as pilot:
        async def settle(check) -> None:
            deadline = time.monotonic() + 15
            while not check():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name}: the screen did not load")
                await pilot.pause(0.05)

        await settle(lambda: app.screen.query("#completed") and app.screen.query_one("#completed").row_count)
        if "open" in steps:
            app.open_migration(next(iter(app.targets)), SHOP)
            await settle(lambda: getattr(app.screen, "snapshot", None) is not None)
        if "tables" in steps:
            await pilot.press("t")
            await settle(lambda: app.screen.query("#tables") and app.screen.query_one("#tables").row_count)
        if "assessment" in steps:
            app.open_assessment(default_assessment_dir(ASSESSMENT))
            await settle(lambda: type(app.screen).__name__ == "ReportViewerScreen")
        if "issues" in steps:
            await pilot.press("2")
        if "wizard" in steps:
            await pilot.press("n")
            await settle(lambda: type(app.screen).__name__ == "AssessmentWizardScreen")
        if "suggestions" in steps:
            await settle(lambda: getattr(app.screen, "has_suggestions", False))
            await pilot.press("s")
            await settle(lambda: app.screen.query("#suggestions") and app.screen.query_one("#suggestions").row_count)
        if "history" in steps:
            await pilot.press("h")
            await settle(lambda: app.screen.query("#events") and app.screen.query_one("#events").row_count)
        await pilot.pause()
        path = OUT / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(OUT))
        return path


def add_suggestions(target: ConnectionParams) -> None:
    """The review screen's fixture suggestions, validated for real on the fixture target's migration."""
    with connect_pg(target, DbRole.TARGET) as conn:
        made = [validate(conn, s.model_copy(update={"migration_uuid": SHOP})) for s in fixture_suggestions()]
        save_suggestions(conn, made)


def to_png(svg: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tempfile.mkdtemp()}", "--window-size=1400,1000",
                    f"--screenshot={svg.with_suffix('.png')}", svg.as_uri()],
                   check=True, capture_output=True, timeout=120)


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    # A private data dir holding one fixture assessment, so Home and the viewer look the same on every machine.
    # A fixed path: the viewer shows it, and a random one would change the screenshots on every run.
    home = Path(tempfile.gettempdir()) / "vt-shots"
    shutil.rmtree(home, ignore_errors=True)
    os.environ["VOYAGER_TUI_HOME"] = str(home)
    write_fixture_assessment(default_assessment_dir(ASSESSMENT))
    OUT.mkdir(exist_ok=True)
    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True) as admin:
        target = build_fixture_target(admin, pg_params())
        add_suggestions(target)
        try:
            for name, steps in (("home", []), ("migration", ["open"]), ("history", ["open", "history"]),
                                ("tables", ["open", "tables"]), ("suggestions", ["open", "suggestions"]),
                                ("assessment-wizard", ["wizard"]),
                                ("assessment-report", ["assessment"]), ("assessment-issues", ["assessment", "issues"])):
                svg = asyncio.run(shoot(target, name, steps))
                to_png(svg)
                print(f"wrote {svg}")
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{target.dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
