"""`voyager-tui ai analyze-queries` end to end: an application's queries really run on a source that preloads
pg_stat_statements, the live collector writes the assessment dir, and the advice is checked with EXPLAIN on a real
target database on the PostgreSQL service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from tests.assessment_fixtures import assessment_dir, write_csv
from tests.conftest import connect_kwargs, target_cli_args
from voyager_tui.cli.main import cli
from voyager_tui.engine.ai.query_explain import LOCK_TIMEOUT, Escaped, begin, check_index
from voyager_tui.engine.ai.query_explain import run as run_sql
from voyager_tui.engine.ai.query_models import IndexAdvice, QueryRef
from voyager_tui.engine.assessment import layout
from voyager_tui.engine.assessment.collect_pg import collect_postgresql
from voyager_tui.engine.assessment.layout import AssessmentDir
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres

SCHEMA = """
CREATE TABLE public.regions (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.customers (id bigint PRIMARY KEY, email text NOT NULL, name text, region_id int
    REFERENCES public.regions (id));
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL, total numeric, note text);
CREATE INDEX orders_customer_idx ON public.orders (customer_id);
"""
DATA = """
INSERT INTO public.regions SELECT g, 'region ' || g FROM generate_series(1, 20) g;
INSERT INTO public.customers SELECT g, 'c' || g || '@example.com', 'name ' || g, 1 + g % 20
    FROM generate_series(1, 2000) g;
INSERT INTO public.orders SELECT g, 1 + g % 2000, (ARRAY['new', 'paid', 'sent', 'done', 'void'])[1 + g % 5],
    timestamptz '2026-01-01' + g * interval '1 minute', g % 100, 'note'
    FROM generate_series(1, 20000) g;
ANALYZE;
"""
# (query, arguments, how often the application runs it)
APPLICATION: list[tuple[str, tuple[Any, ...], int]] = [
    ("SELECT id, total FROM public.orders WHERE status = %s AND created_at >= %s ORDER BY created_at LIMIT 10",
     ("paid", "2026-01-05"), 40),
    ("SELECT id, name FROM public.customers WHERE email = %s", ("c7@example.com",), 30),
    ("SELECT c.name, r.name FROM public.customers c JOIN public.regions r ON r.id = c.region_id WHERE c.id = %s",
     (7,), 20),
    ("SELECT sum(total) FROM public.orders WHERE customer_id = %s", (7,), 10),
]
STATUS_INDEX = "orders_status_created_at_idx"
EMAIL_INDEX = "customers_email_idx"


@pytest.fixture
def assessment(pgss_cluster: EmbeddedPostgres, tmp_path: Path) -> Iterator[Path]:
    name = f"vt_aq_{uuid.uuid4().hex[:8]}"
    admin = pgss_cluster.params("postgres")
    with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f"CREATE DATABASE {name}")
    source = pgss_cluster.params(name)
    try:
        with psycopg.connect(**connect_kwargs(source), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(SCHEMA)
            conn.execute(DATA)
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("SELECT pg_stat_statements_reset()")
            for query, args, times in APPLICATION:
                for _ in range(times):
                    conn.execute(query, args, prepare=False)
        ad = AssessmentDir(tmp_path / "assessment").create()
        collect_postgresql(source, None, ["public"], ad.metadata, iops_interval=0)
        yield ad.root
    finally:
        with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def target_with(make_db: Callable[[str], ConnectionParams], *statements: str) -> ConnectionParams:
    target = make_db("tgt")
    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        for s in statements:
            conn.execute(s)
    return target


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["ai", "analyze-queries", *args], catch_exceptions=False)


def index_names(target: ConnectionParams) -> set[str]:
    with psycopg.connect(**connect_kwargs(target)) as conn:  # type: ignore[arg-type]
        return {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


def test_advice_is_checked_with_explain_on_a_loaded_target(assessment: Path,
                                                            make_db: Callable[[str], ConnectionParams]) -> None:
    target = target_with(make_db, SCHEMA, DATA)
    before = index_names(target)
    result = run("--assessment-dir", str(assessment), *target_cli_args(target), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pg_stat_statements"] == "available"
    assert [p["calls"] for p in data["patterns"][:2]] == [40, 30]
    assert data["patterns"][0]["query"].startswith("SELECT id, total FROM public.orders WHERE status = $1")
    by_name = {a["index_name"]: a for a in data["indexes"]}
    status = by_name[STATUS_INDEX]
    assert status["key_columns"] == ["status", "created_at"] and status["include_columns"] == ["id", "total"]
    assert status["sql_yugabytedb"] == (f"CREATE INDEX {STATUS_INDEX} ON public.orders (status HASH, created_at ASC) "
                                        "INCLUDE (id, total)")
    # The target has the data and statistics: the planner picks the new indexes, and they cost less.
    for name in (STATUS_INDEX, EMAIL_INDEX):
        check = by_name[name]["check"]
        assert check["status"] == "chosen", check
        assert name in check["after"]["indexes"] and name not in check["before"]["indexes"]
        assert check["after"]["cost"] < check["before"]["cost"]
    # The existing orders_customer_idx serves sum(total) by customer: extended with INCLUDE (total), not repeated.
    extended = by_name["orders_customer_id_idx"]
    assert extended["extends"] == "orders_customer_idx" and extended["include_columns"] == ["total"]
    assert {s["served_by"] for s in data["suppressed"]} == {"customers_pkey", "regions_pkey"}
    [colo] = data["colocation"]
    assert colo["tables"] == ["public.customers", "public.regions"]
    assert index_names(target) == before  # everything ran in a rolled-back transaction
    with psycopg.connect(**connect_kwargs(target)) as conn:  # type: ignore[arg-type]
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)

    text = run("--assessment-dir", str(assessment), *target_cli_args(target), "--top", "2")
    assert text.exit_code == 0, text.output
    assert "Query patterns: top 2 of 4" in text.output
    assert "Index 1: public.orders (status, created_at) INCLUDE (id, total)" in text.output
    assert "└── EXPLAIN on PostgreSQL 15" in text.output and f"chosen: the plan uses {STATUS_INDEX}" in text.output


def test_small_target_shows_usable_and_a_missing_table_is_not_checked(
        assessment: Path, make_db: Callable[[str], ConnectionParams]) -> None:
    # Schema imported without orders; customers holds a few analyzed rows, so a sequential scan is cheapest.
    target = target_with(make_db, "CREATE TABLE public.regions (id int PRIMARY KEY, name text NOT NULL)",
                         "CREATE TABLE public.customers (id bigint PRIMARY KEY, email text NOT NULL, name text, "
                         "region_id int)",
                         "INSERT INTO public.customers SELECT g, 'c' || g, 'n', 1 FROM generate_series(1, 50) g",
                         "ANALYZE public.customers")
    result = run("--assessment-dir", str(assessment), *target_cli_args(target), "--json")
    assert result.exit_code == 0, result.output
    by_name = {a["index_name"]: a["check"] for a in json.loads(result.output)["indexes"]}
    assert by_name[STATUS_INDEX]["status"] == "not_checked"
    assert by_name[STATUS_INDEX]["detail"].startswith("not checked: table public.orders not in target")
    email = by_name[EMAIL_INDEX]
    assert email["status"] == "usable", email
    assert EMAIL_INDEX in email["forced"]["indexes"] and EMAIL_INDEX not in email["after"]["indexes"]
    assert email["after"]["summary"][0].startswith("Seq Scan on customers")

    text = run("--assessment-dir", str(assessment), *target_cli_args(target))
    assert f"usable: the plan uses {EMAIL_INDEX} once sequential scans are off" in text.output
    assert "not checked: table public.orders not in target" in text.output


def test_bad_inputs(tmp_path: Path, assessment: Path, make_db: Callable[[str], ConnectionParams]) -> None:
    target = make_db("tgt")
    missing = run("--assessment-dir", str(tmp_path / "nowhere"), *target_cli_args(target))
    assert missing.exit_code == 1 and missing.output.strip() == f"error: assessment dir {tmp_path / 'nowhere'} " \
                                                                "does not exist"
    (tmp_path / "plain").mkdir()
    plain = run("--assessment-dir", str(tmp_path / "plain"), *target_cli_args(target))
    assert plain.exit_code == 1 and "is not an assessment dir: it has no metadata/" in plain.output

    # As a collection on a source without pg_stat_statements leaves it: an empty query-stats.csv.
    metadata = AssessmentDir(assessment).metadata
    write_csv(metadata / layout.QUERY_STATS.name, layout.QUERY_STATS, [])
    info = (metadata / layout.COLLECTION.name).read_text().replace("pg_stat_statements,available",
                                                                   "pg_stat_statements,missing")
    (metadata / layout.COLLECTION.name).write_text(info)
    empty = run("--assessment-dir", str(assessment), *target_cli_args(target))
    assert empty.exit_code == 1
    assert "no query statistics: pg_stat_statements was not installed" in empty.output
    assert len(empty.output.strip().splitlines()) == 1

    (metadata / layout.QUERY_STATS.name).write_text("queryid,query\n1,SELECT 1\n")
    bad = run("--assessment-dir", str(assessment), *target_cli_args(target))
    assert bad.exit_code == 1 and "wrong header: missing column(s) calls" in bad.output


def test_unreachable_target(assessment: Path) -> None:
    result = run("--assessment-dir", str(assessment), "--target-db-host", "127.0.0.1", "--target-db-port", "1",
                 "--target-db-user", "postgres", "--target-ssl-mode", "disable")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ") and "127.0.0.1:1" in line


ESCAPE = "SELECT b FROM t WHERE a = $1; COMMIT; DROP TABLE victim"
LONG = "ä" * 30


def forged(query: str, schema: str = "public", table: str = "t") -> IndexAdvice:
    """Advice as a hand-edited JSON could hold it: check_index must not trust that analyze screened the query."""
    ddl = f"CREATE INDEX t_a_idx ON {quoted(schema)}.{quoted(table)} (a)"
    return IndexAdvice(schema_name=schema, table_name=table, index_name="t_a_idx", key_columns=["a"],
                       descending=[False], include_columns=[], leading="HASH", sql_yugabytedb=ddl, sql_postgresql=ddl,
                       reason="", sources=[QueryRef(rank=1, queryid="1", query=query, calls=1,
                                                    tables=[f"{schema}.{table}"], table_names=[(schema, table)])])


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stats_dir(root: Path, tables: dict[str, list[str]], queries: list[str]) -> Path:
    columns = [{"schema_name": "public", "table_name": t, "column_name": c, "ordinal": i + 1, "data_type": "integer"}
               for t, cols in tables.items() for i, c in enumerate(cols)]
    stats = [{"schema_name": "public", "table_name": t, "object_type": "table", "row_count": 0, "size_bytes": 8192,
              "column_count": len(cols), "has_primary_key": False} for t, cols in tables.items()]
    rows = [{"queryid": str(n), "query": q, "calls": 100 - n, "total_exec_time_ms": 10.0, "mean_exec_time_ms": 0.1,
             "rows": 1} for n, q in enumerate(queries, 1)]
    return assessment_dir(root, table_statistics=stats, columns=columns, query_stats=rows, schema_ddl="").root


def test_a_query_text_cannot_escape_the_rolled_back_check(tmp_path: Path,
                                                          make_db: Callable[[str], ConnectionParams]) -> None:
    target = target_with(make_db, "CREATE TABLE t (a int, b int)", "CREATE TABLE victim (x int)")
    root = stats_dir(tmp_path / "a", {"t": ["a", "b"]}, [ESCAPE, "SELECT b FROM t WHERE a = $1 AND b > $2"])
    result = run("--assessment-dir", str(root), *target_cli_args(target), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(k["queryid"], k["reason"]) for k in data["skipped"]] == [("1", "the text holds 3 statements, not one")]
    assert [a["sources"][0]["queryid"] for a in data["indexes"]] == ["2"]
    text = run("--assessment-dir", str(root), *target_cli_args(target))
    assert "Skipped: queryid 1 (99 calls): the text holds 3 statements, not one: SELECT b FROM t" in text.output

    # Advice that did not come through analyze (a hand-edited JSON) is screened again by the check itself.
    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        check = check_index(conn, forged(ESCAPE), "postgresql", ["public"]).check
        assert check is not None and check.status == "not_checked"
        assert check.detail == "not checked: the query is not run on the target: the text holds 3 statements, not one"
        assert conn.execute("SELECT to_regclass('public.victim') IS NOT NULL").fetchone() == (True,)
    assert index_names(target) == set()


def test_every_statement_is_single_and_inside_the_checks_transaction(
        make_db: Callable[[str], ConnectionParams]) -> None:
    target = target_with(make_db, "CREATE TABLE victim (x int)")
    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"), \
                conn.transaction(force_rollback=True):
            begin(conn, ["public"])
            run_sql(conn, "PREPARE p AS SELECT 1; COMMIT; DROP TABLE victim")
        assert conn.execute("SELECT to_regclass('public.victim') IS NOT NULL").fetchone() == (True,)
        # One statement that ends the transaction is caught right after it ran.
        with pytest.raises(Escaped, match="ended the check's transaction"), conn.transaction(force_rollback=True):
            begin(conn, ["public"])
            run_sql(conn, "COMMIT")
            run_sql(conn, "BEGIN")


def test_keywords_long_names_and_a_dotted_schema_are_checked(tmp_path: Path,
                                                             make_db: Callable[[str], ConnectionParams]) -> None:
    target = target_with(make_db, 'CREATE TABLE "order" (id int, "user" int, "group" int)',
                         f"CREATE TABLE {LONG} (a int, b int)", 'CREATE SCHEMA "a.b"',
                         'CREATE TABLE "a.b".t (a int, b int)')
    root = stats_dir(tmp_path / "a", {"order": ["id", "user", "group"], LONG: ["a", "b"]},
                     ['SELECT id FROM "order" WHERE "user" = $1 AND "group" = $2',
                      f"SELECT b FROM {LONG} WHERE a = $1"])
    result = run("--assessment-dir", str(root), *target_cli_args(target), "--json")
    assert result.exit_code == 0, result.output
    checks = {a["table_name"]: a["check"] for a in json.loads(result.output)["indexes"]}
    # Unquoted, `user` was current_user (the index did not fit the query) and `group` a syntax error; a name
    # cut at 63 characters was cut again by the target, so the plan named another index than the advice.
    assert {t: c["status"] for t, c in checks.items()} == {"order": "chosen", LONG: "chosen"}, checks
    assert index_names(target) == set()

    with psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        check = check_index(conn, forged('SELECT b FROM "a.b".t WHERE a = $1', schema="a.b"), "postgresql",
                            ["a.b"]).check
    assert check is not None and check.status == "chosen", check


def test_a_busy_table_is_not_checked(make_db: Callable[[str], ConnectionParams]) -> None:
    target = target_with(make_db, "CREATE TABLE t (a int, b int)")
    with psycopg.connect(**connect_kwargs(target)) as writer, \
            psycopg.connect(**connect_kwargs(target), autocommit=True) as conn:  # type: ignore[arg-type]
        writer.execute("INSERT INTO t VALUES (1, 1)")  # an open write transaction: CREATE INDEX must wait for it
        check = check_index(conn, forged("SELECT b FROM t WHERE a = $1"), "postgresql", ["public"]).check
        assert check is not None and check.status == "not_checked", check
        assert check.detail.startswith("not checked: the table is busy (the step 'create the index' waited longer "
                                       f"than lock_timeout {LOCK_TIMEOUT}")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        writer.rollback()
        check = check_index(conn, forged("SELECT b FROM t WHERE a = $1"), "postgresql", ["public"]).check
        assert check is not None and check.status == "chosen", check
