"""Fixtures for the data-step tests: an awkward source whose schema is already in the target."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.data_fixtures import SCHEMAS, build_awkward_source, copy_schema
from tests.helpers import complete, open_store, register
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres
from voyager_tui.engine.phases import Phase


@pytest.fixture
def prepared(source_db: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> dict[str, Any]:
    """Schema steps done (the target has the tables), data not yet exported."""
    build_awkward_source(source_db)
    copy_schema(source_db, target_db)
    rec = register(source_db, target_db, schemas=SCHEMAS)
    complete(open_store(target_db), rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA)
    return {"source": source_db, "target": target_db, "mid": rec.migration_uuid,
            "opts": {"export_dir": str(tmp_path / "export")}, "dir": tmp_path / "export"}


@pytest.fixture(scope="session")
def pgss_cluster() -> Iterator[EmbeddedPostgres]:
    """A private cluster that preloads pg_stat_statements (the 5432 service does not)."""
    base = Path(tempfile.mkdtemp(prefix="vt-pgss-"))
    base.chmod(0o755)  # as root the server runs as `postgres`, which must reach this directory
    server = EmbeddedPostgres(base / "pg", extra_options=["shared_preload_libraries=pg_stat_statements",
                                                          "pg_stat_statements.track=all"])
    server.start()
    try:
        yield server
    finally:
        server.destroy()
        shutil.rmtree(base, ignore_errors=True)
