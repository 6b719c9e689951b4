"""Step: export data — every table of the migrated schemas into resumable chunk files."""

from __future__ import annotations

import os
from typing import Any

from ..data.export import export_data
from ..formatting import format_count
from ..phases import Phase
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep

DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 2))


class ExportDataStep(PostgresStep):
    phase = Phase.EXPORT_DATA
    needs_export_dir = False  # created if missing: export may run on a machine that did not export the schema
    options: tuple[StepOption, ...] = (
        StepOption("parallel-jobs", int, DEFAULT_JOBS, "Tables/chunks exported at once."),
        StepOption("batch-size", int, 100_000, "Rows per chunk; each chunk is later imported as one batch."),
    )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        tables = export_data(ctx, jobs=int(ctx.options["parallel_jobs"]), rows_per_chunk=int(ctx.options["batch_size"]))
        rows = sum(t.rows for t in tables)
        chunks = sum(t.chunks for t in tables)
        report = {"tables": [t.model_dump() for t in tables], "rows": rows, "chunks": chunks,
                  "export_dir": str(ctx.export_dir.root)}
        ctx.store.save_report(ctx.migration.migration_uuid, "data_export", report)
        return {"rows": rows, "chunks": chunks,
                "summary": f"exported {format_count(rows)} rows of {len(tables)} tables in {chunks} chunks "
                           f"to {ctx.export_dir.data_dir}"}


register_step(ExportDataStep())
