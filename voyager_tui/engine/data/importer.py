"""Import data: load exported chunks into the target, each exactly once, in parallel.

Every chunk is one transaction: COPY its rows, then insert its row in ybvoyager.import_batches. The
ledger's primary key makes a second commit of the same chunk impossible (a concurrent importer's
attempt fails and rolls back its rows), and a crash before the commit leaves neither rows nor ledger
row, so a re-run simply loads the chunk again.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from pydantic import BaseModel

from .. import run_controls
from ..errors import VoyagerError, one_line
from ..export_dir import ExportDir
from ..models import RunnerState
from ..phases import Phase, PhaseStatus
from ..state_store import StateStore
from ..steps import StepContext
from .copy_rows import split_rows
from .progress import ProgressTracker
from .psql_pump import SESSION_SETTINGS

ErrorPolicy = Literal["abort", "stash-and-continue"]
READ_BLOCK = 1 << 20
# Errors caused by a row's content: the row can be set aside; anything else stops the import.
_ROW_ERRORS = (pg_errors.DataError, pg_errors.IntegrityError)
_LINE = re.compile(r"COPY [^,]+, line (\d+)")
# How often the dispatcher looks for a parallelism change requested with `ai troubleshoot`.
CONTROL_POLL_INTERVAL = 1.0


class TableImport(BaseModel):
    schema_name: str
    table_name: str
    rows: int
    errored_rows: int
    chunks: int


@dataclass(frozen=True)
class Chunk:
    schema_name: str
    table_name: str
    chunk_id: int
    file_name: str
    fmt: str
    columns: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema_name}.{self.table_name}"


def import_data(ctx: StepContext, jobs: int, policy: ErrorPolicy, truncate_tables: bool,
                start_clean: bool) -> list[TableImport]:
    xdir = ctx.export_dir.require()
    mid = ctx.migration.migration_uuid
    store = ctx.store
    if start_clean:
        _start_clean(ctx)
    _guard_non_empty_targets(ctx, truncate_tables)
    tracker = ProgressTracker(lambda: StateStore(ctx.connect_target("voyager-tui-progress")), mid, Phase.IMPORT_DATA,
                              reporter=ctx.reporter, verb="importing")
    _track_new_tables(store, mid, tracker)
    tracker.start()
    try:
        _run(ctx, xdir, jobs, policy, tracker)
    finally:
        tracker.stop()
    return _summary(ctx, tracker)


def _track_new_tables(store: StateStore, mid: Any, tracker: ProgressTracker) -> None:
    """Count the tables whose chunks are planned and the tracker does not know yet, from where the ledger stands;
    the total is export data's estimate, unknown until the exporter has written it."""
    for schema, name, total, done, errored, complete in store.conn.execute(
            """SELECT c.schema_name, c.table_name,
                      (SELECT total_rows FROM ybvoyager.table_progress p
                       WHERE p.migration_uuid = c.migration_uuid AND p.schema_name = c.schema_name
                         AND p.table_name = c.table_name AND p.phase = 'export_data'),
                      coalesce(sum(b.rows), 0), coalesce(sum(b.errored_rows), 0),
                      count(*) = count(b.chunk_id)
               FROM ybvoyager.export_chunks c LEFT JOIN ybvoyager.import_batches b USING (migration_uuid, schema_name,
                    table_name, chunk_id)
               WHERE c.migration_uuid = %s GROUP BY c.migration_uuid, 1, 2 ORDER BY 1, 2""", (mid,)).fetchall():
        if tracker.knows(schema, name):
            continue
        tracker.table(schema, name, total=None if total is None else int(total), done=int(done),
                      errored=int(errored),
                      status="COMPLETED" if complete and done else ("IN_PROGRESS" if done else "NOT_STARTED"))


def _start_clean(ctx: StepContext) -> None:
    tables = _tables(ctx.store, ctx.migration.migration_uuid)
    if tables:
        ctx.store.conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(_ident(s, t) for s, t in tables)))
    ctx.store.conn.execute("DELETE FROM ybvoyager.import_batches WHERE migration_uuid = %s",
                           (ctx.migration.migration_uuid,))
    ctx.store.conn.execute("DELETE FROM ybvoyager.table_progress WHERE migration_uuid = %s AND phase = 'import_data'",
                           (ctx.migration.migration_uuid,))
    ctx.store.record_event(ctx.migration.migration_uuid, "import_start_clean",
                           f"Import data restarted clean: truncated {len(tables)} table(s)", phase=Phase.IMPORT_DATA)


def _guard_non_empty_targets(ctx: StepContext, truncate: bool) -> None:
    """Tables this migration has not loaded yet must be empty, or rows would be duplicated."""
    mid = ctx.migration.migration_uuid
    loaded = {(s, t) for s, t in ctx.store.conn.execute(
        "SELECT DISTINCT schema_name, table_name FROM ybvoyager.import_batches WHERE migration_uuid = %s",
        (mid,)).fetchall()}
    untouched = [st for st in _tables(ctx.store, mid) if st not in loaded]
    full = []
    for schema, table in untouched:
        try:
            row = ctx.store.conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(_ident(schema, table)))
        except pg_errors.UndefinedTable:
            raise VoyagerError(f"table {schema}.{table} does not exist in the target: run import schema first "
                               "(or fix it and re-run)") from None
        if row.fetchone() == (True,):
            full.append((schema, table))
    if not full:
        return
    names = ", ".join(f"{s}.{t}" for s, t in full[:5]) + (f" and {len(full) - 5} more" if len(full) > 5 else "")
    if not truncate:
        raise VoyagerError(f"target tables already hold rows: {names}; re-run with --truncate-tables to empty "
                           "them first, or --start-clean to restart the whole import")
    ctx.store.conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(_ident(s, t) for s, t in full)))
    ctx.store.record_event(mid, "import_truncated", f"Truncated target tables before import: {names}",
                           phase=Phase.IMPORT_DATA)


def _tables(store: StateStore, mid: Any) -> list[tuple[str, str]]:
    return [(s, t) for s, t in store.conn.execute(
        "SELECT DISTINCT schema_name, table_name FROM ybvoyager.export_chunks WHERE migration_uuid = %s ORDER BY 1, 2",
        (mid,)).fetchall()]


def _ident(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


class _Pool:
    """Worker threads over one queue, resizable while they run.

    Shrinking asks the surplus workers to stop before their next chunk: a chunk already taken is always
    finished (or rolled back as a whole), so the exactly-once ledger never sees half a chunk.
    """

    def __init__(self, work: Callable[[threading.Event], None]) -> None:
        self._work = work
        self._workers: list[tuple[threading.Thread, threading.Event]] = []

    @property
    def size(self) -> int:
        return len(self._active())

    def resize(self, jobs: int) -> None:
        active = self._active()
        for _thread, retire in active[jobs:]:
            retire.set()
        for _ in range(jobs - len(active)):
            retire = threading.Event()
            thread = threading.Thread(target=self._work, args=(retire,), name=f"voyager-import-{len(self._workers)}")
            self._workers.append((thread, retire))
            thread.start()

    def alive(self) -> bool:
        return any(t.is_alive() for t, _ in self._workers)

    def join(self) -> None:
        for t, _ in self._workers:
            t.join()

    def _active(self) -> list[tuple[threading.Thread, threading.Event]]:
        return [(t, r) for t, r in self._workers if not r.is_set() and t.is_alive()]


def _run(ctx: StepContext, xdir: ExportDir, jobs: int, policy: ErrorPolicy, tracker: ProgressTracker) -> None:
    work: queue.Queue[Chunk] = queue.Queue()
    errors: list[BaseException] = []
    stop = threading.Event()
    all_queued = threading.Event()  # no chunk will be added: a worker that finds the queue empty is done
    not_started: list[BaseException] = []  # jobs that could not connect; fatal only when no job is left
    importer = f"{socket.gethostname()}"

    def worker(retire: threading.Event) -> None:
        conn: psycopg.Connection[Any] | None = None
        try:
            conn = ctx.connect_target("voyager-tui-import")
            for name, value in SESSION_SETTINGS.items():
                conn.execute(sql.SQL("SELECT set_config({}, {}, false)").format(sql.Literal(name), sql.Literal(value)))
            # Safe for exactly-once: rows and their ledger row are lost or kept together.
            conn.execute("SET synchronous_commit = off")
            while not stop.is_set() and not retire.is_set():
                try:
                    chunk = work.get(timeout=0.2)
                except queue.Empty:
                    # Both checks: a chunk put just after this get timed out must still be taken.
                    if all_queued.is_set() and work.empty():
                        return
                    continue
                rows, errored = _load_chunk(ctx, conn, xdir, chunk, policy, importer)
                if rows or errored:
                    tracker.add(chunk.schema_name, chunk.table_name, rows, errored)
        except BaseException as exc:
            if conn is None and not stop.is_set():
                not_started.append(exc)  # e.g. the target's connection limit after `ai troubleshoot` asked for more
            else:
                errors.append(exc)
                stop.set()
        finally:
            if conn is not None:
                conn.close()

    mid = ctx.migration.migration_uuid
    pool = _Pool(worker)
    queued: set[tuple[str, str, int]] = set()
    stalled = False
    try:
        jobs = _start_jobs(ctx, max(1, jobs))
        pool.resize(jobs)
        polled = time.monotonic()
        while not stop.is_set():
            ctx.check_cancelled()
            if time.monotonic() - polled >= CONTROL_POLL_INTERVAL:
                polled = time.monotonic()
                _apply_control(ctx, pool)
            while not_started:
                failure = not_started.pop(0)
                if not pool.alive():
                    raise failure
                ctx.store.record_event(mid, "import_job_not_started",
                                       f"Import data: a job could not connect ({one_line(failure)}); "
                                       f"running with {pool.size} parallel job(s)", phase=Phase.IMPORT_DATA)
            if not all_queued.is_set():
                # Read the exporter's state before the chunk list: once it says done, every chunk is listed.
                export = _export_state(ctx.store, mid)
                new = _ready_chunks(ctx.store, mid, queued)
                if any(not tracker.knows(c.schema_name, c.table_name) for c in new):
                    _track_new_tables(ctx.store, mid, tracker)  # planned after the import started
                for c in new:
                    queued.add((c.schema_name, c.table_name, c.chunk_id))
                    work.put(c)
                if new:
                    continue
                if export == "stopped":
                    stalled = True  # load what was exported, then say why the import is not complete
                if export != "running":
                    all_queued.set()
            elif not pool.alive():
                break
            # Waiting for the exporter's next chunks or for the workers to drain the queue; the loop keeps
            # running so that a parallelism change is picked up meanwhile.
            stop.wait(0.1)
    except BaseException as exc:
        errors.append(exc)
        stop.set()
    finally:
        all_queued.set()
        pool.join()
    if errors:
        raise errors[0]
    if not work.empty():  # every job ended before the queue did (they could not connect, or a race lost them)
        raise not_started[-1] if not_started else VoyagerError(
            f"import data stopped with {work.qsize()} chunk(s) not loaded: run it again to load them")
    if stalled:
        raise VoyagerError("export data stopped before it completed: every chunk exported so far is loaded; "
                           "re-run export data, then import data again to load the rest")
    _mark_completed_tables(ctx, tracker)


def _runner_name() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _start_jobs(ctx: StepContext, jobs: int) -> int:
    """The pool's first size: --parallel-jobs, unless a change was requested between the lease and now."""
    early = run_controls.start_run(ctx.store, ctx.migration.migration_uuid, Phase.IMPORT_DATA,
                                   run_controls.PARALLEL_JOBS, jobs, by=_runner_name())
    if early is None:
        return jobs
    return _decide(ctx, early, jobs)


def _apply_control(ctx: StepContext, pool: _Pool) -> None:
    control = run_controls.pending_request(ctx.store, ctx.migration.migration_uuid, Phase.IMPORT_DATA,
                                           run_controls.PARALLEL_JOBS)
    if control is not None:
        pool.resize(_decide(ctx, control, pool.size))


def _decide(ctx: StepContext, control: run_controls.RunControl, current: int) -> int:
    """Acknowledge a parallelism request and record it; returns the number of jobs to run with."""
    mid = ctx.migration.migration_uuid
    wanted = run_controls.parse_parallel_jobs(control.requested_value)
    who = control.requested_by
    if wanted is None:
        message = (f"parallel jobs {control.requested_value!r} requested by {who} is not a whole number from 1 to "
                   f"{run_controls.MAX_PARALLEL_JOBS}; still {current}")
        if run_controls.acknowledge(ctx.store, control, run_controls.ControlStatus.REJECTED, current,
                                    by=_runner_name(), message=message):
            ctx.store.record_event(mid, "import_parallelism_rejected", f"Import data: {message}",
                                   phase=Phase.IMPORT_DATA,
                                   data={"requested": control.requested_value, "current": current,
                                         "requested_by": who, "request_id": str(control.request_id)})
        return current
    message = (f"parallel jobs changed from {current} to {wanted} at the request of {who}" if wanted != current
               else f"parallel jobs stay {current} (requested by {who})")
    if run_controls.acknowledge(ctx.store, control, run_controls.ControlStatus.APPLIED, wanted,
                                by=_runner_name(), message=message):
        ctx.store.record_event(mid, "import_parallelism_changed", f"Import data: {message}"
                               + (f" ({control.reason})" if control.reason else ""),
                               phase=Phase.IMPORT_DATA,
                               data={"from": current, "to": wanted, "requested_by": who,
                                     "reason": control.reason, "request_id": str(control.request_id)})
        return wanted
    return current  # a newer request replaced this one; the next poll applies that


def _ready_chunks(store: StateStore, mid: Any, queued: set[tuple[str, str, int]]) -> list[Chunk]:
    rows = store.conn.execute(
        """SELECT c.schema_name, c.table_name, c.chunk_id, c.file_name, c.format, c.columns
           FROM ybvoyager.export_chunks c
           WHERE c.migration_uuid = %s AND c.status = 'EXPORTED'
             AND NOT EXISTS (SELECT 1 FROM ybvoyager.import_batches b WHERE b.migration_uuid = c.migration_uuid
                             AND b.schema_name = c.schema_name AND b.table_name = c.table_name
                             AND b.chunk_id = c.chunk_id)
           ORDER BY c.schema_name, c.table_name, c.chunk_id""", (mid,)).fetchall()  # key order: PK appends
    return [Chunk(s, t, cid, f, fmt, tuple(cols)) for s, t, cid, f, fmt, cols in rows if (s, t, cid) not in queued]


def _export_state(store: StateStore, mid: Any) -> Literal["done", "running", "stopped"]:
    snap = store.snapshot(mid, events=0)
    status = snap.phase(Phase.EXPORT_DATA).status
    if status == PhaseStatus.COMPLETED:
        return "done"
    runner = snap.runner(Phase.EXPORT_DATA)
    if status == PhaseStatus.IN_PROGRESS and runner is not None and runner.state == RunnerState.RUNNING:
        return "running"
    return "stopped"


def _load_chunk(ctx: StepContext, conn: psycopg.Connection[Any], xdir: ExportDir, chunk: Chunk, policy: ErrorPolicy,
                importer: str) -> tuple[int, int]:
    path = xdir.data_dir / chunk.file_name
    if not path.exists():
        raise VoyagerError(f"chunk file {path} is missing: copy the export dir from the export machine "
                           "(or re-run export data there)")
    mid = ctx.migration.migration_uuid
    copy_sql = sql.SQL("COPY {t} ({cols}) FROM STDIN (FORMAT {fmt})").format(
        t=_ident(chunk.schema_name, chunk.table_name),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in chunk.columns), fmt=sql.SQL(chunk.fmt))
    try:
        with conn.transaction():
            if conn.execute("SELECT 1 FROM ybvoyager.import_batches WHERE migration_uuid = %s AND schema_name = %s "
                            "AND table_name = %s AND chunk_id = %s",
                            (mid, chunk.schema_name, chunk.table_name, chunk.chunk_id)).fetchone():
                return 0, 0  # another importer finished it meanwhile
            try:
                with conn.transaction():  # savepoint: a bad row must not doom the chunk's transaction
                    rows = _copy_file(conn, copy_sql, path)
                errored = 0
            except _ROW_ERRORS as exc:
                if policy == "abort":
                    raise VoyagerError(_row_error(chunk, exc)) from None
                rows, errored = _load_row_by_row(conn, copy_sql, xdir, chunk, path.read_bytes())
            conn.execute(
                """INSERT INTO ybvoyager.import_batches (migration_uuid, schema_name, table_name, chunk_id, rows,
                       errored_rows, bytes, importer) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (mid, chunk.schema_name, chunk.table_name, chunk.chunk_id, rows, errored, path.stat().st_size,
                 importer))
    except pg_errors.UniqueViolation as exc:
        if "import_batches" in str(exc.diag.constraint_name or ""):
            return 0, 0  # a concurrent importer committed this chunk first; ours rolled back
        raise
    return rows, errored


def _copy_file(conn: psycopg.Connection[Any], copy_sql: sql.Composed, path: Path) -> int:
    with conn.cursor() as cur:
        with cur.copy(copy_sql) as copy, open(path, "rb") as fh:
            while block := fh.read(READ_BLOCK):
                copy.write(block)
        return max(cur.rowcount, 0)


def _copy_bytes(conn: psycopg.Connection[Any], copy_sql: sql.Composed, data: bytes) -> int:
    with conn.cursor() as cur:
        with cur.copy(copy_sql) as copy:
            copy.write(data)
        return max(cur.rowcount, 0)


def _load_row_by_row(conn: psycopg.Connection[Any], copy_sql: sql.Composed, xdir: ExportDir, chunk: Chunk,
                     data: bytes) -> tuple[int, int]:
    """Load what loads and set aside exactly the rows that fail, with their reasons."""
    header, rows, trailer = split_rows(data, chunk.fmt)
    bad: list[dict[str, Any]] = []

    def load(start: int, end: int) -> int:
        if start >= end:
            return 0
        try:
            with conn.transaction():
                return _copy_bytes(conn, copy_sql, header + b"".join(rows[start:end]) + trailer)
        except _ROW_ERRORS as exc:
            line = _line_of(exc)
            if end - start == 1:
                bad.append(_stash_record(start, rows[start], chunk.fmt, exc))
                return 0
            if line is not None and 1 <= line <= end - start:
                at = start + line - 1  # the server named the row: keep the rows around it, set it aside
                loaded = load(start, at)
                bad.append(_stash_record(at, rows[at], chunk.fmt, exc))
                return loaded + load(at + 1, end)
            middle = (start + end) // 2
            return load(start, middle) + load(middle, end)

    loaded = load(0, len(rows))
    target = xdir.errors_dir / chunk.file_name.rsplit(".", 1)[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    # One file per chunk, rewritten on a retry, so a re-run never duplicates stashed rows.
    with open(target.with_suffix(".jsonl"), "w", encoding="utf-8") as fh:
        for record in bad:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return loaded, len(bad)


def _stash_record(index: int, row: bytes, fmt: str, exc: BaseException) -> dict[str, Any]:
    diag = getattr(exc, "diag", None)
    record: dict[str, Any] = {"row_in_chunk": index + 1, "error": one_line(exc),
                              "detail": getattr(diag, "message_detail", None)}
    if fmt == "binary":
        record["copy_binary_base64"] = base64.b64encode(row).decode()
    else:
        record["copy_text"] = row.decode("utf-8", errors="replace").rstrip("\n")
    return record


def _line_of(exc: BaseException) -> int | None:
    diag = getattr(exc, "diag", None)
    m = _LINE.search(getattr(diag, "context", None) or "")
    return int(m.group(1)) if m else None


def _row_error(chunk: Chunk, exc: BaseException) -> str:
    line = _line_of(exc)
    detail = getattr(getattr(exc, "diag", None), "message_detail", None)
    where = f" at row {line}" if line else ""
    return (f"import of {chunk.qualified} chunk {chunk.chunk_id}{where} failed: {one_line(exc)}"
            + (f" ({detail})" if detail else "") + "; fix the data or re-run with --error-policy stash-and-continue")


def _mark_completed_tables(ctx: StepContext, tracker: ProgressTracker) -> None:
    for schema, name, total in ctx.store.conn.execute(
            """SELECT c.schema_name, c.table_name, coalesce(sum(c.rows), 0) FROM ybvoyager.export_chunks c
               WHERE c.migration_uuid = %s GROUP BY 1, 2""", (ctx.migration.migration_uuid,)).fetchall():
        tracker.set_status(schema, name, "COMPLETED", total=int(total))


def _summary(ctx: StepContext, tracker: ProgressTracker) -> list[TableImport]:
    rows = ctx.store.conn.execute(
        """SELECT schema_name, table_name, coalesce(sum(rows), 0), coalesce(sum(errored_rows), 0), count(*)
           FROM ybvoyager.import_batches WHERE migration_uuid = %s GROUP BY 1, 2 ORDER BY 1, 2""",
        (ctx.migration.migration_uuid,)).fetchall()
    return [TableImport(schema_name=s, table_name=t, rows=int(r), errored_rows=int(e), chunks=int(n))
            for s, t, r, e, n in rows]
