"""Suggestions in the target's ybvoyager.suggestions: the audit trail of what was proposed, proven and decided."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from ..errors import VoyagerError
from ..state_store import StateStore
from .models import Decision, Suggestion, ValidationStatus

_COLUMNS = ("suggestion_id", "migration_uuid", "object_type", "object_name", "issue_type", "original_sql",
            "suggested_sql", "reason", "caveats", "provider", "model", "validation_status", "validation_evidence",
            "decision", "decided_by", "decided_at", "edited")
_MUTABLE = [c for c in _COLUMNS if c != "suggestion_id"]
_UPSERT = (
    f"INSERT INTO ybvoyager.suggestions ({', '.join(_COLUMNS)}) VALUES ({', '.join('%s' for _ in _COLUMNS)}) "
    f"ON CONFLICT (suggestion_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _MUTABLE)}, "
    "updated_at = now()"
)
_SELECT = "SELECT to_jsonb(s) FROM ybvoyager.suggestions s"


def save_suggestions(conn: psycopg.Connection[Any], suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    """Insert or update each suggestion (by id) in one transaction; returns them as stored."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT, [_row(s) for s in suggestions])
    return [get_suggestion(conn, s.suggestion_id) for s in suggestions]


def get_suggestion(conn: psycopg.Connection[Any], suggestion_id: UUID) -> Suggestion:
    row = conn.execute(f"{_SELECT} WHERE suggestion_id = %s", (suggestion_id,)).fetchone()
    if not row:
        raise VoyagerError(f"no suggestion {suggestion_id} in ybvoyager.suggestions")
    return Suggestion.model_validate(row[0])


def list_suggestions(conn: psycopg.Connection[Any], migration_uuid: UUID | None) -> list[Suggestion]:
    """A migration's suggestions (or those made outside any migration for None), oldest first."""
    rows = conn.execute(
        f"{_SELECT} WHERE migration_uuid IS NOT DISTINCT FROM %s ORDER BY created_at, object_name, suggestion_id",
        (migration_uuid,),
    ).fetchall()
    return [Suggestion.model_validate(r[0]) for r in rows]


def decide(conn: psycopg.Connection[Any], suggestion_id: UUID, decision: Decision, who: str) -> Suggestion:
    """Record a reviewer's decision (who, and the target's time) and put it on the migration's timeline.

    Only a suggestion proven on the target (VALID) can be accepted: the point of validation is that nobody
    accepts an unproven fix.
    """
    if decision == Decision.PENDING:
        raise VoyagerError("a decision is ACCEPTED or REJECTED")
    with conn.transaction():
        current = _locked(conn, suggestion_id)
        if decision == Decision.ACCEPTED and current.validation_status != ValidationStatus.VALID:
            raise VoyagerError(f"cannot accept the suggestion for {current.object_name}: its validation is "
                               f"{current.validation_status.value}; validate it on the target first")
        conn.execute(
            """UPDATE ybvoyager.suggestions SET decision = %s, decided_by = %s, decided_at = now(), updated_at = now()
               WHERE suggestion_id = %s""",
            (decision.value, who, suggestion_id),
        )
        done = get_suggestion(conn, suggestion_id)
        if done.migration_uuid is not None:
            verb = "accepted" if decision == Decision.ACCEPTED else "rejected"
            StateStore(conn).record_event(
                done.migration_uuid, f"ai_suggestion_{verb}",
                f"{who} {verb} the {done.provider} fix for {done.object_type} {done.object_name} ({done.issue_type})",
                data={"suggestion_id": str(suggestion_id), "decided_by": who, "issue_type": done.issue_type,
                      "validation_status": done.validation_status.value},
            )
    return done


def update_suggested_sql(conn: psycopg.Connection[Any], suggestion_id: UUID, suggested_sql: str,
                         who: str) -> Suggestion:
    """A reviewer's edit: the new SQL is unproven, so validation goes back to PENDING and any decision is undone."""
    with conn.transaction():
        _locked(conn, suggestion_id)
        conn.execute(
            """UPDATE ybvoyager.suggestions SET suggested_sql = %s, edited = TRUE, validation_status = 'PENDING',
                      validation_evidence = '', decision = 'PENDING', decided_by = NULL, decided_at = NULL,
                      updated_at = now()
               WHERE suggestion_id = %s""",
            (suggested_sql, suggestion_id),
        )
        done = get_suggestion(conn, suggestion_id)
        if done.migration_uuid is not None:
            StateStore(conn).record_event(
                done.migration_uuid, "ai_suggestion_edited",
                f"{who} edited the fix for {done.object_type} {done.object_name}; it must be validated again",
                data={"suggestion_id": str(suggestion_id), "edited_by": who},
            )
    return done


def _locked(conn: psycopg.Connection[Any], suggestion_id: UUID) -> Suggestion:
    row = conn.execute(f"{_SELECT} WHERE suggestion_id = %s FOR UPDATE", (suggestion_id,)).fetchone()
    if not row:
        raise VoyagerError(f"no suggestion {suggestion_id} in ybvoyager.suggestions")
    return Suggestion.model_validate(row[0])


def _row(s: Suggestion) -> tuple[Any, ...]:
    return (s.suggestion_id, s.migration_uuid, s.object_type, s.object_name, s.issue_type, s.original_sql,
            s.suggested_sql, s.reason, Jsonb(s.caveats), s.provider, s.model, s.validation_status.value,
            s.validation_evidence, s.decision.value, s.decided_by, s.decided_at, s.edited)
