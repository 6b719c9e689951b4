"""What the built-in steps share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..models import MigrationSnapshot
from ..phases import Phase
from ..steps import StepContext, StepOption


class PostgresStep:
    """A step of a PostgreSQL-source migration. Subclasses set `phase` and implement `run`."""

    phase: Phase
    options: tuple[StepOption, ...] = ()
    needs_export_dir: bool = True
    """Whether the step reads the export dir (so it must exist on this machine)."""

    def unavailable_reason(self, snapshot: MigrationSnapshot, options: Mapping[str, Any]) -> str | None:
        mig = snapshot.migration
        if mig.source_db_type != "postgresql":
            return f"{mig.source_db_type} sources cannot be migrated by this version yet (PostgreSQL only)"
        chosen = options.get("export_dir") or mig.export_dir
        if not self.needs_export_dir:
            return None
        if not chosen:
            return "this migration has no export dir recorded: pass --export-dir"
        if not Path(chosen).expanduser().is_dir():
            return f"the export dir {chosen} is not on this machine (copy it here or pass --export-dir)"
        return None

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        raise NotImplementedError
