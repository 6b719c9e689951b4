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

from tests.assessment_fixtures import write_csv
from tests.conftest import connect_kwargs, target_cli_args
from voyager_tui.cli.main import cli
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
