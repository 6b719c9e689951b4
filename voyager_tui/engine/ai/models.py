"""The suggestion model shared by providers, validation, the store and the review screen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from pydantic import BaseModel, Field


class ValidationStatus(StrEnum):
    PENDING = "PENDING"
    VALID = "VALID"
    """Ran on the target (then rolled back) and its smoke check passed."""
    INVALID = "INVALID"
    """The target rejected it; the evidence holds the target's error."""


class Decision(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Problem(BaseModel):
    """What a provider is asked to fix: one object and the issue found in it."""

    object_type: str
    object_name: str
    issue_type: str
    """A catalog issue id, or FAILED_DDL for an object import schema could not create (error in `error`)."""
    original_sql: str
    error: str | None = None
    """The target's error when the object failed to import."""


class Suggestion(BaseModel):
    suggestion_id: UUID = Field(default_factory=uuid4)
    migration_uuid: UUID | None = None
    object_type: str
    object_name: str
    issue_type: str
    original_sql: str
    suggested_sql: str
    """Empty when the fix is to drop the object (the reason says so)."""
    reason: str
    caveats: list[str] = Field(default_factory=list)
    provider: str
    """rules | llm"""
    model: str | None = None
    """The LLM's model name; None for the rule provider."""
    validation_status: ValidationStatus = ValidationStatus.PENDING
    validation_evidence: str = ""
    """What the target said: the statements run, the smoke check and its result, or the error text."""
    decision: Decision = Decision.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    edited: bool = False
    """A reviewer changed suggested_sql; it was validated again."""
    created_at: datetime | None = None
