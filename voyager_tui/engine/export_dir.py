"""The export directory: files that travel between the export and import machines."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

from .errors import VoyagerError

# Below this much free space an export refuses to start a new file rather than fail half-way through it.
MIN_FREE_BYTES = 256 * 1024 * 1024
# Names the migration a directory belongs to: `end` deletes only a directory carrying its own migration's marker.
MARKER_NAME = ".voyager-tui-export"


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

    @property
    def marker(self) -> Path:
        return self.root / MARKER_NAME

    def owner(self) -> str | None:
        """The migration uuid in the marker, or None when there is no marker."""
        try:
            return self.marker.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VoyagerError(f"cannot read {self.marker}: {exc.strerror or exc}") from None

    def ensure(self, owner: str | None = None) -> ExportDir:
        """Create the directory tree; with `owner` (a migration uuid) also claim it for that migration."""
        if owner is not None and self.owner() not in (None, owner):
            raise VoyagerError(f"export dir {self.root} belongs to another migration ({self.owner()}): "
                               "pass a different --export-dir")
        try:
            for d in (self.schema_dir, self.data_dir, self.reports_dir, self.errors_dir):
                d.mkdir(parents=True, exist_ok=True)
            if owner is not None and not self.marker.exists():
                self.marker.write_text(owner + "\n", encoding="utf-8")
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
