"""The assessment wizard (Pilot) against the real PostgreSQL service: every step, its checks, and the run."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import psycopg
from textual.widgets import DataTable, Input, OptionList, SelectionList

from tests.conftest import connect_kwargs
from tests.tui.assessment_fixture import write_fixture_assessment
from tests.tui.conftest import wait_until
from tests.tui.test_assessment_viewer import text_of
from voyager_tui.engine.assessment.layout import AssessmentDir
from voyager_tui.engine.assessment.registry import default_assessment_dir, known_assessments
from voyager_tui.engine.assessment.report import load_report
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.yb_versions import LATEST_STABLE
from voyager_tui.tui.app import VoyagerApp
from voyager_tui.tui.screens.assessment_wizard import AssessmentProgress, AssessmentWizardScreen
from voyager_tui.tui.screens.home import HomeScreen
from voyager_tui.tui.screens.report_viewer import ReportViewerScreen

SIZE = (120, 40)


def closed_port() -> int:
    """A port nothing listens on: bound once by the OS, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app() -> VoyagerApp:
    return VoyagerApp([], config=AppConfig())


async def open_wizard(pilot: Any) -> AssessmentWizardScreen:
    await pilot.press("n")
    screen = pilot.app.screen
    assert isinstance(screen, AssessmentWizardScreen)
    return screen


def fill_connection(screen: AssessmentWizardScreen, params: ConnectionParams, password: str = "") -> None:
    screen.query_one("#conn-host", Input).value = params.host
    screen.query_one("#conn-port", Input).value = str(params.port)
    screen.query_one("#conn-user", Input).value = params.user
    screen.query_one("#conn-database", Input).value = params.dbname
    screen.query_one("#conn-password", Input).value = password


async def to_connection(pilot: Any) -> AssessmentWizardScreen:
    screen = await open_wizard(pilot)
    await pilot.press("enter")  # PostgreSQL is highlighted first
    assert screen.step == "connection"
    return screen


async def to_schemas(pilot: Any, params: ConnectionParams) -> AssessmentWizardScreen:
    screen = await to_connection(pilot)
    fill_connection(screen, params)
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: screen.step == "schemas", what="schemas step")
    return screen


async def test_source_step_explains_the_script_path_for_mysql_and_oracle() -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await open_wizard(pilot)
        assert screen.step == "source"
        assert screen.query_one("#source-type", OptionList).has_focus
        assert "Connects to the database now" in text_of(screen, "#source-help")
        await pilot.press("down")
        help_text = text_of(screen, "#source-help")
        assert "MySQL / MariaDB is assessed from scripts" in help_text
        assert "voyager-tui assessment generate-scripts --source-db-type mysql --output-dir ./assessment-scripts" \
            in help_text
        assert "voyager-tui assessment ingest-metadata --assessment-dir ./assessment --metadata-dir " \
               "./collected-metadata" in help_text
        assert f"generate-report --assessment-dir ./assessment --target-db-version {LATEST_STABLE}" in help_text
        await pilot.press("enter")
        assert screen.step == "source"  # nothing to connect to: the wizard stays and explains
        await pilot.press("down")
        assert "--source-db-type oracle" in text_of(screen, "#source-help")
        await pilot.press("up", "up", "enter")
        assert screen.step == "connection"
        await pilot.press("escape")
        assert screen.step == "source"
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_connection_form_checks_fields_in_place() -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_connection(pilot)
        assert screen.query_one("#conn-password", Input).password  # masked
        screen.query_one("#conn-host", Input).value = ""
        await pilot.press("ctrl+n")
        assert text_of(screen, "#conn-status").strip() == "Host is required."
        assert screen.query_one("#conn-host", Input).has_focus
        screen.query_one("#conn-host", Input).value = "127.0.0.1"
        screen.query_one("#conn-port", Input).value = "99999"
        await pilot.press("ctrl+t")
        assert text_of(screen, "#conn-status").strip() == "Port must be a whole number from 1 to 65535."
        assert screen.query_one("#conn-port", Input).has_focus
        assert screen.step == "connection"


async def test_test_connection_succeeds_against_the_real_service(source_db: ConnectionParams) -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_connection(pilot)
        fill_connection(screen, source_db)
        await pilot.click("#test-connection")
        await wait_until(pilot, lambda: "Connected" in text_of(screen, "#conn-status"), what="test result")
        status = text_of(screen, "#conn-status")
        assert status.startswith(f"✓ Connected to {source_db.label}: PostgreSQL 15")
        assert f"database {source_db.dbname}, 2 schema(s)" in status
        assert screen.step == "connection"  # testing does not advance


async def test_test_connection_failure_is_shown_in_place_without_the_password() -> None:
    port = closed_port()
    secret = "s3cret-Pa55"
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_connection(pilot)
        fill_connection(screen, ConnectionParams(host="127.0.0.1", port=port, user="postgres", dbname="postgres"),
                        password=secret)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "✗" in text_of(screen, "#conn-status"), what="failure")
        status = text_of(screen, "#conn-status")
        assert status.startswith(f"✗ cannot connect to source postgres@127.0.0.1:{port}/postgres:")
        assert "refused" in status.lower()
        assert "\n" not in status.strip()
        assert screen.step == "connection"
        shot = pilot.app.export_screenshot()
        assert secret not in shot
        assert all(secret not in (w.description or "") for w in pilot.app.workers)


async def test_schemas_come_from_the_database_and_one_is_required(source_db: ConnectionParams) -> None:
    with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "Mixed Case"; CREATE TABLE "Mixed Case".t1 (id int); '
                     'CREATE TABLE "Mixed Case".t2 (id int)')
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # lives in public; adds no schema
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_schemas(pilot, source_db)
        sel = screen.query_one("#schemas", SelectionList)
        labels = [str(sel.get_option_at_index(i).prompt) for i in range(sel.option_count)]
        assert labels == ["Mixed Case  (2 tables)", "public  (1 table)", "sales  (1 table)"]
        assert screen.selected_schemas == ["public"]  # preselected
        sel.deselect_all()
        await pilot.press("ctrl+n")
        assert text_of(screen, "#schemas-error").strip() == "Select at least one schema (space toggles)."
        assert screen.step == "schemas"
        sel.focus()
        await pilot.press("space")  # the highlighted first option
        sel.select("sales")
        await pilot.press("ctrl+n")
        assert screen.step == "options"
        assert sorted(screen.selected_schemas) == ["Mixed Case", "sales"]
        name = source_db.dbname
        assert screen.query_one("#opt-name", Input).value == name
        assert screen.query_one("#opt-dir", Input).value == str(default_assessment_dir(name))
        assert screen.query_one("#opt-target", Input).value == LATEST_STABLE
        assert screen.query_one("#opt-iops", Input).value == "60"
        await pilot.press("escape")
        assert screen.step == "schemas"
        assert sorted(screen.selected_schemas) == ["Mixed Case", "sales"]  # kept when going back


async def test_options_are_checked_in_place(source_db: ConnectionParams, tmp_path: Path) -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_schemas(pilot, source_db)
        await pilot.press("ctrl+n")
        assert screen.step == "options"
        name_box, dir_box = screen.query_one("#opt-name", Input), screen.query_one("#opt-dir", Input)
        name_box.value = "shop-2026"
        await pilot.pause()
        assert dir_box.value == str(default_assessment_dir("shop-2026"))  # the dir follows the name
        checks = [
            ("#opt-name", "a/b", "Name: assessment name 'a/b' must be a non-empty name without slashes."),
            ("#opt-target", "2030.7", "Target version: not a YugabyteDB version: '2030.7' (year series are "
                                      "YYYY.1 or YYYY.2)."),
            ("#opt-iops", "0", "IOPS window must be a whole number of seconds from 1 to 3600."),
        ]
        for selector, bad, message in checks:
            box = screen.query_one(selector, Input)
            good = box.value
            box.value = bad
            await pilot.press("ctrl+n")
            assert text_of(screen, "#options-error").strip() == message
            assert box.has_focus
            assert screen.step == "options"
            box.value = good
        taken = write_fixture_assessment(tmp_path / "taken")
        dir_box.value = str(taken.root)
        await pilot.press("ctrl+n")
        assert text_of(screen, "#options-error").strip() == (
            f"{taken.root} already holds an assessment report; choose another name or dir.")
        name_box.value = "renamed"
        await pilot.pause()
        assert dir_box.value == str(taken.root)  # an edited dir no longer follows the name


async def to_options(pilot: Any, params: ConnectionParams, schemas: list[str], name: str,
                     iops: str) -> AssessmentWizardScreen:
    screen = await to_schemas(pilot, params)
    sel = screen.query_one("#schemas", SelectionList)
    sel.deselect_all()
    for schema in schemas:
        sel.select(schema)
    await pilot.press("ctrl+n")
    assert screen.step == "options"
    screen.query_one("#opt-name", Input).value = name
    screen.query_one("#opt-iops", Input).value = iops
    await pilot.pause()
    return screen


async def report_shown(pilot: Any, wizard: AssessmentWizardScreen) -> ReportViewerScreen:
    try:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ReportViewerScreen), timeout=120,
                         what="the report")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the run says: {run_text(wizard)}") from None
    viewer = pilot.app.screen
    assert isinstance(viewer, ReportViewerScreen)
    await pilot.pause()  # let it finish mounting before the test ends the app
    return viewer


def run_text(screen: AssessmentWizardScreen) -> str:
    if not screen.is_mounted:
        return "(the wizard is gone)"
    return " ".join(text_of(screen, sel).strip() for sel in ("#run-step", "#run-error", "#run-hint"))


async def test_run_end_to_end_opens_the_report(source_db: ConnectionParams) -> None:
    with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
        conn.execute("INSERT INTO public.customers SELECT i, 'c' || i FROM generate_series(1, 500) i")
        conn.execute("CREATE TABLE sales.docs (id bigint PRIMARY KEY, body xml)")
        conn.execute("ANALYZE")
    seen: list[AssessmentProgress] = []
    vapp = app()

    def hook(message: Any) -> None:
        if isinstance(message, AssessmentProgress):
            seen.append(message)

    async with vapp.run_test(size=SIZE, message_hook=hook) as pilot:
        screen = await to_options(pilot, source_db, ["public", "sales"], "e2e", "1")
        await pilot.press("ctrl+n")
        assert screen.step == "run"
        viewer = await report_shown(pilot, screen)
        report = viewer.report
        assert report is not None
        assert report.source.db_name == source_db.dbname
        assert sorted(report.source.schemas) == ["public", "sales"]
        assert report.target_db_version == LATEST_STABLE
        assert any(i.issue_type == "UNSUPPORTED_DATATYPE_XML" and "sales.docs" in i.object_name for i in report.issues)
        adir = AssessmentDir(default_assessment_dir("e2e"))
        assert viewer.assessment_dir == adir.root.resolve()
        assert adir.report_json.is_file()
        assert load_report(adir.root) == report
        await pilot.press("m")
        command = vapp.screen.command  # type: ignore[attr-defined]
        assert "--source-db-host 127.0.0.1 --source-db-port 5432 --source-db-user postgres" in command
        assert f"--source-db-name {source_db.dbname}" in command
        await pilot.press("escape", "escape")  # the wizard was replaced by the report: back to Home
        assert isinstance(vapp.screen, HomeScreen)
        table = vapp.screen.query_one("#assessments", DataTable)
        key = str(adir.root.resolve())
        await wait_until(pilot, lambda: key in [r.key.value for r in table.ordered_rows], what="home row")
        assert str(table.get_cell(key, "Status")) == "reported"
    unique = list({id(m): m for m in seen}.values())  # the hook may see a message more than once
    steps = [m for m in unique if m.total]
    assert steps and all(re.match(r"Step \d+ of \d+: ", m.text) for m in steps)
    assert [m.done for m in steps] == sorted(m.done or 0 for m in steps)  # never goes backwards
    # Newer progress replaces queued older progress (a loaded machine skips some), but the last one always shows.
    assert [m.text for m in unique if not m.total][-1] == "Building the report"
    assert [e.name for e in known_assessments()] == ["e2e"]


async def test_x_cancels_a_run_and_the_wizard_can_run_again(source_db: ConnectionParams) -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_options(pilot, source_db, ["public"], "cancelled", "60")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: "waiting" in text_of(screen, "#run-step"), timeout=60, what="the IOPS wait")
        assert screen.running
        await pilot.press("x")
        await wait_until(pilot, lambda: not screen.running, timeout=15, what="the cancel")
        assert text_of(screen, "#run-step").strip() == "Cancelled."
        assert text_of(screen, "#run-error").strip() == "✗ the assessment was cancelled"
        assert not default_assessment_dir("cancelled").exists()  # the run made the dir: nothing is left behind
        assert screen.check_action("retry_run", ()) is True
        await pilot.press("escape")
        assert screen.step == "options"
        screen.query_one("#opt-iops", Input).value = "1"
        await pilot.press("ctrl+n")
        await report_shown(pilot, screen)


async def test_a_failed_run_shows_the_error_in_place_and_r_retries(source_db: ConnectionParams) -> None:
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_options(pilot, source_db, ["sales"], "retried", "1")
        with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
            conn.execute("ALTER SCHEMA sales RENAME TO sales_old")  # gone between choosing and running
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: screen.run_failed, timeout=60, what="the failure")
        assert text_of(screen, "#run-step").strip() == "Failed."
        assert text_of(screen, "#run-error").strip() == f"✗ schema(s) not found in {source_db.label}: sales"
        assert text_of(screen, "#run-hint").strip() == "r runs it again · escape goes back to the options."
        with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
            conn.execute("ALTER SCHEMA sales_old RENAME TO sales")
        await pilot.press("r")
        report = (await report_shown(pilot, screen)).report
        assert report is not None and report.source.schemas == ["sales"]


async def test_a_schema_named_like_markup_is_shown_as_it_is(source_db: ConnectionParams) -> None:
    with psycopg.connect(**connect_kwargs(source_db), autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "x[/]"; CREATE TABLE "x[/]".t (id int)')  # once crashed the screen (MarkupError)
    async with app().run_test(size=SIZE) as pilot:
        screen = await to_schemas(pilot, source_db)
        sel = screen.query_one("#schemas", SelectionList)
        labels = [str(sel.get_option_at_index(i).prompt) for i in range(sel.option_count)]
        assert "x[/]  (1 table)" in labels
