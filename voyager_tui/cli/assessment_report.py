"""`voyager-tui assessment generate-report`: build the report of an assessment dir from its metadata, offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..engine.errors import VoyagerError
from ..engine.formatting import printable
from ..engine.yb_versions import LATEST_STABLE

GENERATE_HELP = f"""Build the assessment report from the metadata in ASSESSMENT_DIR/metadata (no database needed).

Writes reports/assessment_report.json and .html (self-contained, opens offline) and
sizing/cluster_recommendations.json and sizing/sizing_details.json.

\b
EXAMPLES:
  voyager-tui assessment generate-report --assessment-dir ./shop-assessment
  voyager-tui assessment generate-report --assessment-dir ./shop-assessment --target-db-version 2024.2.10.0

\b
  --target-db-version defaults to {LATEST_STABLE}, the latest stable YugabyteDB release voyager-tui knows.
"""


def _generate_report(assessment_dir: Path, target_db_version: str | None) -> None:
    from ..engine.assessment.layout import AssessmentDir
    from ..engine.assessment.report import generate_report
    from ..engine.yb_versions import YBVersion

    try:
        if target_db_version is not None:
            try:
                YBVersion.parse(target_db_version)
            except VoyagerError as exc:
                raise VoyagerError(f"--target-db-version: {exc}") from None
        report = generate_report(assessment_dir, target_db_version)
    except VoyagerError as exc:
        # The group turns these into one line too; doing it here keeps the command safe to embed anywhere.
        click.echo(f"error: {printable(str(exc))}", err=True)
        sys.exit(1)
    from ..engine.assessment.registry import remember_assessment

    remember_assessment(assessment_dir)
    ad = AssessmentDir(assessment_dir)
    counts = report.impact_counts()
    click.echo(f"Assessment of {report.source.db_name or report.source.db_type.value} for YugabyteDB "
              f"{report.target_db_version}: {len(report.issues)} open issues ({counts['LEVEL_3']} L3, "
              f"{counts['LEVEL_2']} L2, {counts['LEVEL_1']} L1), {len(report.resolved_by_target)} supported by the "
              "target")
    click.echo(f"Complexity {report.effort.complexity}, effort about {report.effort.hours:.1f} hours")
    if report.sizing is not None:
        s = report.sizing
        click.echo(f"Cluster: {s.num_nodes} nodes x {s.vcpus_per_node} vCPUs ({s.memory_gib_per_node} GiB each), "
                  f"{len(s.colocated_tables)} colocated and {len(s.sharded_tables)} sharded tables, import about "
                  f"{s.estimated_import_minutes:.1f} min")
    if report.recommended_version:
        click.echo(f"Fewest blocking issues from YugabyteDB {report.recommended_version}")
    click.echo(f"Report: {ad.report_html}")
    click.echo(f"JSON:   {ad.report_json}")
    click.echo(f"Sizing: {ad.cluster_recommendations}, {ad.sizing_details}")


_with_dir = click.option("--assessment-dir", required=True, type=click.Path(path_type=Path, file_okay=False),
                         help="The assessment dir (its metadata/ subdir holds the collected CSVs).")
_with_version = click.option(
    "--target-db-version", default=None, metavar="VERSION",
    help=f"YugabyteDB version to assess against (e.g. 2024.2.10.0). [default: {LATEST_STABLE}]")
generate_report_command = click.command("generate-report", help=GENERATE_HELP)(
    _with_dir(_with_version(_generate_report)))
