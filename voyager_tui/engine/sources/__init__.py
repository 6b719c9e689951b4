"""Source databases behind one protocol: what `migrate init` needs to know about a source."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ..connections import ConnectionParams
from ..errors import VoyagerError
from ..secrets import PasswordPrompt


class SourceType(StrEnum):
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    ORACLE = "oracle"

    @property
    def default_port(self) -> int:
        return {"postgresql": 5432, "mysql": 3306, "oracle": 1521}[self.value]

    @property
    def default_user(self) -> str:
        return {"postgresql": "postgres", "mysql": "root", "oracle": "system"}[self.value]


class SourceInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    identifier: str
    """Stable identity of the source database, so one source+schemas+target is registered once."""
    schemas: list[str]
    """The schemas that will be migrated, as the source spells them."""


def probe_source(
    source_type: SourceType, params: ConnectionParams, schemas: list[str], *, prompt: PasswordPrompt | None = None
) -> SourceInfo:
    """Connect to the source, check the schemas exist, and read its version and identity."""
    if source_type == SourceType.POSTGRESQL:
        from .postgresql import probe

        return probe(params, schemas, prompt=prompt)
    if source_type == SourceType.MYSQL:
        from .mysql import probe as probe_mysql

        return probe_mysql(params, schemas, prompt=prompt)
    raise VoyagerError("Oracle sources are not supported yet: assessment scripts come first, migration later")
