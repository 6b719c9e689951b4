"""Data-path fixes: verify under non-deterministic collations and jsonb, the cutover gate after a failed clean
restart, non-UTF8 targets, what `end` may delete, newline key boundaries, and resumed ctid exports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import pg_params
from tests.data_fixtures import table_digest
from tests.helpers import complete, open_store, register, target_conn
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.errors import VoyagerError
from voyager_tui.engine.export_dir import MARKER_NAME
from voyager_tui.engine.phases import Phase, PhaseStatus
from voyager_tui.engine.steps import run_step

ICU = "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"


def _exec(params: ConnectionParams, text: str) -> None:
    with psycopg.connect(host=params.host, port=params.port, user=params.user, dbname=params.dbname,
                         autocommit=True) as conn:
        conn.execute(text)


def _migration(source: ConnectionParams, target: ConnectionParams, tmp_path: Path, ddl: str,
               rows: str) -> dict[str, Any]:
    """The same tables on both sides, rows only in the source, schema phases done."""
    _exec(source, ddl + rows)
    _exec(target, ddl)
    rec = register(source, target)
    complete(open_store(target), rec.migration_uuid, Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA)
    return {"source": source, "target": target, "mid": rec.migration_uuid,
            "opts": {"export_dir": str(tmp_path / "export")}, "dir": tmp_path / "export"}


def _migrate(p: dict[str, Any], batch: int = 100_000) -> None:
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"] | {"batch_size": batch})
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])


def _finalized(p: dict[str, Any]) -> None:
    store = open_store(p["target"])
    store.set_phase_status(p["mid"], Phase.FINALIZE_SCHEMA, PhaseStatus.IN_PROGRESS)
    store.set_phase_status(p["mid"], Phase.FINALIZE_SCHEMA, PhaseStatus.COMPLETED, metadata={"sequences_restored": []})


@pytest.fixture
def source_db(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    """An empty source: each test creates exactly the tables it is about."""
    return make_db("src")


@pytest.fixture
def latin1_db(pg_admin: psycopg.Connection) -> Iterator[ConnectionParams]:
    name = f"vt_latin1_{uuid.uuid4().hex[:10]}"
    pg_admin.execute(sql.SQL("CREATE DATABASE {} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
                     .format(sql.Identifier(name)))
    yield pg_params(name)
    pg_admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_verify_sees_a_case_only_difference_under_a_nondeterministic_collation(
        source_db: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> None:
    try:
        _exec(source_db, ICU)
    except psycopg.Error as exc:
        pytest.skip(f"this PostgreSQL has no ICU collations: {exc}")
    _exec(target_db, ICU)
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE t (id int PRIMARY KEY, name text COLLATE ci);",
                   "INSERT INTO t SELECT i, 'abc' || i FROM generate_series(1, 50) i;")
    _migrate(p)
    complete(open_store(p["target"]), p["mid"], Phase.FINALIZE_SCHEMA)
    assert run_step(p["target"], p["mid"], Phase.VERIFY).metadata["clean"] is True
    _exec(target_db, "UPDATE t SET name = 'ABC7' WHERE id = 7")
    with pytest.raises(VoyagerError, match=r"1 chunk\(s\) differ; first: public\.t chunk 1 .* different, first "
                                           r"differing key \{'id': 7\}"):
        run_step(p["target"], p["mid"], Phase.VERIFY)


def test_verify_sees_a_jsonb_number_written_differently(source_db: ConnectionParams, target_db: ConnectionParams,
                                                         tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE j (id int PRIMARY KEY, doc jsonb);",
                   """INSERT INTO j SELECT i, '{"price": 1.0}' FROM generate_series(1, 50) i;""")
    _migrate(p)
    complete(open_store(p["target"]), p["mid"], Phase.FINALIZE_SCHEMA)
    assert run_step(p["target"], p["mid"], Phase.VERIFY).metadata["clean"] is True
    _exec(target_db, """UPDATE j SET doc = '{"price": 1.00}' WHERE id = 9""")
    with pytest.raises(VoyagerError, match=r"1 chunk\(s\) differ; .* first differing key \{'id': 9\}"):
        run_step(p["target"], p["mid"], Phase.VERIFY)


def test_cutover_is_no_go_after_a_clean_restart_that_failed(source_db: ConnectionParams,
                                                           target_db: ConnectionParams, tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE o (id int PRIMARY KEY, v int);",
                   "INSERT INTO o SELECT i, i FROM generate_series(1, 100) i;")
    _migrate(p)
    _finalized(p)
    run_step(p["target"], p["mid"], Phase.VERIFY)
    _exec(target_db, "ALTER TABLE o ADD CONSTRAINT nothing_fits CHECK (v < 0) NOT VALID")
    with pytest.raises(VoyagerError, match="nothing_fits"):  # truncates, then fails before any chunk commits
        run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"] | {"start_clean": True})
    with target_conn(target_db) as conn:
        assert conn.execute("SELECT count(*) FROM o").fetchone() == (0,)
    with pytest.raises(VoyagerError, match="no-go for cutover: import data has not completed; rows were imported "
                                           "or tables emptied after the last verification"):
        run_step(p["target"], p["mid"], Phase.CUTOVER)


def test_cutover_is_no_go_after_any_later_import(source_db: ConnectionParams, target_db: ConnectionParams,
                                                 tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE o (id int PRIMARY KEY, v int);",
                   "INSERT INTO o SELECT i, i FROM generate_series(1, 100) i;")
    _migrate(p)
    _finalized(p)
    run_step(p["target"], p["mid"], Phase.VERIFY)
    # A clean restart that reloads the same rows still makes the verification stale, whatever the clocks say.
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"] | {"start_clean": True})
    with pytest.raises(VoyagerError, match="no-go for cutover: rows were imported or tables emptied after the last "
                                           "verification: verify again"):
        run_step(p["target"], p["mid"], Phase.CUTOVER)
    run_step(p["target"], p["mid"], Phase.VERIFY)
    assert run_step(p["target"], p["mid"], Phase.CUTOVER).metadata["summary"].startswith("GO for cutover")


def test_latin1_target_gets_the_same_characters(source_db: ConnectionParams, latin1_db: ConnectionParams,
                                                tmp_path: Path) -> None:
    p = _migration(source_db, latin1_db, tmp_path,
                   "CREATE TABLE s (id int PRIMARY KEY, txt text, tags text[]);",
                   "INSERT INTO s VALUES (1, 'café', '{crème,brûlée}'), (2, 'Ünïcödé ßø', '{}');")
    _migrate(p)
    for params in (source_db, latin1_db):
        with target_conn(params) as conn:
            rows = conn.execute("SELECT id, txt, tags FROM s ORDER BY id").fetchall()
            assert rows == [(1, "café", ["crème", "brûlée"]), (2, "Ünïcödé ßø", [])], params.dbname


def test_end_refuses_a_directory_that_is_not_this_migrations(prepared_end: dict[str, Any], tmp_path: Path) -> None:
    p = prepared_end
    home = tmp_path / "home"
    (home / "documents").mkdir(parents=True)
    other = tmp_path / "other-export"
    (other / "data").mkdir(parents=True)
    (other / MARKER_NAME).write_text(str(uuid.uuid4()) + "\n")
    with pytest.raises(VoyagerError, match=rf"refusing to delete {home}: it has no \.voyager-tui-export marker and "
                                           r"is not this migration's registered export dir; nothing was archived"):
        run_step(p["target"], p["mid"], Phase.END, options={"export_dir": str(home),
                                                            "backup_dir": str(tmp_path / "b1")})
    with pytest.raises(VoyagerError, match=rf"refusing to delete {other}: its \.voyager-tui-export marker names "
                                           r"another migration"):
        run_step(p["target"], p["mid"], Phase.END, options={"export_dir": str(other),
                                                            "backup_dir": str(tmp_path / "b2")})
    assert (home / "documents").is_dir() and (other / "data").is_dir()
    assert not (tmp_path / "b1").exists()


def test_end_refuses_a_backup_dir_inside_the_export_dir(prepared_end: dict[str, Any]) -> None:
    p = prepared_end
    with pytest.raises(VoyagerError, match=r"the backup dir .*/export/keep is inside the export dir"):
        run_step(p["target"], p["mid"], Phase.END, options=p["opts"] | {"backup_dir": str(p["dir"] / "keep")})
    assert (p["dir"] / "data").is_dir()


def test_end_with_export_dir_dot(prepared_end: dict[str, Any], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    p = prepared_end
    monkeypatch.chdir(p["dir"])
    done = run_step(p["target"], p["mid"], Phase.END, options={"export_dir": "."})
    assert not p["dir"].exists()
    assert Path(done.metadata["backup_dir"]).parent == tmp_path


def test_end_accepts_an_old_unmarked_export_dir_only_at_the_registered_path(prepared_end: dict[str, Any],
                                                                            tmp_path: Path) -> None:
    p = prepared_end
    (p["dir"] / MARKER_NAME).unlink()
    with pytest.raises(VoyagerError, match="refusing to delete"):
        run_step(p["target"], p["mid"], Phase.END, options=p["opts"] | {"backup_dir": str(tmp_path / "b")})
    with target_conn(p["target"]) as conn:
        conn.execute("UPDATE ybvoyager.migrations SET export_dir = %s", (str(p["dir"]),))
    run_step(p["target"], p["mid"], Phase.END, options=p["opts"] | {"backup_dir": str(tmp_path / "b")})
    assert not p["dir"].exists() and (tmp_path / "b" / "state-reports.json").exists()


@pytest.fixture
def prepared_end(source_db: ConnectionParams, target_db: ConnectionParams, tmp_path: Path) -> dict[str, Any]:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE e (id int PRIMARY KEY);",
                   "INSERT INTO e SELECT generate_series(1, 10);")
    _migrate(p)
    complete(open_store(target_db), p["mid"], Phase.FINALIZE_SCHEMA, Phase.VERIFY, Phase.CUTOVER)
    assert (p["dir"] / MARKER_NAME).read_text().strip() == str(p["mid"])
    return p


def test_composite_key_boundaries_with_newlines_export(source_db: ConnectionParams, target_db: ConnectionParams,
                                                      tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path,
                   "CREATE TABLE k (a text, b int, pad text, PRIMARY KEY (a, b));",
                   "INSERT INTO k SELECT 'line ' || (i % 97) || E'\\n' || 'next\\r' || i, i, repeat('x', 200) "
                   "FROM generate_series(1, 6000) i; ANALYZE k;")
    _migrate(p, batch=500)
    with target_conn(target_db) as conn:
        chunks = conn.execute("SELECT count(*) FROM ybvoyager.export_chunks WHERE predicate LIKE '%%E''%%'")
        assert chunks.fetchone()[0] > 1
    assert table_digest(source_db, "public.k", "a, b") == table_digest(target_db, "public.k", "a, b")


def test_resumed_export_of_a_table_without_key_starts_it_over(source_db: ConnectionParams,
                                                              target_db: ConnectionParams, tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE h (n int, pad text) WITH (fillfactor = 100);",
                   "INSERT INTO h SELECT i, repeat('y', 100) FROM generate_series(1, 20000) i; ANALYZE h;")
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"] | {"batch_size": 2000})
    with target_conn(target_db) as conn:
        last = conn.execute("SELECT max(chunk_id) FROM ybvoyager.export_chunks").fetchone()[0]
        assert last > 2
        # As if the run had stopped before the last range: then rows of the first range move to the end.
        conn.execute("UPDATE ybvoyager.export_chunks SET status = 'PLANNED' WHERE chunk_id = %s", (last,))
    _exec(source_db, "UPDATE h SET n = -n WHERE n <= 100")
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"])
    run_step(p["target"], p["mid"], Phase.IMPORT_DATA, options=p["opts"])
    assert table_digest(source_db, "public.h", "n") == table_digest(target_db, "public.h", "n")


def test_resumed_export_of_a_keyed_table_is_noted(source_db: ConnectionParams, target_db: ConnectionParams,
                                                  tmp_path: Path) -> None:
    p = _migration(source_db, target_db, tmp_path, "CREATE TABLE r (id int PRIMARY KEY, pad text);",
                   "INSERT INTO r SELECT i, 'z' FROM generate_series(1, 5000) i; ANALYZE r;")
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"] | {"batch_size": 1000})
    with target_conn(target_db) as conn:
        conn.execute("UPDATE ybvoyager.export_chunks SET status = 'PLANNED' WHERE chunk_id = 2")
    run_step(p["target"], p["mid"], Phase.EXPORT_DATA, options=p["opts"])
    report = open_store(target_db).latest_report(p["mid"], "data_export")
    assert report is not None
    assert report["tables"][0]["note"].startswith("exported across more than one snapshot: 4 chunk(s) came from")


