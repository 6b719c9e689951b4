"""The queries every collector runs, kept as package data so a DBA's script and the live collector run the very same
SQL (`sql/<source type>/<name>.sql`).

Each file is one SELECT whose column aliases are the columns of one CSV of the layout, after a small header:

    -- csv: index-info.csv          the file of the layout it feeds
    -- reads: pg_index, pg_class    the catalog views it reads (for the README and the privilege notes)
    -- about: one row per index...   what it collects (may repeat; the lines are joined)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ...errors import VoyagerError
from ..layout import CSV_FILES, CsvSpec, SourceDbType

DEFAULT_IOPS_INTERVAL = 120
"""Seconds between the two IOPS samples unless the user picks another window."""
DEFAULT_STATEMENT_TIMEOUT = 60
"""Seconds any one collection statement may run."""
MARKER = "voyager-tui:assessment"
"""Written into every collection statement, so the query statistics can leave the collection's own queries out."""


@dataclass(frozen=True)
class SqlFile:
    name: str
    """File name without .sql, e.g. "index-info"."""
    csv: str
    reads: tuple[str, ...]
    about: str
    body: str
    """The query, without the header comments and without a trailing semicolon."""

    @property
    def spec(self) -> CsvSpec:
        for spec in CSV_FILES:
            if spec.name == self.csv:
                return spec
        raise VoyagerError(f"{self.name}.sql feeds {self.csv}, which is not a file of the metadata layout")


def _parse(name: str, text: str) -> SqlFile:
    header: dict[str, list[str]] = {"csv": [], "reads": [], "about": []}
    lines = text.splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        key, sep, value = stripped.removeprefix("--").strip().partition(":")
        if stripped.startswith("--") and sep and key in header:
            header[key].append(value.strip())
            continue
        body_start = i
        break
    body = "\n".join(lines[body_start:]).strip().rstrip(";").rstrip()
    if len(header["csv"]) != 1 or not body:
        raise VoyagerError(f"{name}.sql: needs exactly one `-- csv:` header line and a query")
    reads = tuple(r.strip() for line in header["reads"] for r in line.split(",") if r.strip())
    return SqlFile(name=name, csv=header["csv"][0], reads=reads, about=" ".join(header["about"]), body=body)


@cache
def load(source_type: SourceDbType, name: str) -> SqlFile:
    """One query file of a source type, e.g. load(POSTGRESQL, "index-info")."""
    path = resources.files(__package__).joinpath(source_type.value, f"{name}.sql")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoyagerError(f"no query {name}.sql for {source_type.value} in the installed package") from None
    return _parse(name, text)


def resource_text(source_type: SourceDbType, file_name: str) -> str:
    """A non-query file shipped next to the queries (the shell wrappers)."""
    return resources.files(__package__).joinpath(source_type.value, file_name).read_text(encoding="utf-8")
