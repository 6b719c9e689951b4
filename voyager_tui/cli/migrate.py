"""`voyager-tui migrate …`: the guided migration workflow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from ..engine.connections import ConnectionParams, connect_pg
from ..engine.models import MigrationSnapshot
from ..engine.next_step import NextStep, next_step
from ..engine.paths import app_paths
from ..engine.phases import Phase
from ..engine.registration import InitRequest, init_migration
from ..engine.secrets import DbRole
from ..engine.sources import SourceType
from ..engine.state_store import StateStore
from .lazy import LazyGroup
from .options import (
    SSL_MODES,
    json_option,
    migration_options,
    migration_selector,
    target_options,
    target_params,
    tty_prompt,
)
from .render import history_table, migrations_table, next_step_text, status_box

MIGRATE_HELP = """Migrate a database to YugabyteDB, guided step by step.

\b
WORKFLOW OVERVIEW:
  A typical migration follows these steps:

\b
  1. ASSESS    → Analyze source DB for compatibility (optional but recommended)
  2. INIT      → Initialize migration, register with target DB
  3. EXPORT    → Export schema and data from source
  4. IMPORT    → Import schema and data to target
  5. VERIFY    → Verify data integrity
  6. CUTOVER   → Switch application to target DB

\b
  All state lives in schema ybvoyager of the target database, so any machine
  that can reach the target sees where a migration stands and can resume it.
  `migrate status` shows it; `migrate next` prints the exact next command.

\b
EXAMPLES:
  # Start a new migration
  voyager-tui migrate init --migration-name shop --source-db-type postgresql \\
    --source-db-host pg.example.com --source-db-name shop \\
    --target-db-host yb.example.com --target-db-user yugabyte

\b
  # Check status
  voyager-tui migrate status --target-db-host yb.example.com

\b
  # See what to do next
  voyager-tui migrate next --target-db-host yb.example.com

\b
  # Run every remaining step up to verify in one go (it stops before cutover)
  voyager-tui migrate run --target-db-host yb.example.com
"""


@click.group("migrate", cls=LazyGroup, help=MIGRATE_HELP)
def migrate() -> None:
    pass


def console() -> Console:
    # markup=False: names, schemas and error texts from databases may contain [brackets].
    return Console(highlight=False, markup=False)


@contextmanager
def target_store(params: ConnectionParams, *, create: bool = False) -> Iterator[StateStore]:
    with connect_pg(params, DbRole.TARGET, prompt=tty_prompt, application_name="voyager-tui-cli") as conn:
        yield StateStore(conn, create=create)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@migrate.command("init")
@click.option("--migration-name", required=True, help="A name for this migration, unique in the target.")
@click.option("--source-db-type", type=click.Choice([t.value for t in SourceType]), required=True)
@click.option("--source-db-host", default="127.0.0.1", show_default=True)
@click.option("--source-db-port", type=click.IntRange(1, 65535), default=None,
              help="Default: 5432 for postgresql, 3306 for mysql, 1521 for oracle.")
@click.option("--source-db-user", default=None,
              help="Default: postgres, root (mysql) or system (oracle). "
                   "Password: SOURCE_DB_PASSWORD, ~/.pgpass, keyring, or a prompt.")
@click.option("--source-db-name", required=True)
@click.option("--source-db-schema", default=None,
              help="Comma-separated schemas to migrate (PostgreSQL; default public).")
@click.option("--source-ssl-mode", type=SSL_MODES, default="prefer", show_default=True)
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where exported files go on this machine (default: under the data dir, see `voyager-tui locate`).")
@click.option("--assessment-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Attach a standalone assessment of this source (its report is stored in the target).")
@target_options
@json_option
def init_cmd(**kw: Any) -> None:
    """Register a new migration in the target, after checking both connections."""
    target = target_params(kw)
    source_type = SourceType(kw["source_db_type"])
    schemas_opt = kw["source_db_schema"]
    if source_type == SourceType.MYSQL:
        schemas = [kw["source_db_name"]] if schemas_opt is None else [s.strip() for s in schemas_opt.split(",")]
    else:
        schemas = [s.strip() for s in (schemas_opt or "public").split(",") if s.strip()]
    source = ConnectionParams(host=kw["source_db_host"], port=kw["source_db_port"] or source_type.default_port,
                              user=kw["source_db_user"] or source_type.default_user, dbname=kw["source_db_name"],
                              sslmode=kw["source_ssl_mode"])
    paths = app_paths()
    export_dir = kw["export_dir"] or paths.migrations_dir / kw["migration_name"]
    record = init_migration(
        InitRequest(migration_name=kw["migration_name"], source_type=source_type, source=source,
                    source_schemas=schemas, target=target, export_dir=export_dir.expanduser().resolve(),
                    assessment_dir=kw["assessment_dir"].expanduser().resolve() if kw["assessment_dir"] else None),
        prompt=tty_prompt,
    )
    from ..engine.config import remember_target

    remember_target(paths, target)
    with target_store(target) as store:
        snap = store.snapshot(record.migration_uuid)
    step = next_step(snap, target)
    if kw["as_json"]:
        print_json({"migration": record.model_dump(mode="json"), "next_step": _step_json(step)})
        return
    out = console()
    out.print(Text.assemble(("✓ ", "green"), "Migration ", (record.migration_name, "bold"),
                            f" registered in {target.label}"))
    out.print(f"  uuid {record.migration_uuid}; source {record.source_db_version} ({record.source_db_identifier})")
    attached = snap.phase(Phase.ASSESSMENT).metadata.get("summary") if kw["assessment_dir"] else None
    if attached:
        out.print(f"  assessment attached: {attached}")
    out.print()
    out.print(next_step_text(step))


@migrate.command("status")
@migration_options
@target_options
@json_option
def status_cmd(**kw: Any) -> None:
    """Show where a migration stands: phases, progress, current activity and the next step."""
    target, snap, step = _snapshot_and_step(kw)
    if kw["as_json"]:
        from ..engine.status_view import current_activity, phase_rows

        print_json({
            "snapshot": snap.model_dump(mode="json"),
            "phases": [r.model_dump(mode="json") for r in phase_rows(snap)],
            "current_activity": current_activity(snap),
            "next_step": _step_json(step),
        })
        return
    console().print(status_box(snap, step, target.label))


@migrate.command("next")
@migration_options
@target_options
@json_option
def next_cmd(**kw: Any) -> None:
    """Print the exact command to run next (never with a password)."""
    _, _, step = _snapshot_and_step(kw)
    if kw["as_json"]:
        print_json(_step_json(step))
        return
    console().print(next_step_text(step))


@migrate.command("history")
@migration_options
@target_options
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help="Show the newest N events.")
@json_option
def history_cmd(**kw: Any) -> None:
    """Show the event timeline of a migration."""
    target = target_params(kw)
    name, uid = migration_selector(kw)
    with target_store(target) as store:
        mig = store.resolve_migration(name, uid)
        events = store.events(mig.migration_uuid, newest=kw["limit"])
    if kw["as_json"]:
        print_json({"migration_uuid": str(mig.migration_uuid), "migration_name": mig.migration_name,
                    "events": [e.model_dump(mode="json") for e in events]})
        return
    console().print(history_table(events))


@migrate.command("list")
@target_options
@json_option
def list_cmd(**kw: Any) -> None:
    """List every migration registered in a target."""
    target = target_params(kw)
    with target_store(target) as store:
        summaries = store.list_migrations()
    if kw["as_json"]:
        print_json([
            s.model_dump(mode="json") | {"is_active": s.is_active} for s in summaries
        ])
        return
    if not summaries:
        console().print(f"No migrations in {target.label} yet. Start one with `voyager-tui migrate init`.")
        return
    console().print(migrations_table(summaries))


def _snapshot_and_step(kw: dict[str, Any]) -> tuple[ConnectionParams, MigrationSnapshot, NextStep]:
    target = target_params(kw)
    name, uid = migration_selector(kw)
    with target_store(target) as store:
        snap = store.snapshot(store.resolve_migration(name, uid).migration_uuid)
    return target, snap, next_step(snap, target)


def _step_json(step: NextStep) -> dict[str, Any]:
    data: dict[str, Any] = step.model_dump(mode="json")
    data["command"] = step.command
    return data

