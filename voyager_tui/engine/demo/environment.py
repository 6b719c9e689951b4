"""The demo: an embedded server holding a sample source and an empty target, with a registered migration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg import sql

from ..connections import ConnectionParams, connect_pg
from ..errors import MigrationNotFound
from ..paths import AppPaths
from ..registration import InitRequest, init_migration
from ..secrets import DbRole
from ..sources import SourceType
from ..state_store import StateStore
from .embedded_pg import EmbeddedPostgres, server_dir_for
from .sample_db import create_sample_source

SOURCE_DB = "voyager_demo_source"
TARGET_DB = "voyager_demo_target"
MIGRATION_NAME = "demo"


@dataclass
class DemoEnvironment:
    server: EmbeddedPostgres
    source: ConnectionParams
    target: ConnectionParams
    migration_name: str
    started_here: bool
    """True when this process started the server (and so should stop it)."""


def demo_server(paths: AppPaths) -> EmbeddedPostgres:
    return EmbeddedPostgres(server_dir_for(paths.demo_dir))


def prepare_demo(paths: AppPaths, *, reset: bool = False, say: Callable[[str], None] = print) -> DemoEnvironment:
    """Start (creating on first use) the demo server, its databases and the migration; reuse what exists."""
    server = demo_server(paths)
    if reset and server.base.exists():
        say(f"Removing the previous demo in {server.base} ...")
        server.destroy()
    if not server.initialized:
        say(f"Creating an embedded PostgreSQL in {server.base} ...")
    started = server.start()
    try:
        _ensure_databases(server, say)
        source, target = server.params(SOURCE_DB), server.params(TARGET_DB)
        _ensure_migration(paths, source, target, say)
    except BaseException:
        if started:
            server.stop()
        raise
    return DemoEnvironment(server=server, source=source, target=target, migration_name=MIGRATION_NAME,
                           started_here=started)


def _ensure_databases(server: EmbeddedPostgres, say: Callable[[str], None]) -> None:
    with connect_pg(server.params("postgres"), DbRole.TARGET, application_name="voyager-tui-demo") as admin:
        existing = {r[0] for r in admin.execute("SELECT datname FROM pg_database").fetchall()}
        if SOURCE_DB not in existing:
            say("Creating the sample source database (a small online shop) ...")
            # Filled under a temporary name and renamed at the end, so an interrupted first run never leaves a
            # half-filled source that a second run would take for finished.
            building = f"{SOURCE_DB}_building"
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
            with connect_pg(server.params(building), DbRole.SOURCE) as conn:
                create_sample_source(conn)
            admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(building), sql.Identifier(SOURCE_DB)))
        if TARGET_DB not in existing:
            say("Creating the empty target database ...")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TARGET_DB)))


def _ensure_migration(paths: AppPaths, source: ConnectionParams, target: ConnectionParams,
                      say: Callable[[str], None]) -> None:
    with connect_pg(target, DbRole.TARGET, application_name="voyager-tui-demo") as conn:
        try:
            existing = StateStore(conn, create=True).get_migration(name=MIGRATION_NAME)
            if existing.is_complete:
                say("The demo migration is complete; run `voyager-tui demo --reset` to start it over.")
            return
        except MigrationNotFound:
            pass
    say(f"Registering migration {MIGRATION_NAME!r} from {SOURCE_DB} to {TARGET_DB} ...")
    init_migration(InitRequest(migration_name=MIGRATION_NAME, source_type=SourceType.POSTGRESQL, source=source,
                               source_schemas=["public"], target=target,
                               export_dir=paths.migrations_dir / MIGRATION_NAME))
