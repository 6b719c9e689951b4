"""Fleet assessment: assess every database of a fleet.yaml in parallel threads, each isolated from the others.

Each database gets its own assessment dir F/<name>/ (metadata/ reports/ sizing/ fleet/) filled by the same
engine functions a single assessment uses: a live PostgreSQL collection or the ingest of a metadata dir
collected by the scripts, then the report. A failure of one database (unreachable, bad metadata, a bug) is
recorded as that database's one-line error and the others go on. At the end F/fleet/ gets the comparison
matrix (JSON) and the consolidated report (HTML), also when some databases failed.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import psycopg

from ..errors import StepCancelled, VoyagerError, one_line
from .collect_pg import Progress, collect_into
from .fleet_config import ClusterConfig, FleetConfig, resolve_password
from .fleet_report import Assessed, Failed, FleetMatrix, FleetOutputs, Outcome, build_matrix, write_fleet_outputs
from .ingest import ingest_metadata
from .layout import CSV_FILES, SCHEMA_DDL, AssessmentDir, SourceDbType
from .report import generate_report
from .report_model import AssessmentReport

ERROR_FILE = "error.txt"
"""F/<name>/fleet/error.txt: the failure of the last run of that database (with a traceback for a bug)."""


def default_parallel(count: int) -> int:
    return max(1, min(4, count))


class FleetEventKind(StrEnum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class FleetEvent:
    kind: FleetEventKind
    name: str
    position: int
    """1-based index in the fleet file."""
    total: int
    text: str
    """What is assessed (started), a one-line result (succeeded) or the error (failed)."""
    seconds: float = 0.0


FleetProgress = Callable[[FleetEvent], None]


@dataclass(frozen=True)
class FleetRun:
    matrix: FleetMatrix
    outputs: FleetOutputs

    @property
    def ok(self) -> bool:
        return not self.matrix.failed


def assess_database(cluster: ClusterConfig, assessment_dir: Path, *, cancel: threading.Event | None = None,
                    collect_progress: Progress | None = None) -> AssessmentReport:
    """Fill assessment_dir (the database's own F/<name>/) and return its report; raises on failure."""
    ad = AssessmentDir(assessment_dir)
    _clear_previous(ad, keep_metadata=_same_dir(cluster.metadata_dir, ad.metadata))
    ad.create()
    if cluster.metadata_dir is not None:
        metadata = ingest_metadata(ad.root, cluster.metadata_dir)
        found = metadata.info.source_db_type
        if found is not cluster.source_db_type:
            raise VoyagerError(f"{cluster.metadata_dir} holds {found.value} metadata, but the fleet file says "
                               f"source-db-type {cluster.source_db_type.value}")
    elif cluster.source_db_type is SourceDbType.POSTGRESQL:
        collect_into(ad.root, cluster.connection_params(), resolve_password(cluster.password), cluster.schema_list(),
                     iops_interval=cluster.iops_interval or 60.0, statement_timeout_s=cluster.statement_timeout or 60.0,
                     progress=collect_progress, cancel=cancel)
    else:
        raise VoyagerError(f"live collection from {cluster.source_db_type.value} is not supported yet: run the "
                           "scripts from `voyager-tui assessment generate-scripts` and set metadata-dir")
    if cancel is not None and cancel.is_set():
        raise StepCancelled("cancelled")
    return generate_report(ad.root, cluster.target_db_version)


def _same_dir(a: Path | None, b: Path) -> bool:
    return a is not None and a.resolve() == b.resolve()


def _clear_previous(ad: AssessmentDir, *, keep_metadata: bool) -> None:
    """Remove what an earlier run wrote at the layout's own file names, so a failed or partial run never leaves an
    older report or stale optional CSVs that would be read as this run's. Nothing else in the dir is touched, and
    the metadata stays when it is the very dir the fleet file points at."""
    stale = [] if keep_metadata else [ad.metadata / spec.name for spec in CSV_FILES] + [ad.metadata / SCHEMA_DDL]
    stale += [ad.report_json, ad.report_html, ad.cluster_recommendations,
              ad.sizing_details, ad.source_ref, ad.fleet / ERROR_FILE]
    for path in stale:
        path.unlink(missing_ok=True)


def describe_error(exc: BaseException) -> str:
    """One line for the matrix: our own errors as they are, database errors by their first line, anything else
    (a bug) with its type so it can be found in error.txt."""
    if isinstance(exc, VoyagerError):
        return one_line(exc)
    if isinstance(exc, psycopg.Error):
        return f"database error: {one_line(exc)}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}" if exc.filename else one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)}"


def _result_line(report: AssessmentReport) -> str:
    c = report.impact_counts()
    return (f"{len(report.issues)} issues (L3 {c['LEVEL_3']}, L2 {c['LEVEL_2']}, L1 {c['LEVEL_1']}), "
            f"effort {report.effort.hours:g} h, complexity {report.effort.complexity}")


def _run_one(cluster: ClusterConfig, position: int, total: int, root: Path, cancel: threading.Event,
             progress: FleetProgress | None) -> Outcome:
    def emit(kind: FleetEventKind, text: str, seconds: float = 0.0) -> None:
        if progress is not None:
            progress(FleetEvent(kind, cluster.name, position, total, text, seconds))

    start = time.monotonic()
    if cancel.is_set():
        return Failed(cluster, "cancelled before it started", 0.0)
    emit(FleetEventKind.STARTED, cluster.describe_source())
    try:
        report = assess_database(cluster, root / cluster.name, cancel=cancel)
    except Exception as exc:  # one database's failure, whatever it is, must not stop the fleet
        error = describe_error(exc)
        elapsed = time.monotonic() - start
        _write_error(AssessmentDir(root / cluster.name), error, exc)
        emit(FleetEventKind.FAILED, error, elapsed)
        return Failed(cluster, error, elapsed)
    elapsed = time.monotonic() - start
    emit(FleetEventKind.SUCCEEDED, _result_line(report), elapsed)
    return Assessed(cluster, report, elapsed)


def _write_error(ad: AssessmentDir, error: str, exc: BaseException) -> None:
    text = error + "\n"
    if not isinstance(exc, VoyagerError | psycopg.Error):
        # Unexpected: keep the traceback for a bug report (tracebacks hold no local values, so no secrets).
        text += "\n" + "".join(traceback.format_exception(exc))
    try:
        ad.fleet.mkdir(parents=True, exist_ok=True)
        (ad.fleet / ERROR_FILE).write_text(text, encoding="utf-8")
    except OSError:
        pass  # the matrix still records the error; an unwritable dir is often the failure itself


def run_fleet(config: FleetConfig, assessment_dir: Path, *, parallel: int | None = None, compare_mode: bool = False,
              progress: FleetProgress | None = None, cancel: threading.Event | None = None) -> FleetRun:
    """Assess every database of the fleet with `parallel` threads (default min(4, count)), then write
    F/fleet/comparison_matrix.json and F/fleet/consolidated_report.html. Failures are recorded, not raised.

    On KeyboardInterrupt the cancel event is set, databases not yet started are skipped, running ones are asked
    to stop, and the interrupt propagates (no matrix is written for a run the user stopped)."""
    root = Path(assessment_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoyagerError(f"cannot create the assessment dir {root}: {exc.strerror or exc}") from None
    stop = cancel or threading.Event()
    clusters = config.clusters
    workers = parallel if parallel is not None else default_parallel(len(clusters))
    outcomes: dict[int, Outcome] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fleet")
    try:
        futures: dict[Future[Outcome], int] = {
            pool.submit(_run_one, c, i + 1, len(clusters), root, stop, progress): i for i, c in enumerate(clusters)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                outcomes[futures[f]] = f.result()
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    matrix = build_matrix(config.path, [outcomes[i] for i in range(len(clusters))])
    return FleetRun(matrix=matrix, outputs=write_fleet_outputs(root, matrix, compare_mode=compare_mode))
