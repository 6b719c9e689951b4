"""Step: end — archive reports and schema to a backup dir, clean the export dir, mark the migration complete."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import VoyagerError
from ..export_dir import MARKER_NAME, ExportDir
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
        # Resolved, so `.` or `..` name a real directory and containment checks compare like with like.
        xdir = ExportDir(ctx.export_dir.root.resolve())
        if xdir.root.is_dir():
            _check_owned(ctx, xdir)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        chosen = ctx.options.get("backup_dir")
        backup = (Path(chosen).expanduser().resolve() if chosen
                  else xdir.root.with_name(f"{xdir.root.name}-backup-{stamp}"))
        if backup == xdir.root or xdir.root in backup.parents:
            raise VoyagerError(f"the backup dir {backup} is inside the export dir {xdir.root}, which end deletes: "
                               "choose a backup dir outside it")
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


def _check_owned(ctx: StepContext, xdir: ExportDir) -> None:
    """Refuse to delete a directory that is not this migration's export dir (a typo'd --export-dir, the home
    directory, another migration's export dir). Directories exported before the marker existed are accepted when
    they have the export layout and are the very path registered with the migration."""
    mid = str(ctx.migration.migration_uuid)
    owner = xdir.owner()
    if owner == mid:
        return
    if owner is None:
        registered = ctx.migration.export_dir
        if (xdir.schema_dir.is_dir() and xdir.data_dir.is_dir() and registered
                and Path(registered).expanduser().resolve() == xdir.root):
            return
        why = f"it has no {MARKER_NAME} marker and is not this migration's registered export dir"
    else:
        why = f"its {MARKER_NAME} marker names another migration ({owner})"
    raise VoyagerError(f"refusing to delete {xdir.root}: {why}; nothing was archived or deleted")


register_step(EndStep())
