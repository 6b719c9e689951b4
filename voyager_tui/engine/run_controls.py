"""Run controls: a setting of a running step (e.g. import data's parallel jobs) changed without restarting it.

A requester writes the row (status PENDING, a fresh request_id); the runner polls it, applies the value and
acknowledges (APPLIED or REJECTED, with what it now runs with). Both sides record events, so the event log
says who asked for what and what the runner did.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from .lease import actor
from .phases import Phase
from .state_store import StateStore

PARALLEL_JOBS = "parallel_jobs"
MAX_PARALLEL_JOBS = 64


class ControlStatus(StrEnum):
    PENDING = "PENDING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"


class RunControl(BaseModel):
    migration_uuid: UUID
    phase: Phase
    setting: str
    request_id: UUID
    requested_value: Any
    reason: str = ""
    requested_by: str
    requested_at: datetime
    status: ControlStatus
    applied_value: Any = None
    applied_by: str | None = None
    applied_at: datetime | None = None
    message: str = ""


def read_control(store: StateStore, migration_uuid: UUID, phase: Phase, setting: str) -> RunControl | None:
    row = store.conn.execute(
        """SELECT to_jsonb(c) FROM ybvoyager.run_controls c
           WHERE migration_uuid = %s AND phase = %s AND setting = %s""",
        (migration_uuid, phase.value, setting)).fetchone()
    return None if row is None else RunControl.model_validate(row[0])


def request_setting(store: StateStore, migration_uuid: UUID, phase: Phase, setting: str, value: Any, *,
                    reason: str = "", who: str | None = None) -> RunControl:
    """Ask the runner of `phase` to change `setting`; the last applied value stays until it acknowledges."""
    who = who or actor()
    with store.conn.transaction():
        row = store.conn.execute(
            """INSERT INTO ybvoyager.run_controls (migration_uuid, phase, setting, request_id, requested_value, reason,
                   requested_by, status)
               VALUES (%s, %s, %s, %s, %s, %s, %s, 'PENDING')
               ON CONFLICT (migration_uuid, phase, setting) DO UPDATE SET request_id = EXCLUDED.request_id,
                   requested_value = EXCLUDED.requested_value, reason = EXCLUDED.reason,
                   requested_by = EXCLUDED.requested_by, requested_at = now(), status = 'PENDING', message = ''
               RETURNING to_jsonb(run_controls.*)""",
            (migration_uuid, phase.value, setting, uuid.uuid4(), Jsonb(value), reason, who)).fetchone()
        assert row is not None
        control = RunControl.model_validate(row[0])
        store.record_event(migration_uuid, "run_control_requested",
                           f"{who} asked the running step to set {setting} to {value}"
                           + (f": {reason}" if reason else ""),
                           phase=phase, data={"setting": setting, "value": value, "reason": reason,
                                              "request_id": str(control.request_id)})
    return control


def acknowledge(store: StateStore, control: RunControl, status: ControlStatus, applied_value: Any, *, by: str,
                message: str) -> bool:
    """Record what the runner made of a request; False when a newer request replaced it meanwhile."""
    row = store.conn.execute(
        """UPDATE ybvoyager.run_controls SET status = %s, applied_value = %s, applied_by = %s, applied_at = now(),
               message = %s
           WHERE migration_uuid = %s AND phase = %s AND setting = %s AND request_id = %s RETURNING 1""",
        (status.value, Jsonb(applied_value), by, message, control.migration_uuid, control.phase.value,
         control.setting, control.request_id)).fetchone()
    return row is not None


def start_run(store: StateStore, migration_uuid: UUID, phase: Phase, setting: str, value: Any, *,
              by: str) -> RunControl | None:
    """At a runner's start: a request made since this run's lease was taken is returned, still PENDING, for the
    runner to apply; anything older is replaced by the value the run starts with, so it shows the live value."""
    with store.conn.transaction():
        row = store.conn.execute(
            """SELECT to_jsonb(c), c.status = 'PENDING' AND c.requested_at >= coalesce(
                   (SELECT started_at FROM ybvoyager.runner_leases l
                    WHERE l.migration_uuid = c.migration_uuid AND l.phase = c.phase), now())
               FROM ybvoyager.run_controls c WHERE migration_uuid = %s AND phase = %s AND setting = %s
               FOR UPDATE""", (migration_uuid, phase.value, setting)).fetchone()
        if row is not None and row[1]:
            return RunControl.model_validate(row[0])
        store.conn.execute(
            """INSERT INTO ybvoyager.run_controls AS c (migration_uuid, phase, setting, request_id, requested_value,
                   reason, requested_by, status, applied_value, applied_by, applied_at, message)
               VALUES (%(u)s, %(p)s, %(s)s, %(id)s, %(v)s, 'start value', %(by)s, 'APPLIED', %(v)s, %(by)s, now(),
                       'the run started with this value')
               ON CONFLICT (migration_uuid, phase, setting) DO UPDATE SET request_id = EXCLUDED.request_id,
                   requested_value = EXCLUDED.requested_value, reason = EXCLUDED.reason,
                   requested_by = EXCLUDED.requested_by, requested_at = now(), status = 'APPLIED',
                   applied_value = EXCLUDED.applied_value, applied_by = EXCLUDED.applied_by, applied_at = now(),
                   message = CASE WHEN c.status = 'PENDING'
                                  THEN 'the run started with this value; an unanswered request from before it '
                                       || 'was dropped' ELSE EXCLUDED.message END""",
            {"u": migration_uuid, "p": phase.value, "s": setting, "id": uuid.uuid4(), "v": Jsonb(value), "by": by})
    return None


def pending_request(store: StateStore, migration_uuid: UUID, phase: Phase, setting: str) -> RunControl | None:
    control = read_control(store, migration_uuid, phase, setting)
    return control if control is not None and control.status == ControlStatus.PENDING else None


def parse_parallel_jobs(value: Any) -> int | None:
    """The requested number of jobs, or None when it is not a whole number in 1..MAX_PARALLEL_JOBS."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        jobs = int(value)
    except ValueError:
        return None
    return jobs if 1 <= jobs <= MAX_PARALLEL_JOBS else None
