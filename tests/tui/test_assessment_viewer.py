"""The report viewer (Pilot): tabs, issue filters, the detail pane, the migrate command; and Home's listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import DataTable, Input, Static, TabbedContent

from tests.tui.assessment_fixture import fixture_report, write_fixture_assessment
from tests.tui.conftest import wait_until
from voyager_tui.engine.assessment.registry import default_assessment_dir, remember_assessment
from voyager_tui.engine.config import AppConfig
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.tui.app import ReportViewerApp, VoyagerApp
from voyager_tui.tui.screens.assessment_wizard import AssessmentWizardScreen
from voyager_tui.tui.screens.home import HomeScreen
from voyager_tui.tui.screens.report_viewer import CommandScreen, ReportViewerScreen, migrate_init_command

SIZE = (120, 40)


def text_of(screen: Any, selector: str) -> str:
    """What a Static shows, as plain text (rich renderables included)."""
    console = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen.query_one(selector, Static).content)
    return console.export_text()


def issue_keys(screen: ReportViewerScreen) -> list[str]:
    table = screen.query_one("#issues", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def issue_names(screen: ReportViewerScreen) -> list[str]:
    report = fixture_report()
    return [report.issues[int(k)].name for k in issue_keys(screen)]


def viewer_app(tmp_path: Path) -> tuple[ReportViewerApp, Path]:
    adir = write_fixture_assessment(tmp_path / "shop")
    return ReportViewerApp(adir.root, fixture_report()), adir.root


async def test_tabs_show_every_part_of_the_report(tmp_path: Path) -> None:
    app, _ = viewer_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReportViewerScreen)
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "summary"
        summary = text_of(screen, "#summary-body")
        assert "postgresql 15.8, database shop" in summary
        assert "L3 1  L2 2  L1 4" in summary
        assert "HIGH — 1 LEVEL_3 issue and 2 LEVEL_2 issues must be resolved." in summary
        assert "13.5 hours" in summary
        assert "2025.1.3.0 (the chosen target is 2024.2.6.0)" in summary
        assert "3 nodes x 8 vCPU / 32 GiB; 3 colocated, 1 sharded tables; import ≈ 14 min" in summary
        expected = {
            "2": ("issues-pane", None, None),
            "3": ("sizing", "#sizing-body", "Three nodes give replication factor 3."),
            "4": ("effort", "#effort-body", "LEVEL_3 issues (xml datatype)"),
            "5": ("what-if", "#what-if-body", "2025.1 (recommended)"),
            "6": ("notes", "#notes-body", "[collection] pg_stat_statements is installed"),
            "1": ("summary", "#summary-body", "Schema objects"),
        }
        for key, (pane, body, needle) in expected.items():
            await pilot.press(key)
            assert tabs.active == pane
            if body is not None:
                assert needle in text_of(screen, body)
        effort = text_of(screen, "#effort-body")
        assert "Total" in effort and "13.5" in effort
        what_if = text_of(screen, "#what-if-body")
        assert "2024.2 (target)" in what_if
        assert "ADVISORY_LOCKS, STORED_GENERATED_COLUMNS" in what_if
        sizing = text_of(screen, "#sizing-body")
        assert "16 for reads (SELECT), 12 for loading (INSERT)" in sizing
        assert "1: public.orders" in sizing


async def test_issues_filter_by_category_impact_and_text(tmp_path: Path) -> None:
    app, _ = viewer_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReportViewerScreen)
        await pilot.press("2")
        assert len(issue_keys(screen)) == 7
        assert issue_names(screen)[0] == "Unsupported datatype - xml"  # most severe first
        assert "Showing 7 of 7 · category: all · impact: all" in text_of(screen, "#issue-view")

        await pilot.press("c")  # unsupported features
        assert sorted(issue_names(screen)) == ["Exclusion constraints", "Index with GIST access method",
                                               "Stored generated columns"]
        assert "Showing 3 of 7 · category: Unsupported features" in text_of(screen, "#issue-view")
        await pilot.press("c", "c", "c", "c")  # datatypes, caveats (none), PL/pgSQL, query constructs
        assert issue_names(screen) == ["Advisory locks"]
        assert fixture_report().issues[int(issue_keys(screen)[0])].object_name == "SELECT pg_advisory_lock($1)"
        await pilot.press("c", "c")  # performance, then all again
        assert len(issue_keys(screen)) == 7

        await pilot.press("i")  # LEVEL_3
        assert issue_names(screen) == ["Unsupported datatype - xml"]
        await pilot.press("i")  # LEVEL_2
        assert issue_names(screen) == ["Advisory locks", "Advisory locks"]
        await pilot.press("i", "i")  # LEVEL_1, then all
        assert len(issue_keys(screen)) == 7

        await pilot.press("slash")
        box = screen.query_one("#issue-filter", Input)
        assert box.has_focus
        await pilot.press(*"public.orders")  # object text
        assert sorted(issue_names(screen)) == ["Hotspots with range-sharded timestamp index",
                                               "Stored generated columns"]
        await pilot.press("enter")  # back to the table, filter kept
        assert screen.query_one("#issues", DataTable).has_focus
        await pilot.press("i", "i", "i")  # LEVEL_1 and the text together
        assert len(issue_keys(screen)) == 2
        await pilot.press("c")  # unsupported features + LEVEL_1 + "public.orders"
        assert issue_names(screen) == ["Stored generated columns"]
        await pilot.press("c", "c")  # caveats: nothing matches, the detail pane says so
        assert issue_keys(screen) == []
        assert "No issue matches the filters." in text_of(screen, "#issue-detail-body")

        await pilot.press("slash", "escape")  # escape in the box clears the text
        assert box.value == ""
        await pilot.press("slash", *"GENERATED ALWAYS")  # SQL text, case-insensitive
        assert screen.text_filter == "GENERATED ALWAYS"


async def test_the_detail_pane_follows_the_cursor(tmp_path: Path) -> None:
    app, _ = viewer_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReportViewerScreen)
        await pilot.press("2")
        detail = text_of(screen, "#issue-detail-body")
        assert "Unsupported datatype - xml" in detail
        assert "LEVEL_3 — no simple workaround" in detail
        assert "CREATE TABLE public.invoices (id bigint PRIMARY KEY, payload xml);" in detail
        assert "Store the document as text" in detail
        assert "not supported in any YugabyteDB release yet" in detail
        assert "known-issues/postgresql/#xml-datatype" in detail
        names = issue_names(screen)
        target = names.index("Stored generated columns")
        await pilot.press(*["down"] * target)
        detail = text_of(screen, "#issue-detail-body")
        assert "Stored generated columns" in detail
        assert "Fixed in 2.25.0.0 (2.25 series), 2025.1.0.0 (2025.1 series)" in detail
        assert "Drop the GENERATED clause" in detail
        assert "GENERATED ALWAYS AS (qty * price) STORED" in detail
        assert "Object TABLE public.orders  found in ddl" in detail


async def test_m_shows_the_migrate_init_command_and_c_copies_it(tmp_path: Path) -> None:
    app, root = viewer_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        assert isinstance(app.screen, CommandScreen)
        command = app.screen.command
        assert command == (f"voyager-tui migrate init --migration-name shop --source-db-type postgresql "
                           f"--source-db-host <source-host> --source-db-name shop "
                           f"--source-db-schema public,billing --target-db-host <yugabytedb-host> "
                           f"--assessment-dir {root}")
        await pilot.press("c")
        assert app.clipboard == command
        await pilot.press("escape")
        assert isinstance(app.screen, ReportViewerScreen)


def test_the_command_names_the_wizards_connection_and_quotes_paths(tmp_path: Path) -> None:
    source = ConnectionParams(host="db.example.com", port=6432, user="app owner", dbname="shop", sslmode="require")
    command = migrate_init_command(fixture_report(), tmp_path / "my dir", source)
    assert ("--source-db-host db.example.com --source-db-port 6432 --source-db-user 'app owner' "
            "--source-db-name shop --source-ssl-mode require") in command
    assert command.endswith(f"--assessment-dir '{tmp_path / 'my dir'}'")


async def test_a_dir_without_a_report_says_so_in_place(tmp_path: Path) -> None:
    app = ReportViewerApp(tmp_path / "nothing-here")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: "Cannot show the report" in text_of(screen, "#report-title"),
                         what="load error")
        assert str(tmp_path / "nothing-here") in text_of(screen, "#report-title")


async def test_a_report_is_loaded_from_its_dir(tmp_path: Path) -> None:
    adir = write_fixture_assessment(tmp_path / "shop")
    app = ReportViewerApp(adir.root)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReportViewerScreen)
        await wait_until(pilot, lambda: screen.report is not None, what="report loaded")
        assert screen.report == fixture_report()
        await pilot.press("2")
        assert len(issue_keys(screen)) == 7


# ---- Home --------------------------------------------------------------------------------------------------


async def test_home_lists_assessments_and_opens_the_viewer(tmp_path: Path) -> None:
    write_fixture_assessment(default_assessment_dir("shop"))
    custom = write_fixture_assessment(tmp_path / "custom-dir")
    remember_assessment(custom.root)
    gone = write_fixture_assessment(tmp_path / "gone")
    remember_assessment(gone.root)
    for f in gone.reports.iterdir():
        f.unlink()
    for d in (gone.reports, gone.metadata, gone.sizing, gone.fleet):
        d.rmdir()
    gone.root.rmdir()
    app = VoyagerApp([], config=AppConfig())
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#assessments", DataTable)
        await wait_until(pilot, lambda: table.row_count == 3, what="assessment rows")
        rows = {str(r.key.value): [str(c) for c in table.get_row(r.key)] for r in table.ordered_rows}
        shop = rows[str(default_assessment_dir("shop").resolve())]
        assert shop[:5] == ["shop", "postgresql shop", "1", "2", "4"]
        assert shop[6] == "reported"
        assert rows[str(gone.root.resolve())][6] == f"directory {gone.root.resolve()} no longer exists"
        table.focus()
        table.move_cursor(row=table.get_row_index(str(gone.root.resolve())))
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)  # a missing dir does not open, it says why (toast)
        table.move_cursor(row=table.get_row_index(str(custom.root.resolve())))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportViewerScreen)
                         and app.screen.report is not None, what="viewer")
        assert app.screen.assessment_dir == custom.root.resolve()
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_home_n_opens_the_wizard_and_shows_the_empty_hint() -> None:
    app = VoyagerApp([], config=AppConfig())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: "No assessments yet" in text_of(screen, "#assessments-note"),
                         what="empty hint")
        assert any(b.id == "new_assessment" for b in (bb.binding for bb in screen.active_bindings.values()))
        await pilot.press("n")
        assert isinstance(app.screen, AssessmentWizardScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
