"""`voyager-tui assessment fleet`: assess every database of a fleet.yaml in parallel and compare them."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click
from rich.console import Console

from ..engine.errors import VoyagerError

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_CONFIG = 0, 1, 2

FLEET_HELP = """Assess every database listed in a fleet file, in parallel, and compare them.

Each database's assessment goes to ASSESSMENT_DIR/<name>/ (metadata/ reports/ sizing/ fleet/);
the comparison goes to ASSESSMENT_DIR/fleet/comparison_matrix.json and consolidated_report.html
(one row per database: size, issues by impact, effort, recommended YugabyteDB version, sizing,
readiness rank; failed databases with their error). A database that fails does not stop the others.

\b
Live collection is PostgreSQL only; MySQL and Oracle entries need metadata-dir (collected with the
scripts of `voyager-tui assessment generate-scripts`). Passwords come from {env: VAR} or
{keyring: service/user} references in the file, else from libpq (~/.pgpass, trust); never inline.

\b
EXIT STATUS: 0 all assessed, 1 some failed (the matrix is still written), 2 bad fleet file.

\b
EXAMPLES:
  voyager-tui assessment fleet --fleet-config fleet.yaml --assessment-dir ./fleet-assessment
  voyager-tui assessment fleet --fleet-config fleet.yaml --assessment-dir ./fa --compare-mode --parallel 8

\b
fleet.yaml:
  defaults:                      # optional, merged into every cluster
    target-db-version: 2025.2.3.0
    iops-interval: 60
  clusters:
    - name: pg-analytics         # also the sub-directory name
      source-db-type: postgresql
      host: db1.internal
      database: analytics
      user: assessor
      schemas: [analytics, reporting]
      password: {env: PG_ANALYTICS_PASSWORD}
    - name: oracle-prod-east
      source-db-type: oracle
      metadata-dir: /data/collected/oracle-prod-east

See docs/assessment/fleet.md for every key.
"""


def _fleet(fleet_config: Path, assessment_dir: Path, compare_mode: bool, parallel: int | None) -> None:
    from ..engine.assessment.fleet import FleetEvent, FleetEventKind, default_parallel, run_fleet
    from ..engine.assessment.fleet_config import FleetConfigError, load_fleet_config

    err = Console(stderr=True, highlight=False, markup=False)
    out = Console(highlight=False, markup=False)
    try:
        config = load_fleet_config(fleet_config)
    except FleetConfigError as exc:
        err.print(f"error: {exc}", soft_wrap=True)
        sys.exit(EXIT_BAD_CONFIG)

    lock = threading.Lock()
    width = len(str(len(config.clusters)))

    def show(ev: FleetEvent) -> None:
        tag = f"[{ev.position:>{width}}/{ev.total}] {ev.name}"
        with lock:  # progress comes from worker threads; keep lines whole
            if ev.kind is FleetEventKind.STARTED:
                out.print(f"{tag}: started ({ev.text})", soft_wrap=True)
            elif ev.kind is FleetEventKind.SUCCEEDED:
                out.print(f"{tag}: done in {ev.seconds:.1f}s: {ev.text}", soft_wrap=True)
            else:
                out.print(f"{tag}: FAILED after {ev.seconds:.1f}s: {ev.text}", soft_wrap=True)

    workers = parallel or default_parallel(len(config.clusters))
    out.print(f"Assessing {len(config.clusters)} databases from {fleet_config} with {workers} in parallel "
              f"into {assessment_dir}", soft_wrap=True)
    try:
        run = run_fleet(config, assessment_dir, parallel=workers, compare_mode=compare_mode, progress=show)
    except VoyagerError as exc:
        err.print(f"error: {exc}", soft_wrap=True)
        sys.exit(EXIT_SOME_FAILED)
    except KeyboardInterrupt:
        err.print("error: interrupted; databases still running were asked to stop, no matrix written", soft_wrap=True)
        sys.exit(130)

    m = run.matrix
    out.print()
    out.print(f"{m.summary.succeeded} of {m.summary.total} databases assessed, {m.summary.failed} failed")
    for d in m.databases:
        by = d.issues_by_impact
        sizing = f"{d.sizing.num_nodes} x {d.sizing.vcpus_per_node} vCPU" if d.sizing else "no sizing"
        out.print(f"  #{d.readiness_rank} {d.name}: L3 {by.get('LEVEL_3', 0)}, L2 {by.get('LEVEL_2', 0)}, "
                  f"L1 {by.get('LEVEL_1', 0)}, effort {d.effort_hours:g} h, {sizing}, recommended "
                  f"{d.recommended_version or '-'}", soft_wrap=True)
    for f in m.failed:
        out.print(f"  failed {f.name}: {f.error}", soft_wrap=True)
    out.print(f"Matrix: {run.outputs.matrix_json}", soft_wrap=True)
    out.print(f"Report: {run.outputs.report_html}", soft_wrap=True)
    sys.exit(EXIT_OK if run.ok else EXIT_SOME_FAILED)


fleet_command = click.command("fleet", help=FLEET_HELP)(
    click.option("--parallel", type=click.IntRange(1, 64), default=None, metavar="N",
                 help="Databases assessed at the same time. [default: min(4, number of databases)]")(
        click.option("--compare-mode", is_flag=True,
                     help="Add to the HTML a side-by-side comparison of issue types across databases.")(
            click.option("--assessment-dir", required=True, type=click.Path(path_type=Path, file_okay=False),
                         help="Where the per-database assessments and the fleet/ comparison go.")(
                click.option("--fleet-config", required=True,
                             type=click.Path(path_type=Path, exists=True, dir_okay=False),
                             help="The fleet file (YAML) listing the databases.")(
                    _fleet)))))
