"""`<export_dir>/schema/objects.json`: the exported schema, one entry per pg_dump TOC object.

Export schema writes it; analyze, import and finalize schema read it. The file is the contract between
those steps (and between machines), so it is versioned and validated here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import VoyagerError

MANIFEST_VERSION = 1

ObjectType = Literal[
    "SCHEMA", "EXTENSION", "TYPE", "DOMAIN", "SEQUENCE", "TABLE", "FUNCTION", "PROCEDURE", "AGGREGATE", "VIEW",
    "MATERIALIZED VIEW", "TRIGGER", "INDEX", "CONSTRAINT", "FK CONSTRAINT", "RULE", "POLICY", "COMMENT",
    "FOREIGN TABLE", "OTHER",
]
OBJECT_TYPES: tuple[str, ...] = get_args(ObjectType)


class SchemaObject(BaseModel):
    """One exported object: its pg_dump TOC type ("desc"), name, the file it went to and its SQL (possibly
    several statements, e.g. a table followed by its ALTER TABLE ... SET STATISTICS)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    type: ObjectType
    schema_name: str | None = Field(default=None, alias="schema")
    name: str
    file: str = ""
    sql: str

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        # pg_dump has more TOC kinds than the contract names (COLLATION, SERVER, TABLE ATTACH, ROW SECURITY,
        # ...); they travel as OTHER rather than making the whole manifest unreadable.
        if isinstance(value, str):
            upper = value.strip().upper()
            return upper if upper in OBJECT_TYPES else "OTHER"
        return value

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.name}" if self.schema_name else self.name


class SchemaManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: int = MANIFEST_VERSION
    source_version: str | None = None
    objects: list[SchemaObject] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value > MANIFEST_VERSION:
            raise ValueError(f"manifest version {value} is newer than this voyager-tui understands "
                             f"({MANIFEST_VERSION}); upgrade voyager-tui")
        return value


def load_manifest(path: Path) -> SchemaManifest:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoyagerError(f"{path} does not exist: run export schema first") from None
    except OSError as exc:
        raise VoyagerError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return SchemaManifest.model_validate(json.loads(raw))
    except (json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0:3]
        raise VoyagerError(f"{path} is not a valid schema manifest: {' '.join(first)}") from None


def write_manifest(path: Path, manifest: SchemaManifest) -> None:
    """Write atomically, so a reader (or a crash) never sees half a manifest."""
    write_json_atomic(path, manifest.model_dump(mode="json", by_alias=True))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
