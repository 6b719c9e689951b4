"""The local assessment registry: default dir, the JSON index of custom dirs, and entries that never crash."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.tui.assessment_fixture import GENERATED_AT, fixture_report, write_fixture_assessment
from voyager_tui.engine.assessment.layout import AssessmentDir
from voyager_tui.engine.assessment.registry import (
    INDEX_FILE,
    EntryState,
    default_assessment_dir,
    forget_assessment,
    known_assessments,
    read_entry,
    remember_assessment,
)
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.paths import app_paths


def index_paths() -> list[str]:
    return json.loads((app_paths().data_dir / INDEX_FILE).read_text())["paths"]


def test_default_dir_is_under_the_data_dir(isolated_env: Path) -> None:
    assert default_assessment_dir("shop") == isolated_env.resolve() / "data" / "assessments" / "shop"


@pytest.mark.parametrize("bad", ["", "  ", "a/b", "..", "."])
def test_default_dir_rejects_names_that_are_not_one_path_part(bad: str) -> None:
    with pytest.raises(VoyagerError, match="must be a non-empty name without slashes"):
        default_assessment_dir(bad)


def test_a_remembered_custom_dir_is_listed_with_its_report(tmp_path: Path) -> None:
    adir = write_fixture_assessment(tmp_path / "elsewhere" / "shop-2026")
    assert known_assessments() == []
    remember_assessment(adir.root)
    remember_assessment(tmp_path / "elsewhere" / ".." / "elsewhere" / "shop-2026")  # same dir, other spelling
    assert index_paths() == [str(adir.root.resolve())]
    [entry] = known_assessments()
    assert entry.state is EntryState.REPORTED
    assert entry.name == "shop-2026"
    assert (entry.source_db_type, entry.db_name) == ("postgresql", "shop")
    assert entry.generated_at == GENERATED_AT
    assert entry.target_version == fixture_report().target_db_version
    assert entry.issue_counts == {"LEVEL_1": 4, "LEVEL_2": 2, "LEVEL_3": 1}
    assert entry.status_text == "reported"
    leftovers = [p.name for p in app_paths().data_dir.iterdir() if p.name != INDEX_FILE]
    assert leftovers == []  # the atomic write left no temp file behind


def test_dirs_under_the_default_parent_are_found_without_the_index() -> None:
    adir = write_fixture_assessment(default_assessment_dir("billing"))
    AssessmentDir(default_assessment_dir("fresh")).create()
    entries = {e.name: e for e in known_assessments()}
    assert entries["billing"].state is EntryState.REPORTED
    assert entries["billing"].path == adir.root.resolve()
    fresh = entries["fresh"]
    assert fresh.state is EntryState.NOT_REPORTED
    assert fresh.status_text == "not reported yet"
    assert fresh.problem == "no metadata collected yet"
    assert fresh.issue_counts == {}
    assert not (app_paths().data_dir / INDEX_FILE).exists()


def test_metadata_without_a_report_shows_the_source(tmp_path: Path) -> None:
    adir = AssessmentDir(tmp_path / "collected").create()
    (adir.metadata / "collection-info.csv").write_text(
        "key,value\nlayout_version,1\nsource_db_type,mysql\ndb_name,crm\nschemas,crm\n", encoding="utf-8")
    remember_assessment(adir.root)
    [entry] = known_assessments()
    assert entry.state is EntryState.NOT_REPORTED
    assert (entry.source_db_type, entry.db_name) == ("mysql", "crm")
    assert entry.problem == "metadata collected; run generate-report"


def test_a_deleted_dir_is_listed_with_a_reason(tmp_path: Path) -> None:
    adir = write_fixture_assessment(tmp_path / "gone")
    remember_assessment(adir.root)
    shutil.rmtree(adir.root)
    [entry] = known_assessments()
    assert entry.state is EntryState.MISSING
    assert entry.status_text == f"directory {adir.root.resolve()} no longer exists"
    forget_assessment(adir.root)
    assert known_assessments() == []
    assert index_paths() == []


def test_broken_reports_give_one_line_reasons(tmp_path: Path) -> None:
    garbage = write_fixture_assessment(tmp_path / "garbage")
    garbage.report_json.write_text("{not json", encoding="utf-8")
    partial = write_fixture_assessment(tmp_path / "partial")
    data = json.loads(partial.report_json.read_text())
    del data["effort"]
    partial.report_json.write_text(json.dumps(data), encoding="utf-8")
    future = write_fixture_assessment(tmp_path / "future")
    data = json.loads(future.report_json.read_text())
    data["version"] = 99
    future.report_json.write_text(json.dumps(data), encoding="utf-8")
    bad_info = AssessmentDir(tmp_path / "bad-info").create()
    (bad_info.metadata / "collection-info.csv").write_text("key,value\nsource_db_type,db2\n", encoding="utf-8")
    for adir in (garbage, partial, future, bad_info):
        remember_assessment(adir.root)
    entries = {e.name: e for e in known_assessments()}
    assert {e.state for e in entries.values()} == {EntryState.BROKEN}
    assert entries["garbage"].problem == ("unreadable report (not JSON: line 1: Expecting property name enclosed in "
                                          "double quotes)")
    assert entries["future"].problem == "report version 99 is newer than this voyager-tui reads; upgrade it"
    assert entries["partial"].problem == "unreadable report (effort: Field required)"
    assert "source_db_type" in (entries["bad-info"].problem or "")
    assert all("\n" not in (e.problem or "") for e in entries.values())


def test_a_corrupt_index_does_not_hide_anything_and_is_rewritten(tmp_path: Path) -> None:
    write_fixture_assessment(default_assessment_dir("kept"))
    index = app_paths().data_dir / INDEX_FILE
    index.write_text("[[[", encoding="utf-8")
    assert [e.name for e in known_assessments()] == ["kept"]
    custom = write_fixture_assessment(tmp_path / "custom")
    remember_assessment(custom.root)
    assert index_paths() == [str(custom.root.resolve())]
    assert sorted(e.name for e in known_assessments()) == ["custom", "kept"]


def test_newest_report_first_then_unreported_by_name(tmp_path: Path) -> None:
    old = write_fixture_assessment(tmp_path / "old")
    new = write_fixture_assessment(tmp_path / "new")
    newer = fixture_report().model_copy(update={"generated_at": GENERATED_AT + timedelta(days=1)})
    new.report_json.write_text(newer.model_dump_json(), encoding="utf-8")
    AssessmentDir(tmp_path / "b-pending").create()
    AssessmentDir(tmp_path / "a-pending").create()
    for name in ("old", "b-pending", "new", "a-pending"):
        remember_assessment(tmp_path / name)
    assert [e.name for e in known_assessments()] == ["new", "old", "a-pending", "b-pending"]
    assert read_entry(old.root).generated_at == GENERATED_AT
