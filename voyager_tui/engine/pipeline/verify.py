"""Step: verify — compare every table's rows on both sides, chunk by chunk."""

from __future__ import annotations

import os
from typing import Any

from ..data.verify import verify_data
from ..errors import VoyagerError
from ..formatting import format_count
from ..phases import Phase
from ..schema.manifest import write_json_atomic
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep


class VerifyStep(PostgresStep):
    phase = Phase.VERIFY
    needs_export_dir = False  # reads both databases and the chunk plan in the target, not the files
    options: tuple[StepOption, ...] = (
        StepOption("parallel-jobs", int, max(1, min(4, os.cpu_count() or 2)), "Chunks compared at once."),
    )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        result = verify_data(ctx, jobs=int(ctx.options["parallel_jobs"]))
        report = result.model_dump(mode="json")
        ctx.store.save_report(ctx.migration.migration_uuid, "verification", report)
        where = "report 'verification' in ybvoyager.reports"
        try:
            xdir = ctx.export_dir
        except VoyagerError:
            xdir = None  # verify reads only the databases: a machine without the export dir can run it
        if xdir is not None and xdir.root.is_dir():
            path = xdir.ensure().reports_dir / "verification.json"
            write_json_atomic(path, report)
            where = str(path)
        rows = sum(t.source_rows for t in result.tables)
        if not result.clean:
            bad = sum(len(t.mismatches) for t in result.tables)
            raise VoyagerError(f"{bad} chunk(s) differ; first: {result.first_problem()} (full list: {where})")
        return {"clean": True, "verified_at": report["verified_at"], "rows": rows,
                "summary": f"verified {format_count(rows)} rows in {len(result.tables)} tables: "
                           "counts and checksums match on both sides"}


register_step(VerifyStep())
