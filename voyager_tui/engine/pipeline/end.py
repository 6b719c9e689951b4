"""Step: end — archive reports and schema to a backup dir, clean the export dir, mark the migration complete."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import VoyagerError
from ..phases import Phase
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep


class EndStep(PostgresStep):
    phase = Phase.END
    needs_export_dir = False  # nothing to clean on a machine without it; the backup still gets the reports
    options: tuple[StepOption, ...] = (
        StepOption("backup-dir", str, "", "Where reports, schema files and errors are archived "
                                         "(default: next to the export dir)."),
    )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        xdir = ctx.export_dir
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        chosen = ctx.options.get("backup_dir")
        backup = Path(chosen).expanduser() if chosen else xdir.root.with_name(
            f"{xdir.root.name}-backup-{stamp}")
        try:
            backup.mkdir(parents=True, exist_ok=True)
            for part in (xdir.reports_dir, xdir.schema_dir, xdir.errors_dir):
                if part.is_dir():
                    shutil.copytree(part, backup / part.name, dirs_exist_ok=True)
            reports = ctx.store.conn.execute(
                "SELECT report_type, report_version, report_data FROM ybvoyager.reports WHERE migration_uuid = %s "
                "ORDER BY 1, 2", (ctx.migration.migration_uuid,)).fetchall()
            (backup / "state-reports.json").write_text(json.dumps(
                [{"type": t, "version": v, "data": d} for t, v, d in reports], indent=2, default=str))
        except OSError as exc:
            raise VoyagerError(f"cannot archive to {backup}: {exc.strerror or exc}; nothing was deleted") from None
        # Only after the archive is complete is anything removed.
        if xdir.root.is_dir():
            shutil.rmtree(xdir.root)
        return {"backup_dir": str(backup),
                "summary": f"archived reports, schema and errors to {backup}; removed {xdir.root}. "
                           "The migration is complete; its history stays readable in the target."}


register_step(EndStep())
