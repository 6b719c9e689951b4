"""Finalize schema: after the data is in, apply what import schema deferred, restore sequences and refresh
materialized views.

Order: secondary indexes (built by several connections at once), their partition attachments, constraints,
triggers and rules, comments on those; then sequences and materialized views. Every part is idempotent, so a
re-run after fixing a failure only does what is left.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from pglast import ast
from psycopg import sql

from ..connections import connect_pg, detect_target
from ..errors import ConnectionFailed, VoyagerError, one_line
from ..phases import Phase
from ..schema.manifest import SchemaObject
from ..secrets import DbRole
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep
from .import_schema import (
    ObjectResult,
    Outcome,
    apply_object,
    apply_sql,
    label,
    load_export_manifest,
    migrated_schemas,
    parse_added_constraint,
    plan_schema,
    prepare_session,
    results_report,
    write_failures,
)

FAILED_FILE = "failed_finalize.sql"
_DONE = object()

_SEQUENCES = """
SELECT c.oid, n.nspname, c.relname, s.seqincrement, tn.nspname, t.relname, a.attname, a.atttypid::regtype::text
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                     AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND n.nspname = ANY(%s)
ORDER BY n.nspname, c.relname
"""


@dataclass(frozen=True)
class SequenceValue:
    """A sequence position as setval takes it: the next nextval() returns value + increment if is_called,
    else value."""

    value: int
    is_called: bool

    def next_value(self, increment: int) -> int:
        return self.value + increment if self.is_called else self.value


def choose_sequence_value(increment: int, candidates: list[SequenceValue]) -> SequenceValue:
    """The candidate whose next nextval() is furthest along in the sequence's direction, so a restore never moves
    a sequence back and never hands out a value already used by the source or present in the target."""
    if increment > 0:
        return max(candidates, key=lambda c: (c.next_value(increment), c.is_called))
    return min(candidates, key=lambda c: (c.next_value(increment), not c.is_called))


class FinalizeSchemaStep(PostgresStep):
    phase = Phase.FINALIZE_SCHEMA
    options: tuple[StepOption, ...] = (
        StepOption("parallel-jobs", int, 2, "how many indexes to build at once (one target connection each)"),
        StepOption("maintenance-work-mem", str, "1GB",
                   "sort memory of each index-building connection (PostgreSQL's maintenance_work_mem)"),
        StepOption("continue-on-error", bool, False,
                   "complete the step even when some objects fail (they are listed in schema/failed_finalize.sql)"),
    )

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        schema_dir, manifest = load_export_manifest(ctx)
        schemas = migrated_schemas(ctx)
        jobs = max(1, int(ctx.options.get("parallel_jobs") or 2))
        work_mem = str(ctx.options.get("maintenance_work_mem") or "1GB")
        continue_on_error = bool(ctx.options.get("continue_on_error", False))
        results: list[ObjectResult] = []
        refreshed: list[str] = []
        with ctx.connect_target("voyager-tui-finalize-schema") as conn:
            target = detect_target(conn)
            plan = plan_schema(manifest.objects, target.kind)
            prepare_session(conn)
            try:
                conn.execute("SELECT set_config('maintenance_work_mem', %s, false)", (work_mem,))
            except psycopg.Error as exc:
                raise VoyagerError(f"--maintenance-work-mem {work_mem}: {one_line(exc)}") from None
            # Keys first: foreign keys need them, and on one table a key and an index build would queue on locks.
            for what, objects in (("primary keys and unique constraints", plan.keys), ("indexes", plan.indexes)):
                if objects:
                    ctx.reporter.progress(f"building {len(objects)} {what} with up to {jobs} connections")
                    results += self._build_indexes(ctx, conn, objects, jobs, target.kind, work_mem)
            for obj in plan.index_attaches:
                results.append(self._one(ctx, conn, obj, target.kind))
            for i, obj in enumerate(plan.constraints):
                ctx.check_cancelled()
                ctx.reporter.progress(f"adding {label(obj)}", i, len(plan.constraints))
                results.append(add_constraint(conn, obj, target.kind))
            for obj in [*plan.triggers, *plan.comments]:
                results.append(self._one(ctx, conn, obj, target.kind))
            restored, seq_failures = restore_sequences(ctx, conn, schemas)
            results += seq_failures
            for obj in plan.materialized_views:
                ctx.check_cancelled()
                stmt = sql.SQL("REFRESH MATERIALIZED VIEW {}").format(_identifier(obj.schema_name, obj.name)) \
                    .as_string(conn)
                ctx.reporter.progress(f"refreshing materialized view {obj.qualified_name}")
                outcome, error = apply_sql(conn, stmt, ignore_exist=False)
                results.append(ObjectResult(f"refresh {label(obj)}", outcome, stmt, error))
                if outcome == Outcome.APPLIED:
                    refreshed.append(obj.qualified_name)
            analyzed = self._analyze(ctx, conn)

        failed_path = schema_dir / FAILED_FILE
        write_failures(failed_path, results)
        failed = [r for r in results if r.outcome == Outcome.FAILED]
        total = len(plan.deferred) + len(plan.materialized_views)
        report = results_report(results) | {
            "target": target.short,
            "sequences_restored": restored,
            "materialized_views_refreshed": refreshed,
            "tables_analyzed": analyzed,
            "failed_file": str(failed_path) if failed else None,
        }
        ctx.store.save_report(ctx.migration.migration_uuid, "schema_finalize", report)
        if failed and not continue_on_error:
            raise VoyagerError(f"{len(failed)} of {total + len(restored)} objects failed; see {failed_path}")
        done = sum(r.outcome != Outcome.FAILED for r in results)
        summary = (f"finalized {done} objects ({len(plan.keys)} keys, {len(plan.indexes)} indexes, "
                   f"{len(plan.constraints)} constraints, "
                   f"{len(plan.triggers)} triggers/rules), restored {len(restored)} sequences, refreshed "
                   f"{len(refreshed)} materialized views" + (f"; {len(failed)} failed, see {failed_path}"
                                                             if failed else ""))
        return {"sequences_restored": restored, "failed": len(failed), "summary": summary}

    def _analyze(self, ctx: StepContext, conn: psycopg.Connection[Any]) -> int:
        """Fresh planner statistics, so the application's first queries after cutover get good plans. A failure
        (e.g. a table dropped meanwhile) only costs the statistics, never the step."""
        tables = conn.execute("SELECT DISTINCT schema_name, table_name FROM ybvoyager.export_chunks "
                              "WHERE migration_uuid = %s ORDER BY 1, 2", (ctx.migration.migration_uuid,)).fetchall()
        done = 0
        for i, (schema, table) in enumerate(tables):
            ctx.check_cancelled()
            ctx.reporter.progress(f"analyzing {schema}.{table}", i, len(tables))
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("ANALYZE {}").format(_identifier(schema, table)))
                done += 1
            except psycopg.Error as exc:
                ctx.reporter.progress(f"could not analyze {schema}.{table}: {one_line(exc)}")
        return done

    def _one(self, ctx: StepContext, conn: psycopg.Connection[Any], obj: SchemaObject, kind: str) -> ObjectResult:
        ctx.check_cancelled()
        ctx.reporter.progress(f"creating {label(obj)}")
        return apply_object(conn, obj, kind, ignore_exist=True)

    def _build_indexes(self, ctx: StepContext, conn: psycopg.Connection[Any], indexes: list[SchemaObject],
                       jobs: int, kind: str, work_mem: str) -> list[ObjectResult]:
        """Build indexes on up to `jobs` connections; progress is reported from this thread only."""
        if not indexes:
            return []
        todo: queue.SimpleQueue[SchemaObject] = queue.SimpleQueue()
        for obj in indexes:
            todo.put(obj)
        done: queue.SimpleQueue[object] = queue.SimpleQueue()
        stop = threading.Event()
        # Workers reuse the password that opened the main connection, so nobody is prompted again.
        password = ctx.target_password or conn.info.password or None
        worker_conns: list[psycopg.Connection[Any]] = []
        lock = threading.Lock()

        def work() -> None:
            try:
                with connect_pg(ctx.target, DbRole.TARGET, password=password,
                                application_name="voyager-tui-finalize-index") as wconn:
                    with lock:
                        worker_conns.append(wconn)
                    prepare_session(wconn)
                    # An index whose keys sort in memory builds several times faster than one that spills to disk.
                    wconn.execute("SELECT set_config('maintenance_work_mem', %s, false)", (work_mem,))
                    while not stop.is_set():
                        try:
                            obj = todo.get_nowait()
                        except queue.Empty:
                            break
                        # YugabyteDB builds an index on a non-empty table online only outside a transaction block.
                        done.put(apply_object(wconn, obj, kind, ignore_exist=True,
                                              transaction=kind != "yugabytedb"))
            except BaseException as exc:
                done.put(exc)
            finally:
                done.put(_DONE)

        n = min(jobs, len(indexes))
        threads = [threading.Thread(target=work, name=f"finalize-index-{i}", daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        results: list[ObjectResult] = []
        error: BaseException | None = None
        running = n
        while running:
            try:
                item = done.get(timeout=0.5)
            except queue.Empty:
                item = None
            if (ctx.cancel.is_set() or ctx.lease_lost.is_set()) and not stop.is_set():
                stop.set()
                with lock:
                    for wc in worker_conns:
                        # Interrupts a long index build; the worker then sees `stop` and ends.
                        wc.cancel_safe(timeout=5)
            if item is None:
                continue
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                stop.set()
                error = error or item
            elif isinstance(item, ObjectResult):
                results.append(item)
                ctx.reporter.progress(f"built {item.label}", len(results), len(indexes))
        for t in threads:
            t.join()
        ctx.check_cancelled()
        if error is not None:
            if isinstance(error, ConnectionFailed | VoyagerError):
                raise error
            raise VoyagerError(f"building indexes failed: {one_line(error)}") from error
        return results


def add_constraint(conn: psycopg.Connection[Any], obj: SchemaObject, kind: str) -> ObjectResult:
    """On PostgreSQL, a constraint the source had validated is added NOT VALID and then validated: the long scan
    runs under a lock that lets reads and writes go on, and a validation failure leaves the constraint in place
    for a re-run. YugabyteDB has no VALIDATE CONSTRAINT (yugabyte-db#3946), so there it is added as it was."""
    parsed = parse_added_constraint(obj.sql)
    if (kind == "yugabytedb" or parsed is None or parsed[1].skip_validation or not parsed[1].conname
            or _partitioned(conn, parsed[0])):
        return apply_object(conn, obj, kind, ignore_exist=True)
    relation, con = parsed
    text = obj.sql.rstrip().removesuffix(";").rstrip() + " NOT VALID;"
    added, error = apply_sql(conn, text, ignore_exist=True)
    if added == Outcome.FAILED:
        return ObjectResult(label(obj), added, text, error)
    validate = sql.SQL("ALTER TABLE {only}{table} VALIDATE CONSTRAINT {name}").format(
        only=sql.SQL("" if relation.inh else "ONLY "),
        table=_identifier(relation.schemaname, relation.relname),
        name=sql.Identifier(con.conname or ""),
    ).as_string(conn)
    validated, error = apply_sql(conn, validate, ignore_exist=False)
    if validated == Outcome.FAILED:
        return ObjectResult(f"validate {label(obj)}", validated, validate, error)
    return ObjectResult(label(obj), added, text, None)


def _identifier(schema: str | None, name: str | None) -> sql.Identifier:
    return sql.Identifier(schema, name or "") if schema else sql.Identifier(name or "")


def _partitioned(conn: psycopg.Connection[Any], rel: ast.RangeVar) -> bool:
    # PostgreSQL before 18 refuses NOT VALID foreign keys on partitioned tables.
    row = conn.execute(
        """SELECT c.relkind = 'p' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relname = %s""",
        (rel.schemaname or "public", rel.relname),
    ).fetchone()
    return bool(row and row[0])


def restore_sequences(ctx: StepContext, conn: psycopg.Connection[Any],
                      schemas: list[str]) -> tuple[list[dict[str, Any]], list[ObjectResult]]:
    """Set each sequence of the migrated schemas so its next value is past both the source's sequence and the
    values already in its owning column in the target."""
    rows = conn.execute(_SEQUENCES, (schemas,)).fetchall()
    if not rows:
        return [], []
    failures: list[ObjectResult] = []
    source_values: dict[tuple[str, str], SequenceValue | None] = {}
    try:
        with ctx.connect_source("voyager-tui-finalize-schema") as src:
            for _, schema, name, *_rest in rows:
                try:
                    got = src.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(
                        sql.Identifier(schema, name))).fetchone()
                except psycopg.errors.UndefinedTable:
                    got = None
                source_values[(schema, name)] = SequenceValue(int(got[0]), bool(got[1])) if got else None
    except (ConnectionFailed, psycopg.Error) as exc:
        # Values in the target are still worth restoring; the failure makes the step fail unless told otherwise.
        failures.append(ObjectResult("sequence values from the source", Outcome.FAILED,
                                     "-- read each sequence's last_value and is_called in the source", one_line(exc)))
    restored: list[dict[str, Any]] = []
    for oid, schema, name, increment, tschema, table, column, _coltype in rows:
        ctx.check_cancelled()
        qualified = f"{schema}.{name}"
        ctx.reporter.progress(f"restoring sequence {qualified}")
        try:
            current = conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(
                sql.Identifier(schema, name))).fetchone()
            assert current is not None
            candidates = [SequenceValue(int(current[0]), bool(current[1]))]
            src_value = source_values.get((schema, name))
            if src_value is not None:
                candidates.append(src_value)
            column_extreme = None
            if column is not None:
                agg = sql.SQL("max" if increment > 0 else "min")
                got = conn.execute(sql.SQL("SELECT {}({}) FROM {}").format(
                    agg, sql.Identifier(column), sql.Identifier(tschema, table))).fetchone()
                if got and got[0] is not None:
                    column_extreme = int(got[0])
                    candidates.append(SequenceValue(column_extreme, True))
            chosen = choose_sequence_value(int(increment), candidates)
            with conn.transaction():
                conn.execute("SELECT pg_catalog.setval(%s::oid::regclass, %s, %s)",
                             (oid, chosen.value, chosen.is_called))
        except (psycopg.Error, ValueError) as exc:
            if conn.broken:
                raise VoyagerError(f"lost the connection to the target: {one_line(exc)}") from None
            failures.append(ObjectResult(f"sequence {qualified}", Outcome.FAILED,
                                         f"-- setval of sequence {qualified}", one_line(exc)))
            continue
        restored.append({"sequence": qualified, "last_value": chosen.value, "is_called": chosen.is_called,
                         "source": None if src_value is None else src_value.value,
                         "column_max": column_extreme})
    return restored, failures


register_step(FinalizeSchemaStep())
