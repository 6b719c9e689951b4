"""Verify: row counts and per-chunk checksums on both sides; on a mismatch, the first differing key."""

from __future__ import annotations

import queue
import re
import threading
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, Field

from ..phases import Phase
from ..state_store import StateStore
from ..steps import StepContext
from .progress import ProgressTracker
from .psql_pump import SESSION_SETTINGS
from .tables import list_source_tables


class Mismatch(BaseModel):
    chunk_id: int
    predicate: str
    source_rows: int
    target_rows: int
    kind: str
    """missing_in_target, extra_in_target, different, or count (when there is no key to compare by)."""
    first_differing_key: dict[str, Any] | None = None


class TableVerification(BaseModel):
    schema_name: str
    table_name: str
    chunks: int
    source_rows: int = 0
    target_rows: int = 0
    method: str
    mismatches: list[Mismatch] = Field(default_factory=list)


class LedgerState(BaseModel):
    """The import ledger as the target saw it when verify started: server-side values only, compared exactly, so
    neither clock skew nor a ledger emptied by `--start-clean` can make an old verification look current."""

    batches: int
    last_imported_at: datetime | None
    last_event_id: int
    """Newest event then: a later start-clean or truncate (an event) invalidates the verification."""


class Verification(BaseModel):
    version: int = 1
    clean: bool
    verified_at: datetime
    tables: list[TableVerification]
    ledger: LedgerState | None = None

    def first_problem(self) -> str | None:
        for t in self.tables:
            for m in t.mismatches:
                key = f", first differing key {m.first_differing_key}" if m.first_differing_key else ""
                return (f"{t.schema_name}.{t.table_name} chunk {m.chunk_id} ({m.predicate}): {m.source_rows} rows "
                        f"in the source, {m.target_rows} in the target, {m.kind.replace('_', ' ')}{key}")
        return None


def verify_data(ctx: StepContext, jobs: int) -> Verification:
    mid = ctx.migration.migration_uuid
    ledger = ledger_state(ctx.store, mid)
    schemas = ctx.migration.source_schemas
    with ctx.connect_source("voyager-tui-verify") as src, ctx.connect_target("voyager-tui-verify") as tgt:
        source_tables = list_source_tables(src, schemas)
        both_hash_records = _has_hash_record(src) and _has_hash_record(tgt)
        # hash_record_extended hashes text through the column's collation: under a non-deterministic one
        # 'abc' and 'ABC' hash alike, so such tables are compared through their text form.
        case_blind = _nondeterministic_tables(src, schemas) | _nondeterministic_tables(tgt, schemas)
    pks = {(t.schema_name, t.table_name): [c.name for c in t.pk] for t in source_tables}
    fast = {(t.schema_name, t.table_name) for t in source_tables
            if both_hash_records and (t.schema_name, t.table_name) not in case_blind
            and all(_HASHABLE.match(c.type_name) for c in t.columns)}
    chunks = ctx.store.conn.execute(
        """SELECT schema_name, table_name, chunk_id, predicate, columns, rows FROM ybvoyager.export_chunks
           WHERE migration_uuid = %s ORDER BY schema_name, table_name, chunk_id""", (mid,)).fetchall()
    tables: dict[tuple[str, str], TableVerification] = {}
    work: queue.Queue[tuple[Any, ...]] = queue.Queue()
    for schema, name, cid, pred, cols, _rows in chunks:
        key = (schema, name)
        whole = pred.startswith("ctid")  # physical positions differ between source and target
        if key not in tables:
            tables[key] = TableVerification(schema_name=schema, table_name=name, chunks=0,
                                            method="whole table (no primary key)" if whole else "per chunk")
            if whole:
                work.put((schema, name, 0, "TRUE", tuple(cols)))
        if not whole:
            tables[key].chunks += 1
            work.put((schema, name, cid, pred, tuple(cols)))
        else:
            tables[key].chunks = 1
    tracker = ProgressTracker(lambda: StateStore(ctx.connect_target("voyager-tui-progress")), mid, Phase.VERIFY,
                              reporter=ctx.reporter, verb="verifying")
    for (schema, name), _t in tables.items():
        total = sum(int(r or 0) for s, n, _c, _p, _cols, r in chunks if (s, n) == (schema, name))
        tracker.table(schema, name, total=total)
    tracker.start()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with ctx.connect_source("voyager-tui-verify") as src, ctx.connect_target("voyager-tui-verify") as tgt:
                for conn in (src, tgt):
                    _settings(conn)
                while not errors:
                    try:
                        schema, name, cid, pred, cols = work.get_nowait()
                    except queue.Empty:
                        return
                    ctx.check_cancelled()
                    mismatch, s_rows, t_rows = _check_chunk(src, tgt, schema, name, cid, pred, cols,
                                                            pks.get((schema, name), []), (schema, name) in fast)
                    with lock:
                        t = tables[(schema, name)]
                        t.source_rows += s_rows
                        t.target_rows += t_rows
                        if mismatch:
                            t.mismatches.append(mismatch)
                    tracker.add(schema, name, s_rows)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, name=f"voyager-verify-{i}") for i in range(max(1, jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for (schema, name), t in tables.items():
        tracker.set_status(schema, name, "FAILED" if t.mismatches else "COMPLETED", total=t.source_rows)
    tracker.stop()
    if errors:
        raise errors[0]
    ordered = sorted(tables.values(), key=lambda t: (t.schema_name, t.table_name))
    for t in ordered:
        t.mismatches.sort(key=lambda m: m.chunk_id)
    return Verification(clean=not any(t.mismatches for t in ordered), verified_at=datetime.now(UTC), tables=ordered,
                        ledger=ledger)


def ledger_state(store: StateStore, mid: Any) -> LedgerState:
    row = store.conn.execute(
        """SELECT (SELECT count(*) FROM ybvoyager.import_batches WHERE migration_uuid = %(m)s),
                  (SELECT max(imported_at) FROM ybvoyager.import_batches WHERE migration_uuid = %(m)s),
                  (SELECT coalesce(max(event_id), 0) FROM ybvoyager.events WHERE migration_uuid = %(m)s)""",
        {"m": mid}).fetchone()
    assert row is not None
    return LedgerState(batches=int(row[0]), last_imported_at=row[1], last_event_id=int(row[2]))


def _settings(conn: psycopg.Connection[Any]) -> None:
    for name, value in SESSION_SETTINGS.items():
        conn.execute(sql.SQL("SELECT set_config({}, {}, false)").format(sql.Literal(name), sql.Literal(value)))


def _has_hash_record(conn: psycopg.Connection[Any]) -> bool:
    """PostgreSQL 14+ (and YugabyteDB on a PostgreSQL 15 base) hash a row's values without rendering them."""
    row = conn.execute("SELECT to_regprocedure('pg_catalog.hash_record_extended(record, bigint)') IS NOT NULL")
    return bool(row.fetchone() == (True,))


def _nondeterministic_tables(conn: psycopg.Connection[Any], schemas: list[str]) -> set[tuple[str, str]]:
    if conn.info.server_version < 120000:
        return set()  # non-deterministic collations arrived in PostgreSQL 12
    rows = conn.execute(
        """SELECT DISTINCT n.nspname, c.relname FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_collation co ON co.oid = a.attcollation
           WHERE n.nspname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped AND NOT co.collisdeterministic""",
        (schemas,)).fetchall()
    return {(str(s), str(t)) for s, t in rows}


# Types whose binary hash is as strict as comparing their text: equal hashes mean equal text for every value a
# column of the type holds. Not floats (-0 = 0), intervals ('1 day' = '24 hours'), unconstrained numeric
# (1.0 = 1.00), jsonb (numbers inside hash by value: 1.0 = 1.00) or anything user-defined: those tables are
# checked through their text form. Text types qualify only under a deterministic collation (see verify_data).
_HASHABLE = re.compile(r"^(smallint|integer|bigint|boolean|text|bytea|uuid|date|numeric\(\d+,\d+\)|"
                       r"character varying(\(\d+\))?|character(\(\d+\))?|"
                       r"timestamp(\(\d\))? with(out)? time zone|time(\(\d\))? without time zone)$")


def _check_chunk(src: psycopg.Connection[Any], tgt: psycopg.Connection[Any], schema: str, name: str, cid: int,
                 pred: str, cols: tuple[str, ...], pk: list[str], fast: bool) -> tuple[Mismatch | None, int, int]:
    ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
    values = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    row_text = sql.SQL("ROW({})::text").format(values)
    # Order-independent: a sum of per-row hashes (sum of bigint is numeric in PostgreSQL: no overflow). Rendering
    # every value as text costs about twice as much as hashing it, so the text form is only the fallback.
    row_hash = (sql.SQL("hash_record_extended(ROW({}), 0)").format(values) if fast
                else sql.SQL("hashtextextended({}, 0)").format(row_text))
    query = sql.SQL("SELECT count(*), coalesce(sum({h}), 0) FROM ONLY {t} WHERE {p}").format(
        h=row_hash, t=ident, p=sql.SQL(pred))
    s = src.execute(query).fetchone()
    t = tgt.execute(query).fetchone()
    assert s is not None and t is not None
    if s == t:
        return None, int(s[0]), int(t[0])
    kind, key = _first_difference(src, tgt, ident, row_text, pred, pk) if pk else ("count", None)
    return (Mismatch(chunk_id=cid, predicate=pred, source_rows=int(s[0]), target_rows=int(t[0]), kind=kind,
                     first_differing_key=key), int(s[0]), int(t[0]))


def _first_difference(src: psycopg.Connection[Any], tgt: psycopg.Connection[Any], ident: sql.Composed,
                      row_text: sql.Composed, pred: str, pk: list[str]) -> tuple[str, dict[str, Any] | None]:
    """Walk both sides in key order, in step, until they disagree; memory stays bounded by the cursors.

    Both sides sort by the key's text under the C collation, which is the order Python compares str in,
    whatever the database's own collation.
    """
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in pk)
    query = sql.SQL("SELECT ROW({k})::text, {k}, hashtextextended({r}, 0) FROM ONLY {t} WHERE {p} "
                    'ORDER BY ROW({k})::text COLLATE "C"').format(k=keys, r=row_text, t=ident, p=sql.SQL(pred))
    with src.transaction(), tgt.transaction(), src.cursor(name="vt_verify_s") as cs, \
            tgt.cursor(name="vt_verify_t") as ct:
        cs.itersize = ct.itersize = 5000
        cs.execute(query)
        ct.execute(query)
        a, b = next(cs, None), next(ct, None)
        while a is not None or b is not None:
            if b is None or (a is not None and a[0] < b[0]):
                assert a is not None
                return "missing_in_target", dict(zip(pk, a[1:-1], strict=True))
            if a is None or b[0] < a[0]:
                return "extra_in_target", dict(zip(pk, b[1:-1], strict=True))
            if a[-1] != b[-1]:
                return "different", dict(zip(pk, a[1:-1], strict=True))
            a, b = next(cs, None), next(ct, None)
    return "different", None
