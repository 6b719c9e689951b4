"""`voyager-tui assessment …`: the standalone assessment (no target, no migration needed).

The group holds the collection commands (generate-scripts, ingest-metadata, run); the report, viewer and fleet
commands live in their own modules and are added with `assessment.add_command(...)`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from ..engine.assessment.layout import AssessmentDir, SourceDbType
from ..engine.assessment.metadata import Metadata
from ..engine.assessment.sql import DEFAULT_IOPS_INTERVAL, DEFAULT_STATEMENT_TIMEOUT
from ..engine.connections import ConnectionParams
from ..engine.errors import VoyagerError
from ..engine.sources import SourceType
from .assessment_fleet import fleet_command
from .assessment_report import generate_report_command
from .assessment_view import view_command
from .options import SSL_MODES, tty_prompt

ASSESSMENT_HELP = """Assess a source database for YugabyteDB: standalone, no target and no migration needed.

\b
WORKFLOW OVERVIEW:
  1. COLLECT  → `assessment run` reads the metadata over a live connection (PostgreSQL), or
                `assessment generate-scripts` writes read-only scripts a DBA runs with psql/mysql/SQL*Plus
  2. INGEST   → `assessment ingest-metadata` checks the files the scripts wrote, into an assessment dir
  3. REPORT   → `assessment generate-report` finds issues, sizes the cluster, estimates effort, offline
  4. VIEW     → `assessment view` browses the report; `assessment fleet` compares many databases

\b
EXAMPLES:
  voyager-tui assessment run --source-db-type postgresql --source-db-host pg.example.com \\
    --source-db-name shop --source-schemas public,sales --assessment-dir ./shop-assessment
  voyager-tui assessment generate-scripts --source-db-type oracle --output-dir ./oracle-scripts
  voyager-tui assessment ingest-metadata --assessment-dir ./hr-assessment --metadata-dir ./hr-metadata
"""


@click.group("assessment", help=ASSESSMENT_HELP)
def assessment() -> None:
    pass


assessment.add_command(fleet_command)
assessment.add_command(generate_report_command)
assessment.add_command(view_command)


def _console() -> Console:
    # markup=False: object names and server messages may contain [brackets].
    return Console(highlight=False, markup=False, soft_wrap=True)


@assessment.command("generate-scripts")
@click.option("--source-db-type", type=click.Choice([t.value for t in SourceDbType]), required=True,
              help="Which client the scripts are for: psql, mysql/mariadb or SQL*Plus.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Where to write the scripts and their README.md (created if missing).")
def generate_scripts_cmd(source_db_type: str, output_dir: Path) -> None:
    """Write read-only collection scripts for a DBA to run with their own database client."""
    from ..engine.assessment.scripts import generate_scripts

    paths = generate_scripts(SourceDbType(source_db_type), output_dir)
    out = _console()
    out.print(Text.assemble(("✓ ", "green"), f"{len(paths)} files written to {output_dir}:"))
    for path in paths:
        out.print(f"  {path}")
    wrapper = next((p for p in paths if p.suffix == ".sh"), None)
    out.print()
    out.print(f"Next: read {output_dir / 'README.md'}, run {wrapper.name if wrapper else 'the script'} against "
              "the source, then:")
    out.print("  voyager-tui assessment ingest-metadata --assessment-dir <assessment dir> "
              "--metadata-dir <its output dir>")


@assessment.command("ingest-metadata")
@click.option("--assessment-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The assessment dir to create or update (metadata/ reports/ sizing/ fleet/).")
@click.option("--metadata-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The directory the collection scripts wrote.")
def ingest_metadata_cmd(assessment_dir: Path, metadata_dir: Path) -> None:
    """Check the collected metadata files and install them into an assessment dir (replacing earlier ones)."""
    from ..engine.assessment.ingest import ingest_metadata

    md = ingest_metadata(assessment_dir, metadata_dir)
    _print_summary(md, AssessmentDir(assessment_dir), "ingested")


@assessment.command("run")
@click.option("--source-db-type", type=click.Choice([t.value for t in SourceDbType]), required=True)
@click.option("--source-db-host", default="127.0.0.1", show_default=True)
@click.option("--source-db-port", type=click.IntRange(1, 65535), default=None, help="Default: 5432 for postgresql.")
@click.option("--source-db-user", default=None,
              help="Default: postgres. Password: SOURCE_DB_PASSWORD, ~/.pgpass, keyring, or a prompt.")
@click.option("--source-db-name", required=True)
@click.option("--source-ssl-mode", type=SSL_MODES, default="prefer", show_default=True)
@click.option("--source-schemas", default="public", show_default=True, help="Comma-separated schemas to assess.")
@click.option("--assessment-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Where the assessment goes (metadata/ reports/ sizing/ fleet/); created if missing.")
@click.option("--iops-interval", type=click.FloatRange(min=0), default=DEFAULT_IOPS_INTERVAL, show_default=True,
              help="Seconds between the two samples of the activity counters (reads/s, writes/s).")
@click.option("--statement-timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_STATEMENT_TIMEOUT,
              show_default=True, help="Seconds any one collection query may run.")
def run_cmd(**kw: Any) -> None:
    """Collect the metadata of a live PostgreSQL source, read-only, into an assessment dir.

    One REPEATABLE READ READ ONLY transaction with a statement timeout; the same queries as the generated psql
    script; pg_dump --schema-only for schema.sql. Then the files are checked as ingest-metadata checks them.
    """
    source_type = SourceType(kw["source_db_type"])
    if source_type is not SourceType.POSTGRESQL:
        raise VoyagerError(f"live collection from {source_type.value} is not available yet: use "
                           f"`voyager-tui assessment generate-scripts --source-db-type {source_type.value}`, run the "
                           "scripts, then `voyager-tui assessment ingest-metadata`")
    schemas = [s.strip() for s in kw["source_schemas"].split(",") if s.strip()]
    params = ConnectionParams(host=kw["source_db_host"], port=kw["source_db_port"] or source_type.default_port,
                              user=kw["source_db_user"] or source_type.default_user, dbname=kw["source_db_name"],
                              sslmode=kw["source_ssl_mode"])
    _run_live(params, schemas, kw["assessment_dir"], kw["iops_interval"], kw["statement_timeout"])


def _run_live(params: ConnectionParams, schemas: list[str], assessment_dir: Path, iops_interval: float,
              statement_timeout: float) -> None:
    from ..engine.assessment.collect_pg import APPLICATION_NAME, collect_into
    from ..engine.connections import connect_pg
    from ..engine.secrets import DbRole

    out = _console()
    # Connect once up front: an unreachable source fails in a second, and a prompt (if any) happens here.
    with connect_pg(params, DbRole.SOURCE, prompt=tty_prompt, application_name=APPLICATION_NAME) as conn:
        password = conn.info.password or None
    out.print(f"Collecting {', '.join(schemas)} from {params.label} (IOPS window {iops_interval:g} s)")

    def progress(text: str, index: int, total: int) -> None:
        out.print(f"  [{index}/{total}] {text}")

    md = collect_into(assessment_dir, params, password, schemas, iops_interval=iops_interval,
                      statement_timeout_s=statement_timeout, progress=progress)
    adir = AssessmentDir(assessment_dir)
    _print_summary(md, adir, "collected")


def _print_summary(md: Metadata, adir: AssessmentDir, verb: str) -> None:
    from ..engine.assessment.registry import remember_assessment

    remember_assessment(adir.root)  # the app's Home lists it, wherever it is
    out = _console()
    info = md.info
    kinds = Counter(o.object_type for o in md.schema_objects)
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    where = f"{info.source_db_type.value} {info.db_name or ''}".strip()
    out.print(Text.assemble(("✓ ", "green"), f"Metadata of {where} ({', '.join(info.schemas) or 'no schemas'}) "
                            f"{verb} into {adir.metadata}"))
    out.print(f"  {len(md.schema_objects)} objects ({counts or 'none'}); {len(md.columns)} columns, "
              f"{len(md.constraints)} constraints, {len(md.query_stats)} query texts")
    for note in md.notes:
        out.print(f"  {note.severity}: [{note.step}] {note.message}")
    out.print()
    out.print("Next: build the report:")
    out.print(f"  voyager-tui assessment generate-report --assessment-dir {adir.root}")
