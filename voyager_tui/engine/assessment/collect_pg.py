"""Live metadata collection from a PostgreSQL source: the plan of sql/pg_plan.py, executed over one connection.

It runs the very statements the generated psql script runs, in the same order, and writes each CSV from the
server's own COPY output, so a live run and a script run of the same database give the same files (apart from
collected_at, collector and the counters). pg_dump --schema-only runs while the IOPS window is open.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..connections import ConnectionParams, connect_pg, libpq_env
from ..errors import StepCancelled, VoyagerError, one_line
from ..pipeline.export_schema import check_pg_dump, first_error_line, schema_pattern, tool_major
from ..secrets import DbRole
from . import layout
from .layout import AssessmentDir
from .metadata import Metadata
from .sql import MARKER, pg_plan
from .sql.pg_plan import Step

Progress = Callable[[str, int, int], None]
APPLICATION_NAME = "voyager-tui-assessment"
MIN_SERVER_MAJOR = 11
"""prokind, indnkeyatts and conparentid, which the queries read, arrived in PostgreSQL 11."""


class _Run:
    def __init__(self, conn: psycopg.Connection[Any], metadata_dir: Path, progress: Progress | None,
                 cancel: threading.Event | None, total: int) -> None:
        self.conn = conn
        self.dir = metadata_dir
        self.progress = progress
        self.cancel = cancel
        self.total = total
        self.index = 0

    def step(self, title: str) -> None:
        self.check_cancelled()
        self.index += 1
        if self.progress is not None:
            self.progress(title, self.index, self.total)

    def check_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise StepCancelled("cancelled")

    def remember_error(self, setting: str, exc: psycopg.Error) -> None:
        # The same text psql keeps in LAST_ERROR_SQLSTATE and LAST_ERROR_MESSAGE, so the notes read the same.
        text = f"{exc.sqlstate} {exc.diag.message_primary or one_line(exc)}"
        self.conn.execute(f"SELECT /* {MARKER} */ set_config(%s, %s, false)", (setting, text))

    def is_recoverable(self, exc: psycopg.Error) -> bool:
        """A server error in one step (permission denied, timeout, extension not loaded) is a note; a lost
        connection or our own cancel is not."""
        if self.cancel is not None and self.cancel.is_set():
            return False
        return exc.sqlstate is not None and not self.conn.closed

    def copy(self, step: Step, *, savepoint: bool) -> None:
        path = self.dir / step.csv
        part = path.with_name(path.name + ".part")
        try:
            with (_savepoint(self.conn) if savepoint else nullcontext(), self.conn.cursor() as cur,
                  part.open("wb") as fh, cur.copy(step.copy_sql) as copy):
                for chunk in copy:
                    fh.write(chunk)
            part.replace(path)
        except psycopg.Error as exc:
            part.unlink(missing_ok=True)
            if not self.is_recoverable(exc):
                raise
            self.write_header(step)
            self.remember_error(step.error_setting, exc)

    def write_header(self, step: Step) -> None:
        (self.dir / step.csv).write_text(",".join(step.columns) + "\n", encoding="utf-8")

    def run_step(self, step: Step, *, in_transaction: bool) -> None:
        self.step(step.title)
        if step.guard is not None:
            row = self.conn.execute(step.guard).fetchone()
            if not (row and row[0]):
                self.write_header(step)
                return
        if step.before:
            self.conn.execute(step.before)
        self.copy(step, savepoint=in_transaction)
        if step.after:
            self.conn.execute(step.after)


@contextmanager
def _savepoint(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """A savepoint that carries the marker: psycopg's own (`_pg3_n`) would land in pg_stat_statements and be
    reported as the application's SAVEPOINT usage."""
    conn.execute(f"SAVEPOINT /* {MARKER} */ vt_assessment_step")
    try:
        yield
    except BaseException:
        if not conn.closed:
            conn.execute(f"ROLLBACK /* {MARKER} */ TO SAVEPOINT vt_assessment_step")
        raise
    conn.execute(f"RELEASE /* {MARKER} */ SAVEPOINT vt_assessment_step")


def collect_postgresql(params: ConnectionParams, password: str | None, schemas: list[str], metadata_dir: Path, *,
                       iops_interval: float = 60.0, statement_timeout_s: float = 60.0,
                       progress: Progress | None = None, cancel: threading.Event | None = None) -> None:
    """Collect the metadata CSVs and schema.sql of `schemas` into metadata_dir, read-only.

    progress(step_description, step_index, step_count) is called before each step; setting `cancel` stops the
    run promptly (the running statement or pg_dump is cancelled) with StepCancelled("cancelled"), a VoyagerError.
    """
    _check_arguments(schemas, iops_interval, statement_timeout_s)
    metadata_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "schemas": "|".join(schemas),
        "iops_interval": _number(iops_interval),
        # Milliseconds: PostgreSQL 11 takes no fractional value with a unit ("0.5s").
        "statement_timeout": f"{_millis(statement_timeout_s)}ms",
    }
    steps = pg_plan.catalog_steps()
    total = pg_plan.step_count() + 2  # + pg_dump + the wait
    conn = connect_pg(params, DbRole.SOURCE, password=password, application_name=APPLICATION_NAME)
    try:
        with conn, _cancel_on(conn, cancel):
            run = _Run(conn, metadata_dir, progress, cancel, total)
            server_major = conn.info.server_version // 10000
            if server_major < MIN_SERVER_MAJOR:
                raise VoyagerError(f"{params.label} runs PostgreSQL {conn.info.server_version}: the assessment "
                                   f"needs PostgreSQL {MIN_SERVER_MAJOR} or newer")
            _check_schemas(conn, params, schemas)
            dump_password = password or conn.info.password or None
            for setting in pg_plan.session_settings("live"):
                value = setting.literal if setting.param is None else values[setting.param]
                conn.execute(sql.SQL("SET /* {} */ {} = {}").format(sql.SQL(MARKER), sql.SQL(setting.name),
                                                                     sql.Literal(value)))

            run.step(pg_plan.IOPS_INITIAL_TITLE)
            started = time.monotonic()
            initial_ok = True
            try:
                conn.execute(pg_plan.remember_initial_sample())
            except psycopg.Error as exc:
                if not run.is_recoverable(exc):
                    raise
                initial_ok = False
                run.remember_error("voyager_tui.error_" + pg_plan.IOPS_INITIAL_KEY.replace("-", "_"), exc)

            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                for step in steps:
                    run.run_step(step, in_transaction=True)

            run.step("dumping the schema DDL (pg_dump --schema-only)")
            _pg_dump(params, dump_password, schemas, server_major, statement_timeout_s,
                     metadata_dir / layout.SCHEMA_DDL, cancel)

            remaining = max(0.0, iops_interval - (time.monotonic() - started)) if initial_ok else 0.0
            run.step(f"waiting {remaining:.0f} s for the second IOPS sample")
            if remaining > 0 and cancel is not None and cancel.wait(remaining):
                raise StepCancelled("cancelled")
            if remaining > 0 and cancel is None:
                time.sleep(remaining)

            run.run_step(pg_plan.iops_final_step(), in_transaction=False)
            run.run_step(pg_plan.notes_step(), in_transaction=False)
    except psycopg.Error as exc:
        if cancel is not None and cancel.is_set():
            raise StepCancelled("cancelled") from None
        raise VoyagerError(f"collecting from {params.label} failed: {one_line(exc)}") from None
    finally:
        for part in metadata_dir.glob("*.part"):
            part.unlink(missing_ok=True)


def _millis(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def collect_into(assessment_dir: Path, params: ConnectionParams, password: str | None, schemas: list[str], *,
                 iops_interval: float = 60.0, statement_timeout_s: float = 60.0,
                 progress: Callable[[str, int, int], None] | None = None,
                 cancel: threading.Event | None = None) -> Metadata:
    """Collect beside the assessment dir's metadata, then let ingest check it and swap it in: an earlier set is
    replaced whole or not at all. Also records how the source was reached (no password) for the migrate command."""
    from .ingest import ingest_metadata
    from .source_ref import write_source_ref

    adir = AssessmentDir(assessment_dir)
    try:
        adir.create()
        work = Path(tempfile.mkdtemp(prefix=".collect-", dir=adir.root))
    except OSError as exc:
        raise VoyagerError(f"cannot create the assessment dir {assessment_dir}: {exc.strerror or exc}") from None
    try:
        collect_postgresql(params, password, schemas, work, iops_interval=iops_interval,
                           statement_timeout_s=statement_timeout_s, progress=progress, cancel=cancel)
        if cancel is not None and cancel.is_set():
            raise StepCancelled("cancelled")
        metadata = ingest_metadata(adir.root, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_source_ref(adir.root, params)
    return metadata


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_arguments(schemas: list[str], iops_interval: float, statement_timeout_s: float) -> None:
    if not schemas:
        raise VoyagerError("no schemas to assess: name at least one")
    bad = [s for s in schemas if not s or "|" in s]
    if bad:
        # The layout separates schemas with |, so a name containing one could not be read back.
        raise VoyagerError(f"schema name {bad[0]!r} cannot be assessed: empty or containing '|'")
    if iops_interval < 0:
        raise VoyagerError(f"the IOPS interval must be 0 or more seconds, not {iops_interval}")
    if statement_timeout_s <= 0:
        raise VoyagerError(f"the statement timeout must be more than 0 seconds, not {statement_timeout_s}")


def _check_schemas(conn: psycopg.Connection[Any], params: ConnectionParams, schemas: list[str]) -> None:
    present = {r[0] for r in conn.execute(f"SELECT /* {MARKER} */ nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                                          (schemas,))}
    missing = [s for s in schemas if s not in present]
    if missing:
        raise VoyagerError(f"schema(s) not found in {params.label}: {', '.join(missing)}")


@contextmanager
def _cancel_on(conn: psycopg.Connection[Any], cancel: threading.Event | None) -> Iterator[None]:
    """Cancel the running statement as soon as `cancel` is set (a statement may otherwise run for the whole
    statement timeout)."""
    if cancel is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.2):
                if not done.is_set():
                    # The statement may have just finished: then there is nothing to cancel.
                    with suppress(Exception):
                        conn.cancel_safe(timeout=5)
                return

    thread = threading.Thread(target=watch, name="assessment-cancel", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def _pg_dump(params: ConnectionParams, password: str | None, schemas: list[str], server_major: int,
             statement_timeout_s: float, out: Path, cancel: threading.Event | None) -> None:
    pg_dump = check_pg_dump(server_major)
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    args = [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--no-tablespaces", "--no-publications",
            "--no-subscriptions", "--encoding=UTF8", f"--lock-wait-timeout={_millis(statement_timeout_s)}ms"]
    if tool_major(version) >= 14:
        # -n leaves the database's extensions out; --extension (pg_dump 14+) puts their CREATE EXTENSION back.
        args.append("--extension=*")
    for schema in schemas:
        args += ["-n", schema_pattern(schema)]
    args += ["-f", str(out)]
    env = libpq_env(params, password, APPLICATION_NAME)
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env)
    except OSError as exc:
        raise VoyagerError(f"cannot run pg_dump: {exc.strerror or exc}") from None
    stderr_chunks: list[bytes] = []

    def read_stderr() -> None:
        # pg_dump writes only warnings and errors there, but a full pipe would still block it.
        if proc.stderr is not None:
            stderr_chunks.append(proc.stderr.read())

    with proc:
        reader = threading.Thread(target=read_stderr, name="pg_dump-stderr", daemon=True)
        reader.start()
        while True:
            try:
                proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    proc.kill()
                    proc.wait()
                    out.unlink(missing_ok=True)
                    raise StepCancelled("cancelled") from None
        reader.join(timeout=10)
    if proc.returncode != 0:
        out.unlink(missing_ok=True)
        stderr = b"".join(stderr_chunks).decode("utf-8", errors="replace")
        raise VoyagerError(f"pg_dump failed (exit code {proc.returncode}): {first_error_line(stderr)}")
