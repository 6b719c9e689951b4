"""Fixtures for the data-step tests: an awkward source whose schema is already in the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.data_fixtures import SCHEMAS, build_awkward_source, copy_schema
from tests.helpers import complete, open_store, register
from voyager_tui.engine.connections import ConnectionParams
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
