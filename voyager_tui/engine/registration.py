"""`migrate init`: validate both ends, then register the migration in the target."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from .assessment.report import load_report
from .assessment.report_model import AssessmentReport
from .connections import ConnectionParams, connect_pg, detect_target
from .errors import VoyagerError
from .models import MigrationRecord
from .phases import Phase, PhaseStatus
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
    assessment_dir: Path | None = None
    """A standalone assessment of this source to attach: its report is stored in the target and the optional
    Assessment phase is marked done."""


def init_migration(req: InitRequest, *, prompt: PasswordPrompt | None = None,
                   target_password: str | None = None) -> MigrationRecord:
    name = req.migration_name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise VoyagerError("--migration-name must be 1-100 characters without spaces")
    # Read the assessment before anything is registered, so a wrong dir leaves nothing half-done.
    assessment = _assessment_for(req) if req.assessment_dir else None
    info = probe_source(req.source_type, req.source, req.source_schemas, prompt=prompt)
    with connect_pg(req.target, DbRole.TARGET, prompt=prompt, password=target_password,
                    application_name="voyager-tui-init") as conn:
        target = detect_target(conn)
        store = StateStore(conn, create=True)
        record = store.register_migration(NewMigration(
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
        if assessment is not None and req.assessment_dir is not None:
            attach_assessment(store, record.migration_uuid, assessment, req.assessment_dir)
        return record


def _assessment_for(req: InitRequest) -> AssessmentReport:
    assert req.assessment_dir is not None
    report = load_report(req.assessment_dir)
    src = report.source
    if src.db_type.value != req.source_type.value:
        raise VoyagerError(f"the assessment in {req.assessment_dir} is of a {src.db_type.value} database, but the "
                           f"migration's source is {req.source_type.value}")
    if src.db_name and src.db_name != req.source.dbname:
        raise VoyagerError(f"the assessment in {req.assessment_dir} is of database {src.db_name!r}, but the "
                           f"migration's source database is {req.source.dbname!r}")
    return report


def attach_assessment(store: StateStore, migration_uuid: UUID, report: AssessmentReport, assessment_dir: Path) -> None:
    """Store the report in the target (report type `assessment`) and mark the Assessment phase done with a
    summary, so the timeline shows it and any machine can read it."""
    counts = report.impact_counts()
    summary = (f"{len(report.issues)} issues (L3 {counts['LEVEL_3']}, L2 {counts['LEVEL_2']}, "
               f"L1 {counts['LEVEL_1']}) for YugabyteDB {report.target_db_version}; effort {report.effort.hours:g} h, "
               f"complexity {report.effort.complexity}")
    if report.sizing is not None:
        summary += f"; sizing {report.sizing.num_nodes} nodes x {report.sizing.vcpus_per_node} vCPU"
    store.save_report(migration_uuid, "assessment", report.model_dump(mode="json"))
    store.set_phase_status(migration_uuid, Phase.ASSESSMENT, PhaseStatus.IN_PROGRESS,
                           message=f"Assessment attached from {assessment_dir}")
    store.set_phase_status(migration_uuid, Phase.ASSESSMENT, PhaseStatus.COMPLETED,
                           metadata={"summary": summary, "assessment_dir": str(assessment_dir),
                                     "target_db_version": report.target_db_version},
                           message=f"Assessment completed: {summary}")
