"""Export data: plan chunks once (recorded in the target), then dump them in parallel to the export dir."""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from pydantic import BaseModel

from ..errors import VoyagerError, one_line
from ..export_dir import MIN_FREE_BYTES, ExportDir
from ..phases import Phase
from ..state_store import StateStore
from ..steps import StepContext
from .chunking import plan_chunks
from .progress import ProgressTracker
from .psql_pump import PsqlCopyOut
from .tables import SourceTable, list_source_tables

MAX_CHUNK_BYTES = 256 * 1024 * 1024


class TableExport(BaseModel):
    schema_name: str
    table_name: str
    chunks: int
    rows: int
    method: str
    format: str
    note: str | None = None


@dataclass
class Chunk:
    table: SourceTable
    chunk_id: int
    predicate: str
    file_name: str
    fmt: str


def export_data(ctx: StepContext, jobs: int, rows_per_chunk: int) -> list[TableExport]:
    mig = ctx.migration
    xdir = ctx.export_dir.ensure(owner=str(mig.migration_uuid))
    with ctx.connect_source("voyager-tui-export") as src:
        tables = list_source_tables(src, mig.source_schemas)
        password = src.info.password or None
        methods = _plan_missing(ctx, src, tables, rows_per_chunk)
        src.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_row = src.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(snapshot_row[0]) if snapshot_row else None
        chunks, done, earlier = _pending_chunks(ctx.store, mig.migration_uuid, tables, xdir)
        notes = {}
        for (schema, name), n in earlier.items():
            notes[f"{schema}.{name}"] = (f"exported across more than one snapshot: {n} chunk(s) came from an earlier "
                                         "run, so rows changed in between may be missing or repeated")
            ctx.store.record_event(mig.migration_uuid, "export_resumed_table",
                                   f"Export data: {schema}.{name} resumed; {notes[f'{schema}.{name}']}",
                                   phase=Phase.EXPORT_DATA, data={"schema": schema, "table": name,
                                                                  "earlier_chunks": n})
        tracker = ProgressTracker(lambda: StateStore(ctx.connect_target("voyager-tui-progress")),
                                  mig.migration_uuid, Phase.EXPORT_DATA, reporter=ctx.reporter, verb="exporting")
        for t in tables:
            rows_done, all_done = done.get((t.schema_name, t.table_name), (0, False))
            total = rows_done if all_done else max(t.estimated_rows, rows_done)
            tracker.table(t.schema_name, t.table_name, total=total, done=rows_done,
                          status="COMPLETED" if all_done else "NOT_STARTED")
        tracker.start()
        try:
            _run_jobs(ctx, xdir, chunks, jobs, password, snapshot, tracker)
        finally:
            tracker.stop()
        src.execute("COMMIT")
    return _finish(ctx, tables, methods, notes, tracker)


def _plan_missing(ctx: StepContext, src: Any, tables: list[SourceTable], rows_per_chunk: int) -> dict[str, str]:
    """Plan chunks for tables that have none yet; an existing plan is kept so a resume never overlaps."""
    store, mid = ctx.store, ctx.migration.migration_uuid
    planned = {(s, t) for s, t in store.conn.execute(
        "SELECT DISTINCT schema_name, table_name FROM ybvoyager.export_chunks WHERE migration_uuid = %s",
        (mid,)).fetchall()}
    methods: dict[str, str] = {}
    for table in tables:
        ctx.check_cancelled()
        if (table.schema_name, table.table_name) in planned:
            continue
        plan = plan_chunks(src, table, rows_per_chunk, MAX_CHUNK_BYTES)
        methods[table.qualified] = plan.method
        ext = "bin" if table.copy_format == "binary" else "txt"
        folder = ctx.export_dir.table_dir(table.schema_name, table.table_name).name
        with store.conn.transaction(), store.conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO ybvoyager.export_chunks (migration_uuid, schema_name, table_name, chunk_id, predicate,
                       file_name, format, columns) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                [(mid, table.schema_name, table.table_name, i, pred, f"{folder}/chunk-{i:06d}.{ext}",
                  table.copy_format, [c.name for c in table.columns])
                 for i, pred in enumerate(plan.predicates, start=1)],
            )
        ctx.reporter.progress(f"planned {table.qualified}: {plan.method}")
    return methods


def _pending_chunks(store: StateStore, mid: Any, tables: list[SourceTable], xdir: ExportDir
                    ) -> tuple[list[Chunk], dict[tuple[str, str], tuple[int, bool]], dict[tuple[str, str], int]]:
    """Chunks still to export, rows done per table, and per keyed table the chunks kept from an earlier run."""
    by_name = {(t.schema_name, t.table_name): t for t in tables}
    rows = store.conn.execute(
        """SELECT schema_name, table_name, chunk_id, predicate, file_name, format, status, rows, bytes
           FROM ybvoyager.export_chunks WHERE migration_uuid = %s ORDER BY schema_name, table_name, chunk_id""",
        (mid,)).fetchall()
    kept: dict[tuple[str, str], list[tuple[Chunk, int]]] = {}
    todo: dict[tuple[str, str], list[Chunk]] = {}
    for schema, name, cid, pred, fname, fmt, status, nrows, nbytes in rows:
        table = by_name.get((schema, name))
        if table is None:
            continue
        chunk = Chunk(table=table, chunk_id=cid, predicate=pred, file_name=fname, fmt=fmt)
        path = xdir.data_dir / fname
        if status == "EXPORTED" and path.exists() and path.stat().st_size == nbytes:
            kept.setdefault((schema, name), []).append((chunk, int(nrows)))
        else:
            todo.setdefault((schema, name), []).append(chunk)
    pending: list[Chunk] = []
    done: dict[tuple[str, str], tuple[int, bool]] = {}
    earlier: dict[tuple[str, str], int] = {}
    for key in sorted(set(kept) | set(todo)):
        have, missing = kept.get(key, []), todo.get(key, [])
        if missing and have and missing[0].predicate.startswith("ctid"):
            # Rows move between ctid ranges from one snapshot to the next (updates, vacuum): ranges read in
            # different runs may hold a row twice or not at all, so a partly exported table starts over.
            missing = [c for c, _n in have] + missing
            have = []
        elif missing and have:
            earlier[key] = len(have)
        pending += missing
        done[key] = (sum(n for _c, n in have), not missing)
    # Biggest tables first, so one huge table does not start last and finish alone.
    pending.sort(key=lambda c: -c.table.size_bytes)
    return pending, done, earlier


def _run_jobs(ctx: StepContext, xdir: ExportDir, chunks: list[Chunk], jobs: int, password: str | None,
              snapshot: str | None, tracker: ProgressTracker) -> None:
    work: queue.Queue[Chunk] = queue.Queue()
    for c in chunks:
        work.put(c)
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        pump: PsqlCopyOut | None = None
        store: StateStore | None = None
        try:
            pump = PsqlCopyOut(ctx.source, password, xdir.data_dir, snapshot)
            store = StateStore(ctx.connect_target("voyager-tui-export"))
            while not stop.is_set():
                try:
                    chunk = work.get_nowait()
                except queue.Empty:
                    return
                _export_chunk(ctx, xdir, pump, store, chunk, tracker)
        except BaseException as exc:
            errors.append(exc)
            stop.set()
        finally:
            if pump is not None:
                pump.kill() if stop.is_set() else pump.close()
            if store is not None:
                store.conn.close()

    count = max(1, min(jobs, len(chunks)))
    threads = [threading.Thread(target=worker, name=f"voyager-export-{i}") for i in range(count)]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.2)
            if not stop.is_set():
                try:
                    ctx.check_cancelled()
                except BaseException as exc:
                    errors.append(exc)
                    stop.set()
    finally:
        stop.set()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]


def _export_chunk(ctx: StepContext, xdir: ExportDir, pump: PsqlCopyOut, store: StateStore, chunk: Chunk,
                  tracker: ProgressTracker) -> None:
    table = chunk.table
    final = xdir.data_dir / chunk.file_name
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    # A chunk's file is about as big as its share of the table; keep room for it plus a margin.
    xdir.check_free_space(MIN_FREE_BYTES + int(min(table.size_bytes, MAX_CHUNK_BYTES) * 1.2))
    query = sql.SQL("SELECT {cols} FROM ONLY {t} WHERE {pred}").format(
        cols=table.column_list, t=table.ident, pred=sql.SQL(chunk.predicate)).as_string(store.conn)
    tracker.set_status(table.schema_name, table.table_name, "IN_PROGRESS")
    try:
        rows = pump.copy_to_file(query, str(part.relative_to(xdir.data_dir)), chunk.fmt)
    except VoyagerError as exc:
        part.unlink(missing_ok=True)
        if "No space left on device" in str(exc):
            raise VoyagerError(f"the export dir {xdir.root} is full while exporting {table.qualified}; free space "
                               "and re-run export data: finished chunks are kept") from None
        raise VoyagerError(f"export of {table.qualified} failed: {one_line(exc)}") from None
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())  # the chunk is recorded as exported only once its bytes are on disk
    os.replace(part, final)
    store.conn.execute(
        """UPDATE ybvoyager.export_chunks SET status = 'EXPORTED', rows = %s, bytes = %s, exported_at = now()
           WHERE migration_uuid = %s AND schema_name = %s AND table_name = %s AND chunk_id = %s""",
        (rows, final.stat().st_size, ctx.migration.migration_uuid, table.schema_name, table.table_name,
         chunk.chunk_id))
    tracker.add(table.schema_name, table.table_name, rows)


def _finish(ctx: StepContext, tables: list[SourceTable], methods: dict[str, str], notes: dict[str, str],
            tracker: ProgressTracker) -> list[TableExport]:
    rows = ctx.store.conn.execute(
        """SELECT schema_name, table_name, count(*), coalesce(sum(rows), 0), min(format),
                  bool_and(status = 'EXPORTED')
           FROM ybvoyager.export_chunks WHERE migration_uuid = %s GROUP BY 1, 2 ORDER BY 1, 2""",
        (ctx.migration.migration_uuid,)).fetchall()
    out = []
    final = ProgressTracker(lambda: ctx.store, ctx.migration.migration_uuid, Phase.EXPORT_DATA)
    for schema, name, nchunks, nrows, fmt, complete in rows:
        if not complete:
            raise VoyagerError(f"{schema}.{name} has chunks that were not exported; re-run export data")
        final.table(schema, name, total=int(nrows), done=int(nrows), status="COMPLETED")
        out.append(TableExport(schema_name=schema, table_name=name, chunks=int(nchunks), rows=int(nrows),
                               method=methods.get(f"{schema}.{name}", "planned in an earlier run"), format=fmt,
                               note=notes.get(f"{schema}.{name}")))
    final.flush_now()
    return out
