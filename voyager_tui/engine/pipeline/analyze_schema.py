"""`migrate analyze schema`: report what of the exported schema the chosen YugabyteDB version cannot run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import VoyagerError
from ..models import MigrationRecord, MigrationSnapshot
from ..phases import Phase
from ..steps import StepContext, StepOption, register_step
from ..yb_versions import LATEST_STABLE, YBVersion
from ._base import PostgresStep

AUTO = "auto"
REPORT_TYPE = "schema_analysis"
REPORT_JSON = "schema_analysis.json"
REPORT_HTML = "schema_analysis.html"


def default_target_version(migration: MigrationRecord) -> str:
    """The target's own release when the target is YugabyteDB, else the latest stable release."""
    own = YBVersion.from_server_version(migration.target_db_version)
    return str(own) if own is not None else LATEST_STABLE


class AnalyzeSchemaStep(PostgresStep):
    phase = Phase.ANALYZE_SCHEMA
    options: tuple[StepOption, ...] = (
        StepOption("target-db-version", str, AUTO,
                   f"YugabyteDB version to check the schema against, e.g. 2024.2.3.0 or 2025.1; '{AUTO}' means "
                   f"the target's own version when it is YugabyteDB, else {LATEST_STABLE}"),
    )

    def unavailable_reason(self, snapshot: MigrationSnapshot, options: Mapping[str, Any]) -> str | None:
        reason = super().unavailable_reason(snapshot, options)
        if reason:
            return reason
        chosen = options.get("target_db_version") or AUTO
        if chosen != AUTO:
            try:
                YBVersion.parse(str(chosen))
            except VoyagerError as exc:
                return f"--target-db-version: {exc}"
        return None

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        # Imported here: pglast and jinja2 are only needed when the step runs, not for CLI start-up.
        from ..schema.analyze import analyze_manifest, render_html
        from ..schema.manifest import load_manifest, write_json_atomic, write_text_atomic

        chosen = str(ctx.options.get("target_db_version") or AUTO)
        version = default_target_version(ctx.migration) if chosen == AUTO else chosen
        export = ctx.export_dir.require()
        manifest_path = export.schema_dir / "objects.json"
        ctx.reporter.progress(f"Reading {manifest_path}", 0, 3)
        manifest = load_manifest(manifest_path)
        ctx.check_cancelled()

        ctx.reporter.progress(f"Analyzing {len(manifest.objects)} objects for YugabyteDB {version}", 1, 3)
        analysis = analyze_manifest(manifest, version)
        ctx.check_cancelled()

        ctx.reporter.progress("Writing the report", 2, 3)
        data = analysis.model_dump(mode="json")
        json_path = export.reports_dir / REPORT_JSON
        html_path = export.reports_dir / REPORT_HTML
        write_json_atomic(json_path, data)
        write_text_atomic(html_path, render_html(analysis))
        ctx.store.save_report(ctx.migration.migration_uuid, REPORT_TYPE, data)
        l3, l2, l1 = analysis.impact_counts()
        total = analysis.summary.total_issues
        ctx.reporter.progress(f"{total} issues found", 3, 3)
        noun = "issue" if total == 1 else "issues"
        return {
            "summary": f"{total} {noun} ({l3} L3, {l2} L2, {l1} L1) for YugabyteDB {version}; report: {html_path}",
            "issues": total,
            "target_db_version": version,
        }


register_step(AnalyzeSchemaStep())
