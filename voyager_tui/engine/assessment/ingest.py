"""`assessment ingest-metadata`: check a collected metadata dir and make it the metadata of an assessment dir.

Checks in two layers: metadata.py reads every file strictly (present, header, row shape, cell types; the first
problem is an error naming file and line), then the whole set is checked here (source type, layout version,
schema.sql for PostgreSQL, both IOPS samples; things that only look odd, such as an index of a table the set does
not list, are warnings). Only then is the set copied, and it replaces A/metadata in one rename: readers see the
old set or the new one, never a half-copied one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from ..errors import VoyagerError
from . import layout
from .layout import AssessmentDir, SourceDbType
from .metadata import Metadata, NoteRow, read_metadata, refuse_symlinks

INGEST_STEP = "ingest"
"""The `step` of the warnings ingest adds to Metadata.notes."""
_NEW_PREFIX = ".metadata-new-"
_OLD_PREFIX = ".metadata-old-"


def ingest_metadata(assessment_dir: Path, metadata_dir: Path) -> Metadata:
    """Validate metadata_dir and install it as assessment_dir/metadata (creating the assessment dir).

    Returns the metadata with the whole-set warnings appended to `notes` (step "ingest"); raises VoyagerError
    naming the file (and line) of the first error. metadata_dir may be assessment_dir/metadata itself (a live run
    that collected in place): then it is only validated.
    """
    md = read_metadata(metadata_dir)
    warnings = check_metadata(md, metadata_dir)
    try:
        adir = AssessmentDir(assessment_dir).create()
    except OSError as exc:
        raise VoyagerError(f"cannot create the assessment dir {assessment_dir}: {exc.strerror or exc}") from None
    if metadata_dir.resolve() != adir.metadata.resolve():
        replace_metadata(metadata_dir, adir.metadata)
    notes = [NoteRow(step=INGEST_STEP, severity="warning", message=w) for w in warnings]
    return md.model_copy(update={"notes": [*md.notes, *notes]})


def metadata_files(metadata_dir: Path) -> list[str]:
    """The files of the layout present in metadata_dir (anything else there is not copied)."""
    names = [spec.name for spec in layout.CSV_FILES] + [layout.SCHEMA_DDL]
    return [n for n in names if (metadata_dir / n).is_file()]


def check_metadata(md: Metadata, metadata_dir: Path) -> list[str]:
    """Whole-set checks: raises VoyagerError for what makes the set unusable, returns warnings for the rest."""
    info_path = metadata_dir / layout.COLLECTION.name
    if md.info.layout_version > layout.LAYOUT_VERSION:
        raise VoyagerError(f"{info_path}: layout_version {md.info.layout_version} is newer than this voyager-tui "
                           f"reads ({layout.LAYOUT_VERSION}): upgrade voyager-tui")
    if md.info.source_db_type is SourceDbType.POSTGRESQL and md.schema_ddl is None:
        raise VoyagerError(f"{metadata_dir / layout.SCHEMA_DDL} is missing: a PostgreSQL collection must include "
                           "the pg_dump --schema-only output (collect-postgresql.sh writes it)")
    warnings: list[str] = []
    if not md.info.schemas:
        warnings.append(f"{info_path}: no schemas are listed (key schemas)")
    warnings += _check_iops(md, metadata_dir / layout.IOPS_METRICS.name)
    warnings += _check_references(md, metadata_dir)
    for name in metadata_files(metadata_dir):
        path = metadata_dir / name
        if name != layout.SCHEMA_DDL and not _ends_with_newline(path):
            warnings.append(f"{path}: the last line has no line break: the file may have been cut short")
    return warnings


def _check_iops(md: Metadata, path: Path) -> list[str]:
    if not md.iops:
        return [f"{path}: no activity samples: reads/s and writes/s are unknown (see collection-notes.csv)"]
    samples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in md.iops:
        samples[(row.schema_name, row.object_name)].append(row.measurement)
    kinds = {m for ms in samples.values() for m in ms}
    for needed in ("initial", "final"):
        if needed not in kinds:
            raise VoyagerError(f"{path}: there is no {needed} sample: the collection stopped before both IOPS "
                               "samples were taken; collect again")
    warnings = []
    one_sided = sorted(f"{s}.{o}" for (s, o), ms in samples.items() if sorted(ms) != ["final", "initial"])
    if one_sided:
        warnings.append(f"{path}: {len(one_sided)} object(s) do not have exactly one initial and one final sample, "
                        f"e.g. {one_sided[0]}; their rates are left out")
    return warnings


def _check_references(md: Metadata, metadata_dir: Path) -> list[str]:
    tables = {(t.schema_name, t.table_name) for t in md.table_statistics}
    tables |= {(o.schema_name, o.object_name) for o in md.schema_objects
               if o.object_type.lower() in ("table", "partitioned table", "materialized view", "foreign table")}
    warnings = []
    orphans = sorted(f"{i.schema_name}.{i.index_name} ON {i.table_name}" for i in md.indexes
                     if (i.schema_name, i.table_name) not in tables)
    if orphans:
        warnings.append(f"{metadata_dir / layout.INDEX_INFO.name}: {len(orphans)} index(es) of tables the set does "
                        f"not list, e.g. {orphans[0]}")
    orphans = sorted(f"{c.schema_name}.{c.constraint_name} ON {c.table_name}" for c in md.constraints
                     if (c.schema_name, c.table_name) not in tables)
    if orphans:
        warnings.append(f"{metadata_dir / layout.CONSTRAINTS.name}: {len(orphans)} constraint(s) of tables the set "
                        f"does not list, e.g. {orphans[0]}")
    return warnings


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def replace_metadata(source: Path, dest: Path) -> None:
    """Copy the layout's files of `source` into a new dir beside `dest`, then swap it in with renames."""
    parent = dest.parent
    _remove_leftovers(dest)
    # Checked again right before copying: the set may have changed since it was read.
    refuse_symlinks(source)
    files = metadata_files(source)
    try:
        new = Path(tempfile.mkdtemp(prefix=_NEW_PREFIX, dir=parent))
    except OSError as exc:
        raise VoyagerError(f"cannot write into {parent}: {exc.strerror or exc}") from None
    old: Path | None = None
    try:
        for name in files:
            shutil.copyfile(source / name, new / name)
            with (new / name).open("rb") as fh:
                os.fsync(fh.fileno())
        new.chmod(dest.stat().st_mode & 0o7777 if dest.exists() else 0o755)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=_OLD_PREFIX, dir=parent))
            old.rmdir()
            dest.rename(old)
        new.rename(dest)
    except OSError as exc:
        if old is not None and not dest.exists():
            old.rename(dest)
            old = None
        shutil.rmtree(new, ignore_errors=True)
        raise VoyagerError(f"cannot install the metadata into {dest}: {exc.strerror or exc}") from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(dest: Path) -> None:
    """Dirs a killed ingest left behind. A new set is complete only once renamed to `dest`, so leftovers of it are
    dropped; an old set is put back if the kill came between the two renames (dest missing)."""
    parent = dest.parent
    for leftover in sorted(parent.glob(_OLD_PREFIX + "*")):
        if leftover.is_dir() and not dest.exists():
            leftover.rename(dest)
        elif leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(_NEW_PREFIX + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
