"""Test helpers that talk to the real target."""

from __future__ import annotations

from typing import Any

import psycopg

from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.models import MigrationRecord
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.registration import InitRequest, init_migration
from voyager_tui.engine.secrets import DbRole
from voyager_tui.engine.sources import SourceType
from voyager_tui.engine.state_store import StateStore


def register(source: ConnectionParams, target: ConnectionParams, name: str = "shop",
             schemas: list[str] | None = None) -> MigrationRecord:
    return init_migration(InitRequest(migration_name=name, source_type=SourceType.POSTGRESQL, source=source,
                                      source_schemas=schemas or ["public"], target=target))


def complete(store: StateStore, mid: Any, *phases: Phase) -> None:
    """Mark phases done as if their steps had run (for tests of later steps)."""
    for phase in phases:
        store.set_phase_status(mid, phase, PhaseStatus.IN_PROGRESS)
        store.set_phase_status(mid, phase, PhaseStatus.COMPLETED)


def open_store(target: ConnectionParams) -> StateStore:
    return StateStore(connect_pg(target, DbRole.TARGET), create=True)


def target_conn(target: ConnectionParams) -> psycopg.Connection[Any]:
    return connect_pg(target, DbRole.TARGET)
