"""Import schema: apply the exported objects to the target in pg_dump's TOC (dependency) order.

What belongs after the data waits for finalize schema: secondary indexes (and their partition attachments),
foreign keys, CHECK constraints pg_dump adds separately (NOT VALID ones), triggers and rules, and comments on
those. On a PostgreSQL target, primary keys and unique constraints wait too: building them once over the loaded
rows costs far less than maintaining them row by row (docs/migration/4-import-schema.md has the measurements), and
the import ledger, not a key, is what keeps the load exactly-once. On YugabyteDB they stay with their tables: the
primary key is the sharding key and cannot be added later without a rewrite.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import psycopg
from pglast import ast, enums, parse_sql
from pglast.parser import ParseError
from pglast.stream import RawStream
from psycopg import sql

from ..connections import detect_target
from ..errors import VoyagerError, one_line
from ..phases import Phase, PhaseStatus
from ..schema.manifest import SchemaManifest, SchemaObject, load_manifest, write_text_atomic
from ..state_schema import SCHEMA as STATE_SCHEMA
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep
from .export_schema import MANIFEST

FAILED_FILE = "failed.sql"

# What pg_dump's own script sets; search_path is empty because every name in the dump is qualified.
SESSION_SETTINGS: tuple[str, ...] = (
    "SET client_encoding TO 'UTF8'",
    "SELECT pg_catalog.set_config('search_path', '', false)",
    "SET check_function_bodies = false",
    "SET client_min_messages = warning",
    "SET standard_conforming_strings = on",
    "SET xmloption = content",
)

# duplicate_table, duplicate_object, duplicate_function, duplicate_schema, duplicate_column, duplicate_database.
_EXISTS_SQLSTATES = frozenset({"42P07", "42710", "42723", "42P06", "42701", "42P04"})
_CREATE_SCHEMA = re.compile(r"^CREATE SCHEMA (?!IF NOT EXISTS )", re.IGNORECASE)
_ATTACH_INDEX = re.compile(r"^ALTER INDEX .* ATTACH PARTITION ", re.IGNORECASE | re.DOTALL)
_MAYBE_YB_FIX = re.compile(r"\bWITH \(|\bCLUSTER ON\b|\bSET \(", re.IGNORECASE)


class Outcome(StrEnum):
    APPLIED = "applied"
    SKIPPED = "skipped"
    """It already existed in the target."""
    FAILED = "failed"


@dataclass(frozen=True)
class ObjectResult:
    label: str
    outcome: Outcome
    sql: str
    error: str | None = None
    changes: tuple[str, ...] = ()
    """What was changed for the target (e.g. storage parameters dropped for YugabyteDB)."""


@dataclass
class SchemaPlan:
    """The manifest split into what import schema applies now and what finalize schema applies after the data."""

    now: list[SchemaObject] = field(default_factory=list)
    keys: list[SchemaObject] = field(default_factory=list)
    """Primary keys and unique constraints (deferred on PostgreSQL targets only)."""
    indexes: list[SchemaObject] = field(default_factory=list)
    index_attaches: list[SchemaObject] = field(default_factory=list)
    constraints: list[SchemaObject] = field(default_factory=list)
    triggers: list[SchemaObject] = field(default_factory=list)
    comments: list[SchemaObject] = field(default_factory=list)
    materialized_views: list[SchemaObject] = field(default_factory=list)

    @property
    def deferred(self) -> list[SchemaObject]:
        return [*self.keys, *self.indexes, *self.index_attaches, *self.constraints, *self.triggers, *self.comments]


def label(obj: SchemaObject) -> str:
    """The object's name in reports, failed.sql and failed.json; ai convert finds the object by it, so no two
    objects share one. state_store._SCHEMA_FAILURES_SQL builds the same text in SQL: change both together."""
    if obj.type == "OTHER":
        first = obj.sql.strip().splitlines()[0] if obj.sql.strip() else obj.name
        if len(first) <= 90:
            return first
        # Two statements may share a long first line (ALTER TABLE ONLY ... on several constraints).
        digest = hashlib.sha256(obj.sql.strip(" \t\r\n").encode("utf-8")).hexdigest()[:8]
        return f"{first[:77]}... #{digest}"
    if obj.type == "SCHEMA":
        return f"schema {obj.name}"
    if obj.type == "COMMENT":
        # The name alone (`INDEX idx`) is the same for same-named objects of two schemas.
        return f"comment on {obj.qualified_name}"
    return f"{obj.type.lower()} {obj.qualified_name}"


def plan_schema(objects: list[SchemaObject], target_kind: str) -> SchemaPlan:
    plan = SchemaPlan()
    defer_keys = target_kind == "postgresql"
    keys = {id(o): name for o in objects
            if defer_keys and o.type == "CONSTRAINT" and (name := key_constraint_name(o.sql)) is not None}
    deferred_indexes = {(o.schema_name, o.name) for o in objects if o.type == "INDEX" and not _is_attach(o)}
    # A key's index is named like the constraint; partitions' key indexes are attached to it after it exists.
    deferred_indexes |= {(o.schema_name, keys[id(o)]) for o in objects if id(o) in keys}
    deferred_keys: set[tuple[str, ...]] = set()
    for obj in objects:
        if _is_attach(obj):
            parent = attach_parent(obj.sql)
            if parent is None or parent in deferred_indexes:
                plan.index_attaches.append(obj)
            else:
                plan.now.append(obj)
            continue
        if id(obj) in keys:
            plan.keys.append(obj)
        elif obj.type == "INDEX":
            plan.indexes.append(obj)
        elif obj.type == "FK CONSTRAINT" or (obj.type == "CONSTRAINT" and is_check_constraint(obj.sql)):
            plan.constraints.append(obj)
        elif obj.type in ("TRIGGER", "RULE"):
            plan.triggers.append(obj)
        elif obj.type == "COMMENT" and _comment_target(obj.sql) in deferred_keys:
            plan.comments.append(obj)
            continue
        else:
            plan.now.append(obj)
            if obj.type == "MATERIALIZED VIEW":
                plan.materialized_views.append(obj)
            continue
        key = _deferred_key(obj)
        if key is not None:
            deferred_keys.add(key)
    return plan


def _is_attach(obj: SchemaObject) -> bool:
    return obj.type in ("INDEX", "OTHER") and bool(_ATTACH_INDEX.match(obj.sql.lstrip()))


def _deferred_key(obj: SchemaObject) -> tuple[str, ...] | None:
    """What a COMMENT ON names a deferred object by: kind, schema, [table,] name."""
    if obj.type == "INDEX":
        return ("INDEX", obj.schema_name or "", obj.name)
    stmts = _parse_all(obj.sql)
    node = stmts[0] if stmts else None
    if isinstance(node, ast.CreateTrigStmt | ast.RuleStmt) and node.relation is not None:
        kind, name = ("TRIGGER", node.trigname) if isinstance(node, ast.CreateTrigStmt) else ("RULE", node.rulename)
        return (kind, node.relation.schemaname or "", node.relation.relname or "", name or "")
    con = added_constraint(node)
    if con is not None and isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        return ("CONSTRAINT", node.relation.schemaname or "", node.relation.relname or "", con.conname or "")
    return None


_COMMENT_KINDS = {enums.ObjectType.OBJECT_INDEX: "INDEX", enums.ObjectType.OBJECT_TRIGGER: "TRIGGER",
                  enums.ObjectType.OBJECT_RULE: "RULE", enums.ObjectType.OBJECT_TABCONSTRAINT: "CONSTRAINT"}


def _comment_target(text: str) -> tuple[str, ...] | None:
    node = _parse_one(text)
    if not isinstance(node, ast.CommentStmt) or node.objtype not in _COMMENT_KINDS:
        return None
    names: tuple[Any, ...] = node.object if isinstance(node.object, tuple) else ()
    return (_COMMENT_KINDS[node.objtype], *(getattr(n, "sval", "") for n in names))


def _parse_all(text: str) -> list[ast.Node]:
    try:
        return [raw.stmt for raw in parse_sql(text) if raw.stmt is not None]
    except ParseError:
        return []


def _parse_one(text: str) -> ast.Node | None:
    stmts = _parse_all(text)
    return stmts[0] if len(stmts) == 1 else None


def attach_parent(text: str) -> tuple[str | None, str] | None:
    """(schema, index) of `ALTER INDEX parent ATTACH PARTITION child`."""
    node = _parse_one(text)
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None and node.relation.relname:
        return node.relation.schemaname, node.relation.relname
    return None


def is_check_constraint(text: str) -> bool:
    node = _parse_one(text)
    if isinstance(node, ast.AlterDomainStmt):
        return node.subtype == "C"
    con = added_constraint(node)
    return con is not None and con.contype == enums.ConstrType.CONSTR_CHECK


def key_constraint_name(text: str) -> str | None:
    """The name of the primary key or unique constraint `text` adds, or None for anything else."""
    con = added_constraint(_parse_one(text))
    if con is None or con.contype not in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_UNIQUE):
        return None
    return con.conname or ""


def added_constraint(node: ast.Node | None) -> ast.Constraint | None:
    if isinstance(node, ast.AlterTableStmt) and node.cmds and len(node.cmds) == 1:
        cmd = node.cmds[0]
        if cmd.subtype == enums.AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            return cmd.def_
    return None


def parse_added_constraint(text: str) -> tuple[ast.RangeVar, ast.Constraint] | None:
    """The table and constraint of a single `ALTER TABLE ... ADD CONSTRAINT` statement."""
    node = _parse_one(text)
    con = added_constraint(node)
    if con is None or not isinstance(node, ast.AlterTableStmt) or node.relation is None:
        return None
    return node.relation, con


def adapt_for_yugabytedb(text: str) -> tuple[str, list[str]]:
    """Drop what YugabyteDB rejects and has a mechanical fix: storage parameters (`WITH (fillfactor=...)`) on
    tables, indexes, constraints and materialized views, and `ALTER TABLE ... CLUSTER ON`. Statements that need
    no change keep their original text; changed ones are deparsed."""
    if not _MAYBE_YB_FIX.search(text):
        return text, []
    try:
        stmts = parse_sql(text)
    except ParseError:
        return text, []
    out: list[str] = []
    changes: list[str] = []
    for raw in stmts:
        node = raw.stmt
        start = raw.stmt_location or 0
        end = start + raw.stmt_len if raw.stmt_len else len(text)
        original = text[start:end].strip()
        if node is None:
            continue
        found, keep = _strip_yb_unsupported(node)
        changes.extend(found)
        if keep:
            out.append(RawStream()(node) if found else original)
    return "".join(f"{s};\n" for s in out).rstrip("\n"), changes


def _strip_yb_unsupported(node: ast.Node) -> tuple[list[str], bool]:
    """Changes made to `node` in place, and whether anything of the statement is left to run."""
    changes: list[str] = []

    def drop_options(owner: Any, attr: str, what: str) -> None:
        if getattr(owner, attr, None):
            setattr(owner, attr, None)
            changes.append(f"storage parameters removed from {what}")

    if isinstance(node, ast.CreateStmt):
        drop_options(node, "options", "the table")
        for elt in node.tableElts or ():
            if isinstance(elt, ast.Constraint):
                drop_options(elt, "options", f"constraint {elt.conname or ''}".strip())
            elif isinstance(elt, ast.ColumnDef):
                for con in elt.constraints or ():
                    drop_options(con, "options", f"a constraint of column {elt.colname}")
    elif isinstance(node, ast.IndexStmt):
        drop_options(node, "options", "the index")
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None:
        drop_options(node.into, "options", "the materialized view")
    elif isinstance(node, ast.AlterTableStmt) and node.cmds:
        kept = []
        for cmd in node.cmds:
            if cmd.subtype in (enums.AlterTableType.AT_ClusterOn, enums.AlterTableType.AT_SetRelOptions):
                changes.append(f"{'CLUSTER ON' if cmd.subtype == enums.AlterTableType.AT_ClusterOn else 'SET (...)'} "
                               "removed")
                continue
            if isinstance(cmd.def_, ast.Constraint):
                drop_options(cmd.def_, "options", f"constraint {cmd.def_.conname or ''}".strip())
            kept.append(cmd)
        if not kept:
            return changes, False
        node.cmds = tuple(kept)
    return changes, True


def adapt_sql(obj: SchemaObject, target_kind: str) -> tuple[str, list[str]]:
    text = obj.sql
    if obj.type == "SCHEMA":
        # A schema that already exists in the target (public always does) is where we want the objects anyway.
        text = _CREATE_SCHEMA.sub("CREATE SCHEMA IF NOT EXISTS ", text.lstrip(), count=1)
    if target_kind == "yugabytedb":
        return adapt_for_yugabytedb(text)
    return text, []


def prepare_session(conn: psycopg.Connection[Any]) -> None:
    for setting in SESSION_SETTINGS:
        conn.execute(setting)


def already_exists(exc: psycopg.Error) -> bool:
    state = exc.sqlstate or ""
    first = one_line(exc)
    if state in _EXISTS_SQLSTATES:
        return True
    if state == "42P16" and "multiple primary keys" in first:
        return True
    if state == "42809" and "already a partition" in first:
        return True
    return "already exists" in first


def apply_sql(conn: psycopg.Connection[Any], text: str, *, ignore_exist: bool,
              transaction: bool = True) -> tuple[Outcome, str | None]:
    """Run one object's SQL (possibly several statements) in its own transaction."""
    if not text.strip():
        return Outcome.APPLIED, None
    try:
        if transaction:
            with conn.transaction():
                conn.execute(text)
        else:
            conn.execute(text)
    except psycopg.Error as exc:
        if conn.broken or conn.closed:
            raise VoyagerError(f"lost the connection to the target: {one_line(exc)}") from None
        if ignore_exist and already_exists(exc):
            return Outcome.SKIPPED, one_line(exc)
        return Outcome.FAILED, one_line(exc)
    return Outcome.APPLIED, None


def apply_object(conn: psycopg.Connection[Any], obj: SchemaObject, target_kind: str, *, ignore_exist: bool,
                 transaction: bool = True) -> ObjectResult:
    text, changes = adapt_sql(obj, target_kind)
    outcome, error = apply_sql(conn, text, ignore_exist=ignore_exist, transaction=transaction)
    return ObjectResult(label(obj), outcome, text, error, tuple(changes))


def failures_sidecar(path: Path) -> Path:
    """failed.json beside failed.sql: the same failures for programs (ai convert), since SQL that itself holds a
    line starting with `-- ERROR: ` cannot be told apart from failed.sql's own comments."""
    return path.with_suffix(".json")


def write_failures(path: Path, results: list[ObjectResult]) -> None:
    """Each failed object's SQL under a `-- ERROR:` comment, so a user can fix the file and run it, and the same as
    JSON in failures_sidecar(path); no failures removes a previous run's files."""
    failed = [r for r in results if r.outcome == Outcome.FAILED]
    sidecar = failures_sidecar(path)
    # Gone first, so that a run that dies half-way never leaves a sidecar of older failures beside a newer file.
    sidecar.unlink(missing_ok=True)
    if not failed:
        path.unlink(missing_ok=True)
        return
    write_text_atomic(path, "".join(f"-- ERROR: {r.error}\n-- {r.label}\n{r.sql.rstrip()}\n\n" for r in failed))
    entries = [{"label": r.label, "error": r.error, "sql": r.sql.rstrip()} for r in failed]
    write_text_atomic(sidecar, json.dumps({"version": 1, "failed": entries}, ensure_ascii=False, indent=1) + "\n")


def results_report(results: list[ObjectResult]) -> dict[str, Any]:
    return {
        "applied": [r.label for r in results if r.outcome == Outcome.APPLIED],
        "skipped": [{"object": r.label, "reason": r.error} for r in results if r.outcome == Outcome.SKIPPED],
        "failed": [{"object": r.label, "error": r.error} for r in results if r.outcome == Outcome.FAILED],
        "adapted": [{"object": r.label, "changes": list(r.changes)} for r in results if r.changes],
    }


def load_export_manifest(ctx: StepContext) -> tuple[Path, SchemaManifest]:
    schema_dir = ctx.export_dir.require().schema_dir
    return schema_dir, load_manifest(schema_dir / MANIFEST)


def migrated_schemas(ctx: StepContext) -> list[str]:
    schemas = sorted(set(ctx.migration.source_schemas))
    if STATE_SCHEMA in schemas:
        raise VoyagerError(f"schema {STATE_SCHEMA} holds voyager-tui's own state and cannot be migrated")
    return schemas


class ImportSchemaStep(PostgresStep):
    phase = Phase.IMPORT_SCHEMA
    options: tuple[StepOption, ...] = (
        StepOption("continue-on-error", bool, False,
                   "complete the step even when some objects fail (they are listed in schema/failed.sql)"),
        StepOption("ignore-exist", bool, True,
                   "count objects that already exist in the target as done, so re-runs are idempotent"),
        StepOption("start-clean", bool, False,
                   "first drop the objects of the migrated schemas in the target (never schema ybvoyager)"),
    )

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        schema_dir, manifest = load_export_manifest(ctx)
        schemas = migrated_schemas(ctx)
        ignore_exist = bool(ctx.options.get("ignore_exist", True))
        continue_on_error = bool(ctx.options.get("continue_on_error", False))
        dropped: list[str] = []
        results: list[ObjectResult] = []
        with ctx.connect_target("voyager-tui-import-schema") as conn:
            target = detect_target(conn)
            plan = plan_schema(manifest.objects, target.kind)
            total = len(plan.now)
            prepare_session(conn)
            if ctx.options.get("start_clean"):
                self._refuse_clean_after_data(ctx)
                dropped = drop_migrated_objects(conn, schemas, ctx)
            for i, obj in enumerate(plan.now):
                ctx.check_cancelled()
                ctx.reporter.progress(f"creating {label(obj)}", i, total)
                results.append(apply_object(conn, obj, target.kind, ignore_exist=ignore_exist))
        ctx.reporter.progress("schema imported", total, total)

        failed_path = schema_dir / FAILED_FILE
        write_failures(failed_path, results)
        failed = [r for r in results if r.outcome == Outcome.FAILED]
        skipped = sum(r.outcome == Outcome.SKIPPED for r in results)
        report = results_report(results) | {
            "target": target.short,
            "dropped": dropped,
            "deferred": [label(o) for o in plan.deferred],
            "failed_file": str(failed_path) if failed else None,
        }
        ctx.store.save_report(ctx.migration.migration_uuid, "schema_import", report)
        if failed and not continue_on_error:
            raise VoyagerError(f"{len(failed)} of {total} objects failed; see {failed_path}")
        parts = [f"{skipped} already existed"] if skipped else []
        if failed:
            parts.append(f"{len(failed)} failed, see {failed_path}")
        parts.append(f"{len(plan.deferred)} deferred to finalize schema")
        summary = f"imported {total - len(failed)} of {total} objects into {target.short} ({'; '.join(parts)})"
        return {"applied": total - skipped - len(failed), "skipped": skipped, "failed": len(failed),
                "deferred": len(plan.deferred), "summary": summary}

    def _refuse_clean_after_data(self, ctx: StepContext) -> None:
        status = ctx.store.snapshot(ctx.migration.migration_uuid).statuses.get(Phase.IMPORT_DATA)
        if status not in (None, PhaseStatus.NOT_STARTED, PhaseStatus.SKIPPED):
            raise VoyagerError(f"start-clean would drop tables import data has already written to (import data is "
                               f"{status}); drop the target's migrated schemas yourself if you mean to start over")


_OUTSIDE_DEPENDENTS = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = ANY(%(schemas)s)),
refs AS (
    SELECT 'pg_class'::regclass AS cls, oid FROM pg_class WHERE relnamespace IN (SELECT oid FROM ns)
    UNION ALL SELECT 'pg_type'::regclass, oid FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)
    UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns))
SELECT DISTINCT dep.type || ' ' || dep.identity
FROM pg_depend d
JOIN refs ON d.refclassid = refs.cls AND d.refobjid = refs.oid
-- Rules, triggers and defaults are named by their table or view, which is what a user recognises.
CROSS JOIN LATERAL (SELECT CASE d.classid
    WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
    WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
    WHEN 'pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_attrdef WHERE oid = d.objid)
    END AS rel) via
CROSS JOIN LATERAL (SELECT COALESCE(via.rel, d.objid) AS oid,
                           CASE WHEN via.rel IS NULL THEN d.classid ELSE 'pg_class'::regclass END AS cls) obj
CROSS JOIN LATERAL (SELECT CASE obj.cls
    WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = obj.oid)
    WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = obj.oid)
    WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = obj.oid)
    WHEN 'pg_constraint'::regclass THEN (SELECT connamespace FROM pg_constraint WHERE oid = obj.oid)
    END AS nsp) owner
CROSS JOIN LATERAL pg_identify_object(obj.cls, obj.oid, 0) dep
WHERE d.deptype IN ('n', 'a') AND owner.nsp IS NOT NULL AND owner.nsp NOT IN (SELECT oid FROM ns)
ORDER BY 1 LIMIT 6
"""

# Objects voyager-tui creates from a dump; an extension's own members go with the extension, so they are left.
_NOT_EXTENSION_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = {cat}::regclass
                                       AND e.objid = {oid} AND e.deptype = 'e')"""
_DROPPABLE = {
    "relations": f"""
        SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                              WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname, NULL
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition
          AND {_NOT_EXTENSION_MEMBER.format(cat="'pg_class'", oid="c.oid")}
        ORDER BY c.relkind = 'S', c.relname""",
    "routines": f"""
        SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, p.proname,
               pg_catalog.pg_get_function_identity_arguments(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s AND {_NOT_EXTENSION_MEMBER.format(cat="'pg_proc'", oid="p.oid")}
        ORDER BY p.proname""",
    "types": f"""
        SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.typname, NULL
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        LEFT JOIN pg_class c ON c.oid = t.typrelid
        WHERE n.nspname = %s AND t.typtype IN ('e', 'd', 'r', 'c')
          AND (t.typtype <> 'c' OR c.relkind = 'c')
          AND {_NOT_EXTENSION_MEMBER.format(cat="'pg_type'", oid="t.oid")}
        ORDER BY t.typname""",
}


def drop_migrated_objects(conn: psycopg.Connection[Any], schemas: list[str], ctx: StepContext) -> list[str]:
    """Drop tables, views, sequences, routines and types of the migrated schemas in the target (the schemas
    themselves stay). Refuses when an object outside those schemas depends on them, since CASCADE would take
    it too."""
    outside = [str(r[0]) for r in conn.execute(_OUTSIDE_DEPENDENTS, {"schemas": schemas}).fetchall()]
    if outside:
        raise VoyagerError("start-clean would also drop objects outside the migrated schemas: "
                           f"{', '.join(outside[:5])}{' ...' if len(outside) > 5 else ''}; drop or move them first")
    dropped: list[str] = []
    for schema in schemas:
        for query in _DROPPABLE.values():
            for kind, name, args in conn.execute(query, (schema,)).fetchall():
                ctx.check_cancelled()
                target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
                if args is not None:
                    target = sql.SQL("{}({})").format(target, sql.SQL(args))
                stmt = sql.SQL("DROP {} IF EXISTS {} CASCADE").format(sql.SQL(kind), target)
                ctx.reporter.progress(f"start-clean: dropping {kind.lower()} {schema}.{name}")
                try:
                    with conn.transaction():
                        conn.execute(stmt)
                except psycopg.Error as exc:
                    raise VoyagerError(f"start-clean could not drop {kind.lower()} {schema}.{name}: "
                                       f"{one_line(exc)}") from None
                dropped.append(f"{kind.lower()} {schema}.{name}")
    return dropped


register_step(ImportSchemaStep())
