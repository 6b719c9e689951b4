"""`ai convert`'s engine: problems from import schema's failed.sql, and accepted fixes written back to objects.json.

failed.sql (see pipeline.import_schema.write_failures) holds, per failed object, `-- ERROR: <error>`, `-- <label>`
and the SQL. The label is the same `label()` import schema gives the manifest object, so a fix can be written back
to exactly that object of `schema/objects.json`, which is what import schema reads on its next run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from ..errors import VoyagerError
from ..pipeline.import_schema import label
from ..schema.analyze import analyze_sql
from ..schema.manifest import OBJECT_TYPES, SchemaManifest, SchemaObject, write_manifest
from . import rules
from .models import Problem, Suggestion

FAILED_DDL = "FAILED_DDL"
_ERROR_PREFIX = "-- ERROR: "


class FailedObject(BaseModel):
    label: str
    error: str
    sql: str


class ConvertItem(BaseModel):
    """One failed object: where it lives and the problem a provider is asked to fix."""

    label: str
    file: str
    """The export's schema file the object came from (e.g. indexes.sql), or the failed.sql name."""
    problem: Problem


def read_failed_sql(path: Path) -> list[FailedObject]:
    """Parse import schema's failed.sql; a missing file means nothing failed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise VoyagerError(f"cannot read {path}: {exc.strerror or exc}") from None
    out: list[FailedObject] = []
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_ERROR_PREFIX)]
    if text.strip() and (not starts or any(line.strip() for line in lines[:starts[0]])):
        raise VoyagerError(f"{path}: line 1: not an import schema failure list (expected '{_ERROR_PREFIX}...')")
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        if start + 1 >= end or not lines[start + 1].startswith("-- "):
            raise VoyagerError(f"{path}: line {start + 2}: expected '-- <object>' after the ERROR line")
        sql = "\n".join(lines[start + 2:end]).strip()
        out.append(FailedObject(label=lines[start + 1][3:].strip(), error=lines[start][len(_ERROR_PREFIX):].strip(),
                                sql=sql))
    return out


def _object_from_label(failed: FailedObject) -> SchemaObject:
    """Without a manifest entry, the label still says the object's type and name (`index public.idx`)."""
    lowered = failed.label.lower()
    for kind in sorted(OBJECT_TYPES, key=len, reverse=True):
        if lowered.startswith(kind.lower() + " "):
            qualified = failed.label[len(kind) + 1:]
            schema, _, name = qualified.rpartition(".")
            return SchemaObject(type=kind, schema=schema or None, name=name, sql=failed.sql)
    return SchemaObject(type="OTHER", name=failed.label, sql=failed.sql)


def build_problems(failed: list[FailedObject], manifest: SchemaManifest | None, target_version: str,
                   default_file: str) -> list[ConvertItem]:
    """One problem per failed object. Its issue is the first catalog issue found in its SQL that a rule can fix,
    else the first found (also issues the target version is said to support: it failed anyway), else FAILED_DDL."""
    by_label = {label(o): o for o in manifest.objects} if manifest else {}
    items: list[ConvertItem] = []
    for f in failed:
        obj = by_label.get(f.label) or _object_from_label(f)
        analysis = analyze_sql([obj], target_version)
        found = [i.issue_type for i in [*analysis.issues, *analysis.resolved_by_target]]
        candidates = [Problem(object_type=obj.type, object_name=obj.qualified_name, issue_type=t,
                              original_sql=obj.sql, error=f.error) for t in dict.fromkeys(found)]
        problem = next((p for p in candidates if rules.suggest(p) is not None), None) or (
            candidates[0] if candidates else Problem(object_type=obj.type, object_name=obj.qualified_name,
                                                     issue_type=FAILED_DDL, original_sql=obj.sql, error=f.error))
        items.append(ConvertItem(label=f.label, file=obj.file or default_file, problem=problem))
    return items


Provider = Callable[[Problem], Suggestion | None]


def suggest_all(items: list[ConvertItem], providers: list[Provider]) -> list[Suggestion | None]:
    """Each item's suggestion from the first provider that has one (rules first, then the LLM for the rest)."""
    out: list[Suggestion | None] = []
    for item in items:
        suggestion = None
        for provider in providers:
            suggestion = provider(item.problem)
            if suggestion is not None:
                break
        out.append(suggestion)
    return out


def apply_fixes(manifest_path: Path, fixes: dict[str, str], *, now: datetime | None = None) -> Path | None:
    """Replace the SQL of the objects labelled in `fixes` (label -> accepted SQL) in objects.json.

    The first time, the untouched file is kept as objects.json.orig-<timestamp>; later runs keep that original
    rather than piling up copies of intermediate states. Returns the kept original's path (None if no fixes).
    """
    if not fixes:
        return None
    from ..schema.manifest import load_manifest

    manifest = load_manifest(manifest_path)
    known = {label(o) for o in manifest.objects}
    missing = sorted(set(fixes) - known)
    if missing:
        raise VoyagerError(f"{manifest_path}: no object {missing[0]!r} to write the fix to")
    originals = sorted(manifest_path.parent.glob(f"{manifest_path.name}.orig-*"))
    if originals:
        kept = originals[0]
    else:
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        kept = manifest_path.with_name(f"{manifest_path.name}.orig-{stamp}")
        shutil.copy2(manifest_path, kept)
    objects = [o.model_copy(update={"sql": fixes[label(o)]}) if label(o) in fixes else o for o in manifest.objects]
    write_manifest(manifest_path, manifest.model_copy(update={"objects": objects}))
    return kept
