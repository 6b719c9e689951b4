"""Reading a target's state over and over for a live view: one connection, reopened after a failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from .connections import ConnectionParams, connect_pg
from .errors import ConnectionFailed, MigrationNotFound, StateSchemaMissing, VoyagerError, one_line
from .models import Event, MigrationSnapshot, MigrationSummary
from .secrets import DbRole
from .state_store import StateStore


class WatchRequest(BaseModel):
    """What the open screens want from one target in the next poll."""

    model_config = ConfigDict(frozen=True)

    snapshots: frozenset[UUID] = frozenset()
    events_after: dict[UUID, int] = Field(default_factory=dict)
    """Migration -> last event id already shown; the poll returns newer events."""


class TargetPoll(BaseModel):
    """An immutable picture of one target, posted to the UI after each poll."""

    model_config = ConfigDict(frozen=True)

    summaries: list[MigrationSummary] = Field(default_factory=list)
    snapshots: dict[UUID, MigrationSnapshot] = Field(default_factory=dict)
    new_events: dict[UUID, list[Event]] = Field(default_factory=dict)
    note: str | None = None
    """Why the target shows no migrations, when it has no ybvoyager schema."""


class TargetWatch:
    """Polls one target. Not thread-safe: the UI runs at most one poll per target at a time."""

    def __init__(self, params: ConnectionParams, *, password: str | None = None,
                 as_of: datetime | None = None) -> None:
        self.params = params
        self.password = password
        self.as_of = as_of
        """Fixed server time for reproducible screenshots; None means the server's now()."""
        self._conn: psycopg.Connection[Any] | None = None
        self._state: StateStore | None = None

    def poll(self, request: WatchRequest) -> TargetPoll:
        """Raises ConnectionFailed when the target cannot be read; the next poll reconnects."""
        try:
            store = self._store()
        except StateSchemaMissing as exc:
            return TargetPoll(note=str(exc))
        try:
            summaries = store.list_migrations(as_of=self.as_of)
            snapshots: dict[UUID, MigrationSnapshot] = {}
            for mid in request.snapshots:
                try:
                    snapshots[mid] = store.snapshot(mid, as_of=self.as_of)
                except MigrationNotFound:
                    continue
            events = {mid: store.events(mid, after_id=after) for mid, after in request.events_after.items()}
        except psycopg.Error as exc:
            self.close()
            raise ConnectionFailed(f"lost target {self.params.label}: {one_line(exc)}") from None
        return TargetPoll(summaries=summaries, snapshots=snapshots, new_events=events)

    def _store(self) -> StateStore:
        # The schema version is checked once per connection, not on every poll.
        if self._state is not None and self._conn is not None and not self._conn.closed:
            return self._state
        if self._conn is None or self._conn.closed:
            self._conn = connect_pg(self.params, DbRole.TARGET, password=self.password,
                                    application_name="voyager-tui-poll")
        try:
            self._state = StateStore(self._conn)
        except VoyagerError:
            raise
        except psycopg.Error as exc:
            self.close()
            raise ConnectionFailed(f"lost target {self.params.label}: {one_line(exc)}") from None
        return self._state

    def close(self) -> None:
        self._state = None
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
