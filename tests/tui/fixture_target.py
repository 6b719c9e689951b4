"""A target whose ybvoyager state is the same on every run, for snapshots and screenshots.

Rows are written through the real StateStore, then timestamps, actors and hosts are pinned so the
screens render identically on any machine and day.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from voyager_tui.engine.connections import ConnectionParams, connect_pg
from voyager_tui.engine.lease import RunnerIdentity
from voyager_tui.engine.phases import PHASE_ORDER, Phase, PhaseStatus
from voyager_tui.engine.secrets import DbRole
from voyager_tui.engine.state_store import NewMigration, StateStore, TableProgressUpdate

FIXTURE_DB = "vt_snapshot_fixture"
AS_OF = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
SHOP = uuid.UUID("550e8400-e29b-41d4-a716-446655440000")
BILLING = uuid.UUID("7d444840-9dc0-11d1-b245-5ffdce74fad2")


def _table(schema: str, table: str, total: int, done: int, status: str, rate: float | None = None,
            errored: int = 0, phase: Phase = Phase.EXPORT_DATA) -> TableProgressUpdate:
    return TableProgressUpdate(schema_name=schema, table_name=table, phase=phase, total_rows=total,
                               completed_rows=done, status=status, rate_per_second=rate, errored_delta=errored)


# More export tables of shop-prod, for the table progress screen. Their sums keep Export Data at 55% on the
# Migration screen (633,048 of 1,152,048 rows).
SHOP_MORE_TABLES = [
    _table("public", "order_items", 612_000, 398_000, "IN_PROGRESS", 2_140.0, errored=12),
    _table("sales", "invoices", 120_000, 40_000, "FAILED", 900.0),
    _table("sales", "regions", 48, 48, "COMPLETED", 480.0),
    _table("public", "audit_log", 64_000, 0, "NOT_STARTED"),
]

# billing is complete: every table exported and imported; the import of billing.invoices left 7 errored rows.
_BILLING_ROWS = {"accounts": (12_400, 3_100.0), "invoices": (480_000, 5_200.0), "payments": (215_000, 4_300.0),
                 "ledger_entries": (1_250_000, 8_900.0), "tax_rates": (64, 64.0), "credit_notes": (9_800, 2_450.0)}
BILLING_TABLES = [
    *(_table("billing", t, rows, rows, "COMPLETED", rate) for t, (rows, rate) in _BILLING_ROWS.items()),
    *(_table("billing", t, rows, rows, "COMPLETED", rate * 0.6, errored=7 if t == "invoices" else 0,
              phase=Phase.IMPORT_DATA) for t, (rows, rate) in _BILLING_ROWS.items()),
]


def _new(name: str, mid: uuid.UUID, db: str, schemas: list[str]) -> NewMigration:
    return NewMigration(migration_name=name, migration_uuid=mid, source_db_type="postgresql",
                        source_db_host="pg-prod.internal", source_db_port=5432, source_db_user="migrator",
                        source_db_name=db, source_db_version="PostgreSQL 15.8",
                        source_db_identifier=f"postgresql:sysid-7301/{db}", source_schemas=schemas,
                        target_db_name=FIXTURE_DB, target_db_type="yugabytedb",
                        target_db_version="PostgreSQL 15.12-YB-2025.1.2.0-b0")


def build_fixture_target(admin: psycopg.Connection, params: ConnectionParams) -> ConnectionParams:
    target = params.model_copy(update={"dbname": FIXTURE_DB})
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(FIXTURE_DB)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(FIXTURE_DB)))
    with connect_pg(target, DbRole.TARGET) as conn:
        store = StateStore(conn, create=True)
        store.register_migration(_new("billing", BILLING, "billing", ["billing"]))
        store.register_migration(_new("shop-prod", SHOP, "shop", ["public", "sales"]))
        for phase in PHASE_ORDER:
            _finish(store, BILLING, phase)
        for phase in (Phase.ASSESSMENT, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA):
            _finish(store, SHOP, phase)
        store.acquire_lease(SHOP, Phase.EXPORT_DATA, RunnerIdentity(holder_id=uuid.UUID(int=1), host="migrator-1",
                                                                    pid=4242))
        store.set_phase_status(SHOP, Phase.EXPORT_DATA, PhaseStatus.IN_PROGRESS)
        store.write_table_progress(SHOP, [
            TableProgressUpdate(schema_name="public", table_name="users", phase=Phase.EXPORT_DATA, total_rows=50_000,
                                completed_rows=50_000, status="COMPLETED", rate_per_second=2100.0),
            TableProgressUpdate(schema_name="public", table_name="orders", phase=Phase.EXPORT_DATA,
                                total_rows=217_000, completed_rows=145_000, status="IN_PROGRESS",
                                rate_per_second=1200.0),
            TableProgressUpdate(schema_name="sales", table_name="products", phase=Phase.EXPORT_DATA,
                                total_rows=89_000, completed_rows=0, status="NOT_STARTED"),
            *SHOP_MORE_TABLES,
        ])
        store.write_table_progress(BILLING, BILLING_TABLES)
        _pin_times(conn)
        # public.orders stays the busiest table on the Migration screen: the others were updated a moment earlier.
        conn.execute("UPDATE ybvoyager.table_progress SET updated_at = %s WHERE migration_uuid = %s "
                     "AND (schema_name, table_name) <> ('public', 'orders')", (AS_OF - timedelta(seconds=1), SHOP))
    return target


def _finish(store: StateStore, mid: uuid.UUID, phase: Phase) -> None:
    if phase == Phase.ASSESSMENT and mid == BILLING:
        store.set_phase_status(mid, phase, PhaseStatus.SKIPPED)
        return
    store.set_phase_status(mid, phase, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(mid, phase, PhaseStatus.COMPLETED)


def _pin_times(conn: psycopg.Connection) -> None:
    start = AS_OF - timedelta(hours=9)
    # Each phase gets a fixed slot; durations differ by phase so the screens show real-looking numbers.
    conn.execute("""
        UPDATE ybvoyager.migration_state s SET
            started_at = CASE WHEN s.started_at IS NULL THEN NULL
                              ELSE %(start)s + (o.n * interval '37 minutes') END,
            completed_at = CASE WHEN s.completed_at IS NULL THEN NULL
                                ELSE %(start)s + (o.n * interval '37 minutes') + (o.n * interval '3 minutes 20 seconds')
                           END,
            updated_at = %(as_of)s
        FROM (SELECT phase, n FROM unnest(%(phases)s::text[]) WITH ORDINALITY AS t(phase, n)) o
        WHERE o.phase = s.phase""",
                 {"start": start, "as_of": AS_OF, "phases": [p.value for p in PHASE_ORDER]})
    conn.execute("UPDATE ybvoyager.migration_state SET started_at = %s WHERE phase = 'export_data' "
                 "AND status = 'IN_PROGRESS'", (AS_OF - timedelta(hours=4, minutes=30),))
    conn.execute("UPDATE ybvoyager.migrations SET created_at = %s, updated_at = %s", (start, AS_OF))
    conn.execute("""UPDATE ybvoyager.events SET actor = 'dba@laptop',
                       created_at = %s + event_id * interval '7 minutes'""", (start,))
    conn.execute("UPDATE ybvoyager.table_progress SET started_at = %s, updated_at = %s, "
                 "completed_at = CASE WHEN status = 'COMPLETED' THEN %s END",
                 (AS_OF - timedelta(hours=4), AS_OF, AS_OF - timedelta(hours=1)))
    conn.execute("UPDATE ybvoyager.runner_leases SET started_at = %s, heartbeat_at = %s",
                 (AS_OF - timedelta(hours=4, minutes=30), AS_OF - timedelta(seconds=2)))
