"""`migrate init`: validate both ends, then register the migration in the target."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .connections import ConnectionParams, connect_pg, detect_target
from .errors import VoyagerError
from .models import MigrationRecord
from .secrets import DbRole, PasswordPrompt
from .sources import SourceType, probe_source
from .state_store import NewMigration, StateStore


class InitRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    migration_name: str
    source_type: SourceType
    source: ConnectionParams
    source_schemas: list[str]
    target: ConnectionParams
    export_dir: Path | None = None


def init_migration(req: InitRequest, *, prompt: PasswordPrompt | None = None,
                   target_password: str | None = None) -> MigrationRecord:
    name = req.migration_name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise VoyagerError("--migration-name must be 1-100 characters without spaces")
    info = probe_source(req.source_type, req.source, req.source_schemas, prompt=prompt)
    with connect_pg(req.target, DbRole.TARGET, prompt=prompt, password=target_password,
                    application_name="voyager-tui-init") as conn:
        target = detect_target(conn)
        store = StateStore(conn, create=True)
        return store.register_migration(NewMigration(
            migration_name=name,
            source_db_type=req.source_type.value,
            source_db_host=req.source.host,
            source_db_port=req.source.port,
            source_db_user=req.source.user,
            source_db_name=req.source.dbname,
            source_db_version=info.version,
            source_db_identifier=info.identifier,
            source_ssl_mode=req.source.sslmode,
            source_schemas=info.schemas,
            target_db_name=req.target.dbname,
            target_db_type=target.kind,
            target_db_version=target.version,
            export_dir=str(req.export_dir) if req.export_dir else None,
        ))
