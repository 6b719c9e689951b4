"""The export directory: files that travel between the export and import machines."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

from .errors import VoyagerError

# Below this much free space an export refuses to start a new file rather than fail half-way through it.
MIN_FREE_BYTES = 256 * 1024 * 1024


class ExportDir:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def schema_dir(self) -> Path:
        return self.root / "schema"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def errors_dir(self) -> Path:
        return self.root / "errors"

    def ensure(self) -> ExportDir:
        try:
            for d in (self.schema_dir, self.data_dir, self.reports_dir, self.errors_dir):
                d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VoyagerError(f"cannot create export dir {self.root}: {exc.strerror or exc}") from None
        if not os.access(self.root, os.W_OK):
            raise VoyagerError(f"export dir {self.root} is not writable")
        return self

    def require(self) -> ExportDir:
        """For steps that read what an earlier step wrote: the directory must already be there."""
        if not self.root.is_dir():
            raise VoyagerError(f"export dir {self.root} does not exist on this machine "
                               "(run the export here, copy the directory here, or pass --export-dir)")
        return self

    def table_dir(self, schema: str, table: str) -> Path:
        """One directory per table; names are percent-encoded so any identifier is a safe file name."""
        return self.data_dir / f"{quote(schema, safe='')}.{quote(table, safe='')}"

    def check_free_space(self, needed: int = MIN_FREE_BYTES) -> None:
        free = shutil.disk_usage(self.root).free
        if free < needed:
            raise VoyagerError(f"export dir {self.root} has only {free // (1024 * 1024)} MiB free; "
                               f"free at least {needed // (1024 * 1024)} MiB and re-run (finished work is kept)")
