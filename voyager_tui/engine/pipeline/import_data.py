"""Step: import data — load every exported chunk into the target exactly once."""

from __future__ import annotations

import os
from typing import Any

from ..data.importer import import_data
from ..formatting import format_count
from ..phases import Phase
from ..steps import StepContext, StepOption, register_step
from ._base import PostgresStep

DEFAULT_JOBS = max(1, min(4, os.cpu_count() or 2))


class ImportDataStep(PostgresStep):
    phase = Phase.IMPORT_DATA
    options: tuple[StepOption, ...] = (
        StepOption("parallel-jobs", int, DEFAULT_JOBS, "Chunks loaded at once (one connection each)."),
        StepOption("error-policy", str, "abort", "What a row the target rejects does: stop the import, or be "
                   "set aside in the errors dir and counted.", choices=("abort", "stash-and-continue")),
        StepOption("truncate-tables", bool, False, "Empty target tables that already hold rows before loading them."),
        StepOption("start-clean", bool, False, "Forget earlier import progress and empty every migrated table."),
    )

    def run(self, ctx: StepContext) -> dict[str, Any]:
        o = ctx.options
        tables = import_data(ctx, jobs=int(o["parallel_jobs"]), policy=o["error_policy"],
                             truncate_tables=bool(o["truncate_tables"]), start_clean=bool(o["start_clean"]))
        rows = sum(t.rows for t in tables)
        errored = sum(t.errored_rows for t in tables)
        report = {"tables": [t.model_dump() for t in tables], "rows": rows, "errored_rows": errored,
                  "errors_dir": str(ctx.export_dir.errors_dir) if errored else None}
        ctx.store.save_report(ctx.migration.migration_uuid, "data_migration", report)
        summary = f"imported {format_count(rows)} rows into {len(tables)} tables"
        if errored:
            summary += f"; {format_count(errored)} rows were set aside in {ctx.export_dir.errors_dir}"
        return {"rows": rows, "errored_rows": errored, "summary": summary}


register_step(ImportDataStep())
