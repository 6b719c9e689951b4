"""Ingest reads long legitimate values and refuses a set whose files are symbolic links."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voyager_tui.engine.assessment.ingest import ingest_metadata, replace_metadata
from voyager_tui.engine.errors import VoyagerError

FIXTURE = Path(__file__).parent.parent / "fixtures" / "oracle_metadata"


@pytest.fixture
def oracle_set(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "collected"))


def test_a_view_definition_longer_than_csvs_default_limit_is_read(oracle_set: Path, tmp_path: Path) -> None:
    long_select = "SELECT " + ", ".join(f"e.col_{i} AS \"Alias {i}\"" for i in range(12_000)) + " FROM hr.e"
    assert len(long_select) > 200 * 1024
    path = oracle_set / "schema-objects.csv"
    text = path.read_text(encoding="utf-8")
    start = text.index('"SELECT e.employee_id')
    end = text.index('"', start + 1)
    while text[end + 1] == '"':  # a doubled quote inside the value
        end = text.index('"', end + 2)
    path.write_text(text[:start] + '"' + long_select.replace('"', '""') + '"' + text[end + 1:], encoding="utf-8")
    md = ingest_metadata(tmp_path / "a", oracle_set)
    view = next(o for o in md.schema_objects if o.object_name == "EMP_DETAILS_VIEW")
    assert view.details == long_select


def test_a_value_past_the_raised_limit_is_a_one_line_error(oracle_set: Path, tmp_path: Path) -> None:
    path = oracle_set / "schema-objects.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('"HR","HUGE","view","","' + "x" * (64 * 1024 * 1024 + 1) + '"\n')
    with pytest.raises(VoyagerError, match=rf"^{path}:\d+: malformed CSV: field larger than field limit"):
        ingest_metadata(tmp_path / "a", oracle_set)


@pytest.mark.parametrize("name", ["schema.sql", "collection-info.csv", "query-stats.csv"])
def test_a_symlinked_file_is_refused_and_nothing_is_copied(oracle_set: Path, tmp_path: Path, name: str) -> None:
    secret = tmp_path / "id_rsa"
    shutil.copyfile(oracle_set / name, secret)  # valid content: only the link itself may make ingest refuse
    (oracle_set / name).unlink()
    (oracle_set / name).symlink_to(secret)
    with pytest.raises(VoyagerError) as info:
        ingest_metadata(tmp_path / "a", oracle_set)
    assert str(info.value) == f"{oracle_set / name} is a symbolic link: a metadata set must hold the files themselves"
    assert not (tmp_path / "a" / "metadata" / name).exists()


def test_replace_metadata_refuses_a_link_that_appeared_after_reading(oracle_set: Path, tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY\n")
    (oracle_set / "schema.sql").unlink()
    (oracle_set / "schema.sql").symlink_to(secret)
    dest = tmp_path / "a" / "metadata"
    dest.parent.mkdir()
    with pytest.raises(VoyagerError, match="is a symbolic link"):
        replace_metadata(oracle_set, dest)
    assert not dest.exists()
