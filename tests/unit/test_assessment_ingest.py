"""`assessment ingest-metadata`: the hand-made Oracle set ingests; bad input is one line naming file and line;
re-ingesting swaps the whole set or nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from voyager_tui.cli.main import cli
from voyager_tui.engine.assessment import ingest, layout
from voyager_tui.engine.assessment.ingest import INGEST_STEP, ingest_metadata
from voyager_tui.engine.assessment.layout import SourceDbType
from voyager_tui.engine.errors import VoyagerError

FIXTURE = Path(__file__).parent.parent / "fixtures" / "oracle_metadata"


@pytest.fixture
def oracle_set(tmp_path: Path) -> Path:
    """A writable copy of the hand-made Oracle metadata set."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "collected"))


def edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"the edit did not change {path.name}"
    path.write_text(changed, encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def ingest_error(assessment_dir: Path, metadata_dir: Path) -> str:
    with pytest.raises(VoyagerError) as info:
        ingest_metadata(assessment_dir, metadata_dir)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_hand_made_oracle_set_ingests(oracle_set: Path, tmp_path: Path) -> None:
    md = ingest_metadata(tmp_path / "a", oracle_set)
    assert md.info.source_db_type is SourceDbType.ORACLE and md.info.schemas == ["HR", "SALES"]
    assert {d.name for d in (tmp_path / "a").iterdir()} == {"metadata", "reports", "sizing", "fleet"}
    copied = sorted(p.name for p in (tmp_path / "a" / "metadata").iterdir())
    assert copied == sorted(p.name for p in FIXTURE.iterdir())
    for name in copied:
        assert (tmp_path / "a" / "metadata" / name).read_bytes() == (FIXTURE / name).read_bytes()
    view = next(o for o in md.schema_objects if o.object_name == "EMP_DETAILS_VIEW")
    assert view.details is not None and '"Full Name",\n' in view.details
    assert next(c for c in md.column_statistics if c.column_name == "STATUS").n_distinct == 0.5
    assert [c.data_type for c in md.columns if c.table_name == "EMPLOYEES"][-2:] == ["XMLTYPE", "ADDRESS_T"]
    assert len(md.iops) == 10 and md.schema_ddl is not None
    assert not [n for n in md.notes if n.step == INGEST_STEP]


def test_cli_prints_a_summary_and_the_next_step(oracle_set: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["assessment", "ingest-metadata", "--assessment-dir", str(tmp_path / "a"),
                                      "--metadata-dir", str(oracle_set)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "Metadata of oracle ORCLPDB1 (HR, SALES) ingested into" in result.stdout
    assert f"voyager-tui assessment generate-report --assessment-dir {tmp_path / 'a'}" in result.stdout


def test_cli_error_is_one_line_and_non_zero(oracle_set: Path, tmp_path: Path) -> None:
    (oracle_set / "columns.csv").unlink()
    result = CliRunner().invoke(cli, ["assessment", "ingest-metadata", "--assessment-dir", str(tmp_path / "a"),
                                      "--metadata-dir", str(oracle_set)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {oracle_set / 'columns.csv'} is missing ({layout.COLUMNS.purpose})\n"
    assert not (tmp_path / "a").exists()


def test_missing_required_file(oracle_set: Path, tmp_path: Path) -> None:
    (oracle_set / "index-info.csv").unlink()
    assert ingest_error(tmp_path / "a", oracle_set).startswith(f"{oracle_set / 'index-info.csv'} is missing")


def test_missing_optional_file_is_fine(oracle_set: Path, tmp_path: Path) -> None:
    (oracle_set / "query-stats.csv").unlink()
    md = ingest_metadata(tmp_path / "a", oracle_set)
    assert md.query_stats == [] and not (tmp_path / "a" / "metadata" / "query-stats.csv").exists()


def test_wrong_header(oracle_set: Path, tmp_path: Path) -> None:
    edit(oracle_set / "index-info.csv", lambda t: t.replace("is_unique,", "unique,", 1))
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message.startswith(f"{oracle_set / 'index-info.csv'}:1: wrong header: missing column(s) is_unique")


def test_empty_file(oracle_set: Path, tmp_path: Path) -> None:
    (oracle_set / "constraints.csv").write_text("")
    assert ingest_error(tmp_path / "a", oracle_set).startswith(f"{oracle_set / 'constraints.csv'}:1: the file is empty")


@pytest.mark.parametrize("value, expected", [
    ("sqlserver", "source_db_type 'sqlserver' is not one of postgresql, mysql, oracle"),
    ("", "source_db_type '' is not one of postgresql, mysql, oracle"),
])
def test_wrong_or_unknown_source_type(oracle_set: Path, tmp_path: Path, value: str, expected: str) -> None:
    info = oracle_set / "collection-info.csv"
    edit(info, lambda t: t.replace('"source_db_type","oracle"', f'"source_db_type","{value}"'))
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message == f"{info}:{line_of(info, 'source_db_type')}: {expected}"


def test_missing_source_type(oracle_set: Path, tmp_path: Path) -> None:
    info = oracle_set / "collection-info.csv"
    edit(info, lambda t: t.replace('"source_db_type","oracle"\n', ""))
    assert ingest_error(tmp_path / "a", oracle_set) == f"{info}: the key source_db_type is missing"


def test_duplicate_and_bad_collection_keys(oracle_set: Path, tmp_path: Path) -> None:
    info = oracle_set / "collection-info.csv"
    edit(info, lambda t: t + '"db_name","OTHER"\n')
    assert "the key db_name appears twice (first on line 4)" in ingest_error(tmp_path / "a", oracle_set)
    shutil.copyfile(FIXTURE / "collection-info.csv", info)
    edit(info, lambda t: t.replace('"layout_version","1"', '"layout_version","one"'))
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message.startswith(f"{info}:{line_of(info, 'layout_version')}: key layout_version:")


def test_newer_layout_version(oracle_set: Path, tmp_path: Path) -> None:
    edit(oracle_set / "collection-info.csv", lambda t: t.replace('"layout_version","1"', '"layout_version","99"'))
    assert "layout_version 99 is newer than this voyager-tui reads" in ingest_error(tmp_path / "a", oracle_set)


def test_row_with_fewer_fields(oracle_set: Path, tmp_path: Path) -> None:
    columns = oracle_set / "columns.csv"
    edit(columns, lambda t: t.replace('"HR","JOBS","JOB_TITLE","2","VARCHAR2(35)","","false"',
                                      '"HR","JOBS","JOB_TITLE","2","VARCHAR2(35)"'))
    line = line_of(columns, '"JOB_TITLE"')
    assert ingest_error(tmp_path / "a", oracle_set) == (
        f"{columns}:{line}: 5 fields where the header has 7 (truncated or malformed CSV)")


def test_file_cut_inside_a_quoted_field(oracle_set: Path, tmp_path: Path) -> None:
    objects = oracle_set / "schema-objects.csv"
    text = objects.read_text()
    cut = text.index("e.last_name AS") + 5  # inside the view text, which spans lines
    objects.write_text(text[:cut])
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message.startswith(f"{objects}:{len(text[:cut].splitlines())}: malformed CSV: unexpected end of data")
    assert message.endswith("(the file ends inside a quoted value: truncated?)")


def test_file_cut_inside_the_last_quoted_field_of_a_row(oracle_set: Path, tmp_path: Path) -> None:
    """The row still has all its fields, so only the strict reader notices the open quote."""
    stats = oracle_set / "query-stats.csv"
    text = stats.read_text()
    cut = text.index("AND o.order_date")
    stats.write_text(text[:cut])
    assert "unexpected end of data" in ingest_error(tmp_path / "a", oracle_set)


def test_bad_cell(oracle_set: Path, tmp_path: Path) -> None:
    tables = oracle_set / "table-statistics.csv"
    edit(tables, lambda t: t.replace('"JOBS","table","19"', '"JOBS","table","nineteen"'))
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message.startswith(f"{tables}:{line_of(tables, 'nineteen')}: column row_count: Input should be a valid "
                              "integer")


def test_unknown_iops_measurement(oracle_set: Path, tmp_path: Path) -> None:
    iops = oracle_set / "iops-metrics.csv"
    edit(iops, lambda t: t.replace('"JOBS","table","final"', '"JOBS","table","middle"'))
    message = ingest_error(tmp_path / "a", oracle_set)
    assert message.startswith(f"{iops}:{line_of(iops, 'middle')}: column measurement: Value error, must be one of "
                              "initial, final, not 'middle'")


def test_iops_without_the_second_sample(oracle_set: Path, tmp_path: Path) -> None:
    iops = oracle_set / "iops-metrics.csv"
    edit(iops, lambda t: "".join(line for line in t.splitlines(keepends=True) if '"final"' not in line))
    assert ingest_error(tmp_path / "a", oracle_set) == (
        f"{iops}: there is no final sample: the collection stopped before both IOPS samples were taken; collect again")


def test_whole_set_warnings(oracle_set: Path, tmp_path: Path) -> None:
    edit(oracle_set / "index-info.csv", lambda t: t + '"HR","GONE_IX","GONE","normal","false","false","X","",""\n')
    edit(oracle_set / "iops-metrics.csv",
         lambda t: t.replace('"HR","JOBS","table","final","40","0","2026-03-02T09:15:00.000000Z"\n', ""))
    notes = oracle_set / "collection-notes.csv"
    notes.write_bytes(notes.read_bytes().rstrip(b"\n"))
    md = ingest_metadata(tmp_path / "a", oracle_set)
    warnings = [n.message for n in md.notes if n.step == INGEST_STEP]
    assert len(warnings) == 3
    assert "1 index(es) of tables the set does not list, e.g. HR.GONE_IX ON GONE" in warnings[1]
    assert "1 object(s) do not have exactly one initial and one final sample, e.g. HR.JOBS" in warnings[0]
    assert warnings[2] == f"{notes}: the last line has no line break: the file may have been cut short"


def test_postgresql_set_needs_schema_sql(oracle_set: Path, tmp_path: Path) -> None:
    edit(oracle_set / "collection-info.csv", lambda t: t.replace('"oracle"', '"postgresql"'))
    (oracle_set / "schema.sql").unlink()
    assert ingest_error(tmp_path / "a", oracle_set).startswith(f"{oracle_set / 'schema.sql'} is missing")


def test_schema_sql_must_be_utf8(oracle_set: Path, tmp_path: Path) -> None:
    (oracle_set / "schema.sql").write_bytes(b"CREATE TABLE a (x int);\n-- caf\xe9\n")
    assert ingest_error(tmp_path / "a", oracle_set) == f"{oracle_set / 'schema.sql'}:2: not UTF-8 text"


def test_reingest_replaces_the_whole_set(oracle_set: Path, tmp_path: Path) -> None:
    adir = tmp_path / "a"
    ingest_metadata(adir, oracle_set)
    second = Path(shutil.copytree(FIXTURE, tmp_path / "second"))
    (second / "column-statistics.csv").unlink()
    edit(second / "collection-info.csv", lambda t: t.replace('"ORCLPDB1"', '"ORCLPDB2"'))
    (second / "README.txt").write_text("not part of the layout")
    md = ingest_metadata(adir, second)
    assert md.info.db_name == "ORCLPDB2"
    names = {p.name for p in (adir / "metadata").iterdir()}
    assert "column-statistics.csv" not in names and "README.txt" not in names
    assert (adir / "metadata" / "collection-info.csv").read_text() == (second / "collection-info.csv").read_text()
    assert [p.name for p in adir.iterdir() if p.name.startswith(".")] == []


def test_a_failed_ingest_leaves_the_previous_set(oracle_set: Path, tmp_path: Path) -> None:
    adir = tmp_path / "a"
    ingest_metadata(adir, oracle_set)
    before = {p.name: p.read_bytes() for p in (adir / "metadata").iterdir()}
    bad = Path(shutil.copytree(FIXTURE, tmp_path / "bad"))
    edit(bad / "columns.csv", lambda t: t.replace('"NUMBER(6,0)","","false"', '"NUMBER(6,0)","","maybe"', 1))
    assert "column is_nullable" in ingest_error(adir, bad)
    assert {p.name: p.read_bytes() for p in (adir / "metadata").iterdir()} == before


def test_a_copy_that_fails_midway_leaves_the_previous_set(oracle_set: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up while the new set is copied: A/metadata still holds the old set, whole."""
    adir = tmp_path / "a"
    ingest_metadata(adir, oracle_set)
    before = {p.name: p.read_bytes() for p in (adir / "metadata").iterdir()}
    copied: list[str] = []
    real_copy = shutil.copyfile

    def copy_until_full(src: Path, dst: Path) -> Path:
        if len(copied) == 3:
            raise OSError(28, "No space left on device")
        copied.append(Path(src).name)
        return Path(real_copy(src, dst))

    second = Path(shutil.copytree(FIXTURE, tmp_path / "second"))
    monkeypatch.setattr(ingest.shutil, "copyfile", copy_until_full)
    assert ingest_error(adir, second) == (
        f"cannot install the metadata into {adir / 'metadata'}: No space left on device")
    assert {p.name: p.read_bytes() for p in (adir / "metadata").iterdir()} == before
    assert [p.name for p in adir.iterdir() if p.name.startswith(".")] == []


def test_ingest_in_place_only_validates(oracle_set: Path, tmp_path: Path) -> None:
    adir = tmp_path / "a"
    shutil.copytree(oracle_set, adir / "metadata")
    md = ingest_metadata(adir, adir / "metadata")
    assert md.info.db_name == "ORCLPDB1"
    assert {p.name for p in adir.iterdir()} == {"metadata", "reports", "sizing", "fleet"}
