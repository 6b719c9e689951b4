"""Schema `ybvoyager` in the target: creation and numbered, idempotent upgrades.

A newer voyager-tui upgrades an older schema on connect; an older voyager-tui refuses a newer schema.
Every statement is idempotent (IF NOT EXISTS) because YugabyteDB does not make all DDL transactional.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors as pg_errors

from .errors import StateSchemaMissing, StateSchemaTooNew, VoyagerError, one_line

SCHEMA = "ybvoyager"

# (version, what it adds, statements). Append only: never edit a released upgrade.
UPGRADES: list[tuple[int, str, list[str]]] = [
    (
        1,
        "migrations, phase state, reports, table progress, events",
        [
            """CREATE TABLE IF NOT EXISTS ybvoyager.migrations (
                migration_uuid UUID PRIMARY KEY,
                migration_name TEXT NOT NULL UNIQUE,
                source_db_type TEXT NOT NULL,
                source_db_host TEXT,
                source_db_port INT,
                source_db_user TEXT,
                source_db_name TEXT,
                source_db_version TEXT,
                source_db_identifier TEXT NOT NULL,
                source_schemas TEXT[] NOT NULL,
                target_db_name TEXT NOT NULL,
                target_db_type TEXT,
                target_db_version TEXT,
                export_dir TEXT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                current_phase TEXT,
                current_status TEXT,
                voyager_version TEXT,
                voyager_host TEXT,
                UNIQUE (source_db_identifier, source_schemas, target_db_name)
            )""",
            """CREATE TABLE IF NOT EXISTS ybvoyager.migration_state (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                phase TEXT NOT NULL,
                step TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                started_at TIMESTAMPTZ,
                completed_at TIMESTAMPTZ,
                error_message TEXT,
                metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_uuid, phase, step)
            )""",
            """CREATE TABLE IF NOT EXISTS ybvoyager.reports (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                report_type TEXT NOT NULL,
                report_version INT NOT NULL DEFAULT 1,
                report_data JSONB NOT NULL,
                generated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_uuid, report_type, report_version)
            )""",
            """CREATE TABLE IF NOT EXISTS ybvoyager.table_progress (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                schema_name TEXT NOT NULL,
                table_name TEXT NOT NULL,
                phase TEXT NOT NULL,
                total_rows BIGINT,
                completed_rows BIGINT NOT NULL DEFAULT 0,
                errored_rows BIGINT NOT NULL DEFAULT 0,
                status TEXT NOT NULL DEFAULT 'NOT_STARTED',
                started_at TIMESTAMPTZ,
                completed_at TIMESTAMPTZ,
                rate_per_second DOUBLE PRECISION,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_uuid, schema_name, table_name, phase)
            )""",
            """CREATE TABLE IF NOT EXISTS ybvoyager.events (
                event_id BIGSERIAL PRIMARY KEY,
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                event_type TEXT NOT NULL,
                phase TEXT,
                message TEXT NOT NULL DEFAULT '',
                event_data JSONB NOT NULL DEFAULT '{}'::jsonb,
                actor TEXT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            "CREATE INDEX IF NOT EXISTS idx_events_migration ON ybvoyager.events (migration_uuid, event_id)",
        ],
    ),
    (
        2,
        "runner leases with heartbeats",
        [
            """CREATE TABLE IF NOT EXISTS ybvoyager.runner_leases (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                phase TEXT NOT NULL,
                holder_id UUID NOT NULL,
                host TEXT NOT NULL,
                pid INT NOT NULL,
                command TEXT NOT NULL DEFAULT '',
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_uuid, phase)
            )""",
        ],
    ),
    (
        3,
        "source ssl mode, exported chunk manifest, exactly-once import ledger",
        [
            "ALTER TABLE ybvoyager.migrations ADD COLUMN IF NOT EXISTS source_ssl_mode TEXT",
            # Chunks are planned (and written here) before any is exported, so a resumed export never
            # re-plans boundaries that could overlap chunks already exported.
            """CREATE TABLE IF NOT EXISTS ybvoyager.export_chunks (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                schema_name TEXT NOT NULL,
                table_name TEXT NOT NULL,
                chunk_id INT NOT NULL,
                predicate TEXT NOT NULL,
                file_name TEXT NOT NULL,
                format TEXT NOT NULL DEFAULT 'binary',
                columns TEXT[] NOT NULL,
                status TEXT NOT NULL DEFAULT 'PLANNED',
                rows BIGINT,
                bytes BIGINT,
                planned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                exported_at TIMESTAMPTZ,
                PRIMARY KEY (migration_uuid, schema_name, table_name, chunk_id)
            )""",
            """CREATE TABLE IF NOT EXISTS ybvoyager.import_batches (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                schema_name TEXT NOT NULL,
                table_name TEXT NOT NULL,
                chunk_id INT NOT NULL,
                rows BIGINT NOT NULL,
                errored_rows BIGINT NOT NULL DEFAULT 0,
                bytes BIGINT NOT NULL,
                importer TEXT,
                imported_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_uuid, schema_name, table_name, chunk_id)
            )""",
        ],
    ),
    (
        4,
        "AI suggestions with validation evidence and review decisions",
        [
            # One row per suggestion; a suggestion made outside a migration (ai convert --schema-file) has no
            # migration_uuid. Decisions are audit records: who and when, never overwritten silently.
            """CREATE TABLE IF NOT EXISTS ybvoyager.suggestions (
                suggestion_id UUID PRIMARY KEY,
                migration_uuid UUID REFERENCES ybvoyager.migrations(migration_uuid),
                object_type TEXT NOT NULL,
                object_name TEXT NOT NULL,
                issue_type TEXT NOT NULL,
                original_sql TEXT NOT NULL,
                suggested_sql TEXT NOT NULL,
                reason TEXT NOT NULL,
                caveats JSONB NOT NULL DEFAULT '[]'::jsonb,
                provider TEXT NOT NULL,
                model TEXT,
                validation_status TEXT NOT NULL DEFAULT 'PENDING'
                    CHECK (validation_status IN ('PENDING', 'VALID', 'INVALID')),
                validation_evidence TEXT NOT NULL DEFAULT '',
                decision TEXT NOT NULL DEFAULT 'PENDING' CHECK (decision IN ('PENDING', 'ACCEPTED', 'REJECTED')),
                decided_by TEXT,
                decided_at TIMESTAMPTZ,
                edited BOOLEAN NOT NULL DEFAULT FALSE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )""",
            """CREATE INDEX IF NOT EXISTS idx_suggestions_migration
                   ON ybvoyager.suggestions (migration_uuid, created_at)""",
        ],
    ),
    (
        5,
        "run controls: settings of a running step that a runner polls and acknowledges",
        [
            # One row per (migration, phase, setting): the latest request and what the runner made of it.
            # request_id tells a requester whether the acknowledgement is for its own request.
            """CREATE TABLE IF NOT EXISTS ybvoyager.run_controls (
                migration_uuid UUID NOT NULL REFERENCES ybvoyager.migrations(migration_uuid),
                phase TEXT NOT NULL,
                setting TEXT NOT NULL,
                request_id UUID NOT NULL,
                requested_value JSONB NOT NULL,
                reason TEXT NOT NULL DEFAULT '',
                requested_by TEXT NOT NULL,
                requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPLIED', 'REJECTED')),
                applied_value JSONB,
                applied_by TEXT,
                applied_at TIMESTAMPTZ,
                message TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (migration_uuid, phase, setting)
            )""",
        ],
    ),
]
CURRENT_VERSION = UPGRADES[-1][0]

_RACE_ERRORS = (pg_errors.UniqueViolation, pg_errors.DuplicateObject, pg_errors.DuplicateTable,
                pg_errors.DuplicateSchema, pg_errors.SerializationFailure)


def installed_version(conn: psycopg.Connection[Any]) -> int | None:
    """The schema version in the target, or None when schema ybvoyager does not exist."""
    row = conn.execute("SELECT to_regclass('ybvoyager.schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    got = conn.execute("SELECT version FROM ybvoyager.schema_version").fetchone()
    return int(got[0]) if got else 0


def ensure_schema(conn: psycopg.Connection[Any], *, create: bool = True, up_to: int = CURRENT_VERSION) -> int:
    """Create or upgrade `ybvoyager` to `up_to`; return the version now installed.

    With create=False a missing schema raises StateSchemaMissing (read-only commands must not create it).
    Safe when several processes call it at once: creation races are retried and upgrades are
    serialized by a row lock on the version row.
    """
    found = installed_version(conn)
    if found is not None and found > CURRENT_VERSION:
        raise _too_new(found)
    if found is None and not create:
        raise StateSchemaMissing(
            "no migrations here: schema ybvoyager does not exist in this database (run `voyager-tui migrate init`)"
        )
    if found is not None and found >= up_to:
        return found
    for attempt in range(5):
        try:
            return _upgrade(conn, up_to)
        except _RACE_ERRORS:
            if attempt == 4:
                raise
        except pg_errors.InsufficientPrivilege as exc:
            raise VoyagerError(
                f"cannot create or upgrade schema ybvoyager in the target: {one_line(exc)} "
                "(the target user needs CREATE on the database)"
            ) from None
    raise AssertionError("unreachable")


def _upgrade(conn: psycopg.Connection[Any], up_to: int) -> int:
    with conn.transaction():
        conn.execute("CREATE SCHEMA IF NOT EXISTS ybvoyager")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS ybvoyager.schema_version (
                   singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
                   version INT NOT NULL,
                   upgraded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                   upgraded_by TEXT)"""
        )
        conn.execute("INSERT INTO ybvoyager.schema_version (version) VALUES (0) ON CONFLICT DO NOTHING")
        row = conn.execute("SELECT version FROM ybvoyager.schema_version FOR UPDATE").fetchone()
        version = int(row[0]) if row else 0
        if version > CURRENT_VERSION:
            raise _too_new(version)
        from .. import __version__

        for number, _what, statements in UPGRADES:
            if version < number <= up_to:
                for stmt in statements:
                    conn.execute(stmt)
                version = number
        conn.execute(
            "UPDATE ybvoyager.schema_version SET version = %s, upgraded_at = now(), upgraded_by = %s",
            (version, f"voyager-tui {__version__}"),
        )
        return version


def _too_new(found: int) -> StateSchemaTooNew:
    return StateSchemaTooNew(
        f"the target's ybvoyager schema is version {found}, newer than this voyager-tui understands "
        f"(up to {CURRENT_VERSION}); upgrade voyager-tui to work with this migration"
    )
