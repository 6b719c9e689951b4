"""Local assessments this machine knows: the default parent dir plus a small JSON index of custom dirs.

Assessments are plain directories (layout.py) and can live anywhere, so the index only remembers where
they are; everything shown about one (source, counts, dates) is read back from its own files each time.
A deleted dir or an unreadable report is listed with a one-line reason instead of failing the listing.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from ..errors import VoyagerError, first_error, one_line
from ..paths import app_paths
from ..schema.issue_types import Impact
from .layout import AssessmentDir
from .metadata import read_collection_info
from .report_model import REPORT_VERSION, AssessmentReport

INDEX_FILE = "assessments.json"
INDEX_VERSION = 1


class EntryState(StrEnum):
    REPORTED = "reported"
    NOT_REPORTED = "not_reported"
    """Metadata may be there, but `generate-report` has not run (or was interrupted)."""
    MISSING = "missing"
    """The directory was deleted or moved."""
    BROKEN = "broken"
    """The report (or collection info) exists but cannot be read."""


class AssessmentEntry(BaseModel):
    name: str
    path: Path
    state: EntryState
    source_db_type: str | None = None
    db_name: str | None = None
    generated_at: datetime | None = None
    target_version: str | None = None
    issue_counts: dict[str, int] = Field(default_factory=dict)
    """Impact level (LEVEL_1..3) -> open issues in the report's target version; empty when not reported."""
    problem: str | None = None
    """One line: why the entry is not reported, missing or broken."""

    @property
    def status_text(self) -> str:
        if self.state is EntryState.REPORTED:
            return "reported"
        if self.state is EntryState.NOT_REPORTED:
            return "not reported yet"
        return self.problem or self.state.value


class _Index(BaseModel):
    version: int = INDEX_VERSION
    paths: list[str] = Field(default_factory=list)


def assessments_root() -> Path:
    return app_paths().data_dir / "assessments"


def default_assessment_dir(name: str) -> Path:
    """Where an assessment called `name` lives unless the user picks a dir."""
    clean = name.strip()
    if not clean or clean in (".", "..") or "/" in clean or "\\" in clean or "\0" in clean:
        raise VoyagerError(f"assessment name {name!r} must be a non-empty name without slashes")
    return assessments_root() / clean


def _index_path() -> Path:
    return app_paths().data_dir / INDEX_FILE


def _read_index() -> list[Path]:
    path = _index_path()
    try:
        index = _Index.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValidationError, ValueError):
        # A corrupt index must not hide the default dir's assessments; it is rewritten on the next remember.
        return []
    return [Path(p) for p in index.paths]


def _write_index(paths: list[Path]) -> None:
    target = _index_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    data = _Index(paths=[str(p) for p in paths]).model_dump_json(indent=2)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".assessments-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, target)  # atomic: readers see the old or the new index, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remember_assessment(path: Path) -> None:
    """Add an assessment dir to the index (idempotent), so one outside the default parent is found again."""
    resolved = path.expanduser().resolve()
    known = _read_index()
    if resolved in known:
        return
    _write_index([*known, resolved])


def forget_assessment(path: Path) -> None:
    """Drop a dir from the index (the files are left alone)."""
    resolved = path.expanduser().resolve()
    known = _read_index()
    if resolved in known:
        _write_index([p for p in known if p != resolved])


def _candidates() -> list[Path]:
    seen: dict[Path, None] = {}
    root = assessments_root()
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        children = []
    for p in [*children, *_read_index()]:
        seen.setdefault(p.resolve(), None)
    return list(seen)


def read_entry(path: Path) -> AssessmentEntry:
    """What the listing shows for one assessment dir; never raises for a bad dir."""
    adir = AssessmentDir(path)
    entry = AssessmentEntry(name=path.name, path=path, state=EntryState.NOT_REPORTED)
    if not path.is_dir():
        entry.state, entry.problem = EntryState.MISSING, f"directory {path} no longer exists"
        return entry
    report_file = adir.report_json
    if report_file.is_file():
        try:
            data = json.loads(report_file.read_bytes())
            version = data.get("version") if isinstance(data, dict) else None
            if isinstance(version, int) and version > REPORT_VERSION:
                entry.state = EntryState.BROKEN
                entry.problem = f"report version {version} is newer than this voyager-tui reads; upgrade it"
                return entry
            report = AssessmentReport.model_validate(data)
        except ValidationError as exc:
            where, msg = first_error(exc)
            entry.state, entry.problem = EntryState.BROKEN, f"unreadable report ({where or 'document'}: {msg})"
            return entry
        except json.JSONDecodeError as exc:
            entry.state = EntryState.BROKEN
            entry.problem = f"unreadable report (not JSON: line {exc.lineno}: {exc.msg})"
            return entry
        except (OSError, ValueError) as exc:
            entry.state, entry.problem = EntryState.BROKEN, f"unreadable report: {one_line(exc)}"
            return entry
        counts = report.impact_counts()
        return entry.model_copy(update={
            "state": EntryState.REPORTED, "source_db_type": report.source.db_type.value,
            "db_name": report.source.db_name, "generated_at": report.generated_at,
            "target_version": report.target_db_version,
            "issue_counts": {lvl.value: counts.get(lvl.value, 0) for lvl in Impact},
        })
    info_file = adir.metadata / "collection-info.csv"
    if info_file.is_file():
        try:
            info = read_collection_info(info_file)
        except VoyagerError as exc:
            entry.state, entry.problem = EntryState.BROKEN, one_line(exc)
            return entry
        entry.source_db_type, entry.db_name = info.source_db_type.value, info.db_name
        entry.problem = "metadata collected; run generate-report"
    else:
        entry.problem = "no metadata collected yet"
    return entry


def known_assessments() -> list[AssessmentEntry]:
    """Every assessment in the default parent dir and the index, newest report first, then by name."""
    entries = [read_entry(p) for p in _candidates()]

    def order(e: AssessmentEntry) -> tuple[int, float, str]:
        ts = e.generated_at.timestamp() if e.generated_at else 0.0
        return (0 if e.generated_at else 1, -ts, e.name)

    return sorted(entries, key=order)
