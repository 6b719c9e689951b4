"""A source database with every awkward name and type the data path must carry exactly."""

from __future__ import annotations

import subprocess
from typing import Any

import psycopg

from voyager_tui.engine.connections import ConnectionParams

AWKWARD_SQL = r"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order" (
    "ID" bigint PRIMARY KEY,
    "select" text,
    "größe" numeric(12, 2),
    created timestamptz,
    payload jsonb,
    tags text[],
    ints integer[],
    blob bytea,
    feeling mood,
    feelings mood[],
    qty positive_int,
    empty_vs_null text
);
INSERT INTO "Sales Dept"."Order"
SELECT i, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN '' ELSE 'row ' || i || E' tab\there\nnewline' END,
       (i * 1.25)::numeric(12, 2), timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes',
       jsonb_build_object('i', i, 'nested', jsonb_build_array(i, 'x', NULL), 'ü', true),
       ARRAY['a' || i, NULL, 'quote"s', 'com,ma'], ARRAY[i, i + 1], decode(md5(i::text), 'hex'),
       (ARRAY['sad', 'ok', 'happy']::mood[])[i % 3 + 1], ARRAY['ok', 'happy']::mood[], (i % 50) + 1,
       CASE WHEN i % 2 = 0 THEN '' ELSE NULL END
FROM generate_series(1, 20000) i;
CREATE TABLE public."日本語テーブル" ("列" text PRIMARY KEY, n int);
INSERT INTO public."日本語テーブル" SELECT 'キー' || i, i FROM generate_series(1, 300) i;
CREATE TABLE public.no_pk (a int, b text);
INSERT INTO public.no_pk SELECT i % 100, repeat('x', i % 17) FROM generate_series(1, 5000) i;
CREATE TABLE public.composite_pk (a int, b text, v float8, PRIMARY KEY (a, b));
INSERT INTO public.composite_pk SELECT i % 50, 'k' || i, i / 3.0 FROM generate_series(1, 8000) i;
CREATE TABLE public.gen (id int PRIMARY KEY, x int, doubled int GENERATED ALWAYS AS (x * 2) STORED);
INSERT INTO public.gen (id, x) SELECT i, i FROM generate_series(1, 100) i;
CREATE TABLE public.empty_table (id int PRIMARY KEY);
ANALYZE;
"""

SCHEMAS = ["Sales Dept", "public"]


def build_awkward_source(params: ConnectionParams) -> None:
    with psycopg.connect(host=params.host, port=params.port, user=params.user, dbname=params.dbname,
                         autocommit=True) as conn:
        conn.execute(AWKWARD_SQL)


def copy_schema(source: ConnectionParams, target: ConnectionParams) -> None:
    """Create the source's tables in the target with the real pg_dump and psql (test setup only)."""
    dump = subprocess.run(["pg_dump", "-h", source.host, "-p", str(source.port), "-U", source.user, "--schema-only",
                           "--no-owner", source.dbname], capture_output=True, text=True, check=True).stdout
    dump = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", target.host, "-p", str(target.port), "-U",
                    target.user, "-d", target.dbname], input=dump, text=True, check=True, capture_output=True)


def table_digest(params: ConnectionParams, table: str, order_by: str) -> tuple[int, str]:
    with psycopg.connect(host=params.host, port=params.port, user=params.user, dbname=params.dbname,
                         autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'; SET extra_float_digits = 3")
        row: Any = conn.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {order_by}), '')) "
                                f"FROM {table} t").fetchone()
        return int(row[0]), str(row[1])
