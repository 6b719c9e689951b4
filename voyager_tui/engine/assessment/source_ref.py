"""How an assessed source was reached (host, port, user, database, SSL mode; never a password), kept beside the
report so "start a migration from this assessment" can name the source. Live collections write it; an assessment
built from a DBA's scripts has none, and the migrate command then shows placeholders."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..connections import ConnectionParams
from ..schema.manifest import write_text_atomic
from .layout import AssessmentDir


def write_source_ref(assessment_dir: Path, params: ConnectionParams) -> None:
    write_text_atomic(AssessmentDir(assessment_dir).source_ref, params.model_dump_json(indent=2) + "\n")


def read_source_ref(assessment_dir: Path) -> ConnectionParams | None:
    """None when there is none or it cannot be read: it only fills in a command, so it never stops anything."""
    path = AssessmentDir(assessment_dir).source_ref
    try:
        return ConnectionParams.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None
