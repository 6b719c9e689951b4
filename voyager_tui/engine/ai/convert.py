"""`ai convert`'s engine: problems from import schema's failed.sql, and accepted fixes written back to objects.json.

failed.sql (see pipeline.import_schema.write_failures) holds, per failed object, `-- ERROR: <error>`, `-- <label>`
and the SQL; failed.json beside it holds the same exactly, and is what is read when present. The label is the same
`label()` import schema gives the manifest object, so a fix can be written back to exactly that object of
`schema/objects.json`, which is what import schema reads on its next run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel, ValidationError

from ..errors import VoyagerError, first_error
from ..models import MigrationRecord
from ..phases import Phase
from ..pipeline.import_schema import failures_sidecar, label
from ..schema.analyze import analyze_sql
from ..schema.manifest import OBJECT_TYPES, SchemaManifest, SchemaObject, write_manifest
from ..state_store import StateStore
from . import rules
from .models import Decision, Problem, Suggestion

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
    provider_error: str | None = None
    """Set by suggest_all when a provider failed for this object (and none had a suggestion): why it has none."""


class _FailedFile(BaseModel):
    version: int
    failed: list[FailedObject]


def read_failed_sql(path: Path) -> list[FailedObject]:
    """Import schema's failures: from the failed.json it writes beside failed.sql when there is one (exact whatever
    the SQL holds), else parsed from failed.sql (an older export, or a file of your own); nothing means none failed."""
    sidecar = failures_sidecar(path)
    try:
        # A failed.sql changed after the sidecar was written (a fix made by hand) is read instead.
        if not path.exists() or sidecar.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            return _FailedFile.model_validate_json(sidecar.read_bytes()).failed
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise VoyagerError(f"cannot read {sidecar}: {exc.strerror or exc}") from None
    except ValidationError as exc:
        field, msg = first_error(exc)
        raise VoyagerError(f"{sidecar}: not an import schema failure list ({field}: {msg})") from None
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
    """Each item's suggestion from the first provider that has one (rules first, then the LLM for the rest).

    A provider's error (an HTTP 400, a refusal to send row data, an endpoint that gave up) costs only that item its
    suggestion, so the others are still validated and stored; the error is kept in the item's provider_error."""
    out: list[Suggestion | None] = []
    for item in items:
        suggestion = None
        item.provider_error = None
        for provider in providers:
            try:
                suggestion = provider(item.problem)
            except VoyagerError as exc:
                item.provider_error = item.provider_error or str(exc)
                continue
            if suggestion is not None:
                item.provider_error = None
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


def propose(conn: psycopg.Connection[Any], items: list[ConvertItem], providers: list[Provider],
            migration_uuid: UUID | None) -> list[Suggestion | None]:
    """Each item's suggestion, validated on the target and stored (None where no provider has one)."""
    from . import store, validate

    proven = [None if s is None else validate.validate(conn, s.model_copy(update={"migration_uuid": migration_uuid}))
              for s in suggest_all(items, providers)]
    stored = iter(store.save_suggestions(conn, [s for s in proven if s is not None]))
    final = [None if s is None else next(stored) for s in proven]
    if migration_uuid is not None and items:
        # The next step reads this: once fixes were proposed, objects no provider can fix do not hold it at review.
        made = sum(s is not None for s in final)
        StateStore(conn).record_event(
            migration_uuid, "ai_fixes_proposed",
            f"AI fixes proposed for {len(items)} failed object(s): {made} suggestion(s), "
            f"{len(items) - made} without a fix", phase=Phase.IMPORT_SCHEMA,
            data={"objects": len(items), "suggestions": made})
    return final


class MigrationFailures(BaseModel):
    """A migration's failed.sql read next to its objects.json, as problems to fix."""

    failed_path: Path
    manifest_path: Path
    items: list[ConvertItem]
    has_manifest: bool


def migration_failures(migration: MigrationRecord, export_dir: Path | None = None) -> MigrationFailures:
    from ..pipeline.analyze_schema import default_target_version
    from ..schema.manifest import load_manifest

    root = export_dir or (Path(migration.export_dir) if migration.export_dir else None)
    if root is None:
        raise VoyagerError(f"migration {migration.migration_name} has no export dir registered")
    failed_path = root / "schema" / "failed.sql"
    manifest_path = failed_path.parent / "objects.json"
    manifest = load_manifest(manifest_path) if manifest_path.is_file() else None
    items = build_problems(read_failed_sql(failed_path), manifest, default_target_version(migration),
                           failed_path.name)
    return MigrationFailures(failed_path=failed_path, manifest_path=manifest_path, items=items,
                             has_manifest=manifest is not None)


def _matches(item: ConvertItem, s: Suggestion) -> bool:
    return (s.object_type, s.object_name) == (item.problem.object_type, item.problem.object_name)


def current_suggestions(conn: psycopg.Connection[Any], migration_uuid: UUID, failures: MigrationFailures,
                        since: datetime | None) -> dict[str, list[Suggestion]]:
    """Per failed object's label, the suggestions made for it since `since` (the import schema run that failed it):
    older ones were for an earlier run's SQL."""
    from .store import list_suggestions

    found = [s for s in list_suggestions(conn, migration_uuid)
             if since is None or (s.created_at is not None and s.created_at >= since)]
    return {item.label: [s for s in found if _matches(item, s)] for item in failures.items}


def propose_missing(conn: psycopg.Connection[Any], migration: MigrationRecord, failures: MigrationFailures,
                    since: datetime | None, providers: list[Provider]) -> int:
    """Propose, validate and store fixes for the failed objects that have no suggestion since `since`, as
    `ai convert` does; returns how many suggestions were made."""
    have = current_suggestions(conn, migration.migration_uuid, failures, since)
    todo = [item for item in failures.items if not have[item.label]]
    return sum(s is not None for s in propose(conn, todo, providers, migration.migration_uuid))


def write_accepted(conn: psycopg.Connection[Any], migration: MigrationRecord, failures: MigrationFailures,
                   since: datetime | None) -> tuple[int, Path | None]:
    """Write the accepted fixes for the failed objects into objects.json (what import schema reads on its next run);
    returns how many were written and the kept original."""
    fixes: dict[str, str] = {}
    for lbl, found in current_suggestions(conn, migration.migration_uuid, failures, since).items():
        accepted = [s for s in found if s.decision == Decision.ACCEPTED]
        if accepted:
            newest = max(accepted, key=lambda s: (s.decided_at or datetime.min.replace(tzinfo=UTC)))
            fixes[lbl] = newest.suggested_sql
    if fixes and not failures.has_manifest:
        raise VoyagerError(f"no objects.json next to {failures.failed_path}: apply the accepted SQL by hand")
    return len(fixes), apply_fixes(failures.manifest_path, fixes)
