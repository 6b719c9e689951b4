"""`assessment generate-scripts`: the scripts run with the real clients (psql + pg_dump, mariadb) against the
real services, ingest cleanly, and (PostgreSQL) give the same CSVs as the live collector. Oracle has no server
here: its SQL is parsed with sqlglot and the SQL*Plus script is checked for what can be checked statically."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import sqlglot
from click.testing import CliRunner

from tests.conftest import connect_kwargs
from voyager_tui.cli.main import cli
from voyager_tui.engine.assessment import layout
from voyager_tui.engine.assessment.layout import SourceDbType
from voyager_tui.engine.assessment.metadata import read_metadata
from voyager_tui.engine.assessment.scripts import generate_scripts
from voyager_tui.engine.assessment.sql import load
from voyager_tui.engine.assessment.sql.sqlplus_script import (
    PROBES,
    SCRIPT_NAME,
    csv_query,
    full_access_values,
    oracle_queries,
)
from voyager_tui.engine.connections import ConnectionParams
from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres

SCHEMAS = ["sales", "Mixed Case", "public"]

SOURCE_SQL = [
    'CREATE SCHEMA sales',
    'CREATE SCHEMA "Mixed Case"',
    "CREATE TYPE sales.mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE DOMAIN sales.posint AS integer CHECK (VALUE > 0)",
    """CREATE TABLE sales.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
       email varchar(200) UNIQUE, mood sales.mood, moods sales.mood[], tags text[], score numeric(10,2))""",
    """CREATE TABLE sales.orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES sales.customers(id),
       qty sales.posint, note text, created timestamptz DEFAULT now(), CHECK (qty < 1000))""",
    "CREATE INDEX orders_cust_idx ON sales.orders (customer_id)",
    "CREATE INDEX orders_lower_note ON sales.orders (lower(note), created)",
    """CREATE TABLE sales.events (id bigint, at date NOT NULL, payload jsonb, PRIMARY KEY (id, at))
       PARTITION BY RANGE (at)""",
    "CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
    "CREATE TABLE sales.events_2025 PARTITION OF sales.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    "CREATE INDEX events_payload ON sales.events USING gin (payload)",
    """CREATE VIEW sales.big_orders AS SELECT o.id, c.name, 'a, "quoted"
value'::text AS odd FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id WHERE o.qty > 10""",
    "CREATE MATERIALIZED VIEW sales.order_counts AS SELECT customer_id, count(*) AS n FROM sales.orders GROUP BY 1",
    """CREATE FUNCTION sales.touch() RETURNS trigger LANGUAGE plpgsql AS
       $$BEGIN NEW.created := now(); RETURN NEW; END$$""",
    "CREATE TRIGGER orders_touch BEFORE UPDATE ON sales.orders FOR EACH ROW EXECUTE FUNCTION sales.touch()",
    "CREATE PROCEDURE sales.noop(a int) LANGUAGE sql AS $$SELECT 1$$",
    'CREATE TABLE "Mixed Case"."Odd Table" ("Col, A" int PRIMARY KEY, "b""q" text)',
    "CREATE TABLE public.plain (id int)",
    """INSERT INTO sales.customers (name, email, mood)
       SELECT 'c' || g, 'c' || g || '@x', 'ok' FROM generate_series(1, 50) g""",
    """INSERT INTO sales.orders (customer_id, qty, note)
       SELECT 1 + g % 50, 1 + g % 900, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END
       FROM generate_series(1, 300) g""",
    "INSERT INTO sales.events VALUES (1, '2024-05-01', '{}'), (2, '2025-05-01', '{\"a\": 1}')",
    "INSERT INTO public.plain SELECT generate_series(1, 10)",
    "REFRESH MATERIALIZED VIEW sales.order_counts",
    # Settled statistics, so both collections read the same row estimates and sizes.
    "VACUUM ANALYZE",
]


def build_pg_source(params: ConnectionParams, extra: list[str] | None = None) -> None:
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:
        for statement in [*(extra or []), *SOURCE_SQL]:
            conn.execute(statement)


@pytest.fixture
def pg_source(make_db: Callable[[str], ConnectionParams]) -> ConnectionParams:
    params = make_db("assess")
    build_pg_source(params)
    return params


def cli_run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200", **(env or {})}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def libpq_env(params: ConnectionParams, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=params.host, PGPORT=str(params.port), PGUSER=params.user, PGDATABASE=params.dbname,
               PGSSLMODE=params.sslmode, **extra)
    return env


def run_pg_wrapper(scripts: Path, params: ConnectionParams, schemas: list[str], out: Path,
                   interval: int = 1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(scripts / "collect-postgresql.sh"), "-s", ",".join(schemas), "-o", str(out),
                           "-i", str(interval)], env=libpq_env(params), capture_output=True, text=True, timeout=300)


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, strict=True))


def comparable(metadata_dir: Path) -> dict[str, Counter[tuple[str, ...]]]:
    """Each CSV's rows as a multiset, without what legitimately differs between two collections."""
    out: dict[str, Counter[tuple[str, ...]]] = {}
    for spec in layout.CSV_FILES:
        path = metadata_dir / spec.name
        if not path.exists():
            continue
        header, *body = rows(path)
        assert header == list(spec.columns), spec.name
        if spec is layout.COLLECTION:
            body = [r for r in body if r[0] not in ("collected_at", "collector")]
        if spec is layout.IOPS_METRICS:
            body = [r[:4] for r in body]  # counters and times move; objects and both samples must not
        out[spec.name] = Counter(tuple(r) for r in body)
    return out


def without_restrict(ddl: str) -> str:
    # pg_dump 15.14+ brackets its output with \restrict <random key> / \unrestrict <key>.
    return "\n".join(line for line in ddl.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def info(metadata_dir: Path) -> dict[str, str]:
    return {k: v for k, v in rows(metadata_dir / layout.COLLECTION.name)[1:]}


# ---- PostgreSQL ---------------------------------------------------------------------------------------------


def test_postgresql_scripts_and_live_run_collect_the_same(pg_source: ConnectionParams, tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    code, out, err = cli_run("assessment", "generate-scripts", "--source-db-type", "postgresql",
                             "--output-dir", str(scripts))
    assert code == 0, err
    assert {p.name for p in scripts.iterdir()} == {"collect-postgresql.sh", "collect-postgresql.psql", "README.md"}

    proc = run_pg_wrapper(scripts, pg_source, SCHEMAS, tmp_path / "collected")
    assert proc.returncode == 0, proc.stderr
    assert "[11/11] writing collection notes" in proc.stdout
    code, out, err = cli_run("assessment", "ingest-metadata", "--assessment-dir", str(tmp_path / "by-script"),
                             "--metadata-dir", str(tmp_path / "collected"))
    assert code == 0, err
    assert "ingested into" in out and "generate-report --assessment-dir" in out

    code, out, err = cli_run("assessment", "run", "--source-db-type", "postgresql", "--source-db-host", pg_source.host,
                             "--source-db-port", str(pg_source.port), "--source-db-user", pg_source.user,
                             "--source-db-name", pg_source.dbname, "--source-ssl-mode", "disable",
                             "--source-schemas", ",".join(SCHEMAS), "--assessment-dir", str(tmp_path / "live"),
                             "--iops-interval", "1")
    assert code == 0, err
    assert "[4/13] collecting index info" in out

    by_script, live = tmp_path / "by-script" / "metadata", tmp_path / "live" / "metadata"
    assert sorted(p.name for p in live.iterdir()) == sorted(p.name for p in by_script.iterdir())
    assert comparable(by_script) == comparable(live)
    ddl_script, ddl_live = ((d / "schema.sql").read_text() for d in (by_script, live))
    assert without_restrict(ddl_script) == without_restrict(ddl_live)
    assert info(by_script)["collector"] == "script" and info(live)["collector"] == "live"

    # What was collected is what the database holds.
    md = read_metadata(live)
    objects = {(o.schema_name, o.object_name): o for o in md.schema_objects}
    assert objects[("sales", "events")].object_type == "partitioned table"
    assert objects[("sales", "events_2024")].parent_name == "events"
    assert objects[("sales", "order_counts")].object_type == "materialized view"
    assert 'a, "quoted"\nvalue' in (objects[("sales", "big_orders")].details or "")
    assert objects[("sales", "touch")].object_type == "function"
    assert objects[("sales", "noop")].object_type == "procedure"
    assert objects[("sales", "orders_touch")].parent_name == "orders"
    assert objects[("sales", "mood")].details == "enum: sad, ok, happy"
    assert objects[("sales", "orders_id_seq")].parent_name == "orders"
    indexes = {i.index_name: i for i in md.indexes}
    assert indexes["orders_lower_note"].column_list == ["lower(note)", "created"]
    assert indexes["events_payload"].index_type == "gin"
    fk = next(c for c in md.constraints if c.constraint_type == "f")
    assert (fk.table_name, fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) == \
        ("orders", "customer_id", "sales", "customers", "id")
    odd = [c for c in md.columns if c.table_name == "Odd Table"]
    assert [c.column_name for c in odd] == ["Col, A", 'b"q']
    moods = next(c for c in md.columns if c.column_name == "moods")
    assert (moods.data_type, moods.type_schema) == ("mood[]", "sales")
    tables = {t.table_name: t for t in md.table_statistics}
    assert tables["orders"].row_count == 300 and tables["plain"].row_count == 10
    assert tables["orders"].has_primary_key and not tables["plain"].has_primary_key
    assert {(r.object_name, r.measurement) for r in md.iops} >= {("orders", "initial"), ("orders", "final")}
    assert md.info.schemas == SCHEMAS and md.info.pg_stat_statements == "missing"
    assert any(n.step == "query-stats" and "not installed" in n.message for n in md.notes)
    assert md.schema_ddl is not None and "CREATE TABLE sales.orders" in md.schema_ddl


def test_pg_stat_statements_created_but_not_preloaded(make_db: Callable[[str], ConnectionParams],
                                                       tmp_path: Path) -> None:
    """The extension exists but the library is not loaded (the 5432 service): its view errors; both paths note it
    and collect the rest."""
    params = make_db("nopreload")
    build_pg_source(params, extra=["CREATE EXTENSION pg_stat_statements"])
    generate_scripts(SourceDbType.POSTGRESQL, tmp_path / "scripts")
    proc = run_pg_wrapper(tmp_path / "scripts", params, ["sales"], tmp_path / "collected", interval=0)
    assert proc.returncode == 0, proc.stderr
    from voyager_tui.engine.assessment.collect_pg import collect_postgresql

    collect_postgresql(params, None, ["sales"], tmp_path / "live", iops_interval=0)
    for d in (tmp_path / "collected", tmp_path / "live"):
        md = read_metadata(d)
        assert md.info.pg_stat_statements == "missing"
        note = next(n for n in md.notes if n.step == "query-stats")
        assert "shared_preload_libraries" in note.message and "SQLSTATE 55000" in note.message
        assert md.query_stats == [] and len(md.schema_objects) > 10 and md.column_statistics
    assert comparable(tmp_path / "collected") == comparable(tmp_path / "live")


@pytest.fixture
def pgss_source(pgss_cluster: EmbeddedPostgres) -> Iterator[ConnectionParams]:
    name = f"vt_pgss_{uuid.uuid4().hex[:8]}"
    admin = pgss_cluster.params("postgres")
    with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    params = pgss_cluster.params(name)
    build_pg_source(params, extra=["CREATE EXTENSION pg_stat_statements"])
    yield params
    with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def application_queries(params: ConnectionParams, times: int) -> None:
    with psycopg.connect(**connect_kwargs(params), autocommit=True) as conn:
        for i in range(times):
            conn.execute("SELECT count(*) FROM sales.orders WHERE qty > %s", (i,))
            conn.execute("UPDATE sales.customers SET score = %s WHERE id = %s", (i, 1 + i % 50))


def test_pg_stat_statements_both_paths(pgss_source: ConnectionParams, tmp_path: Path) -> None:
    application_queries(pgss_source, 7)
    generate_scripts(SourceDbType.POSTGRESQL, tmp_path / "scripts")
    proc = run_pg_wrapper(tmp_path / "scripts", pgss_source, ["sales"], tmp_path / "collected", interval=0)
    assert proc.returncode == 0, proc.stderr
    from voyager_tui.engine.assessment.collect_pg import collect_postgresql

    collect_postgresql(pgss_source, None, ["sales"], tmp_path / "live", iops_interval=0)
    for d in (tmp_path / "collected", tmp_path / "live"):
        md = read_metadata(d)
        assert md.info.pg_stat_statements == "available"
        counts = next(q for q in md.query_stats if "FROM sales.orders WHERE qty >" in q.query)
        assert counts.calls == 7 and counts.rows == 7 and counts.total_exec_time_ms is not None
        update = next(q for q in md.query_stats if q.query.startswith("UPDATE sales.customers SET score"))
        assert update.calls == 7 and update.rows == 7
        # The collection's own statements (the first run's too, in the second) are left out; pg_dump's are the
        # DBA's like any other client's.
        assert not any("voyager_tui" in q.query or "voyager-tui" in q.query for q in md.query_stats)
        assert not any(n.step == "query-stats" for n in md.notes)


def test_pg_stat_statements_without_permission(pgss_source: ConnectionParams, tmp_path: Path) -> None:
    """pg_stat_statements revoked from PUBLIC: a role that may not read it gets a note, no_permission, and the rest."""
    role = f"vt_assessor_{uuid.uuid4().hex[:8]}"
    admin = pgss_source.model_copy(update={"dbname": "postgres"})
    with psycopg.connect(**connect_kwargs(pgss_source), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT USAGE ON SCHEMA sales TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA sales TO {role}")
        conn.execute("REVOKE SELECT ON pg_stat_statements FROM PUBLIC")
    try:
        limited = pgss_source.model_copy(update={"user": role})
        generate_scripts(SourceDbType.POSTGRESQL, tmp_path / "scripts")
        proc = run_pg_wrapper(tmp_path / "scripts", limited, ["sales"], tmp_path / "collected", interval=0)
        assert proc.returncode == 0, proc.stderr
        assert "permission denied for view pg_stat_statements" in proc.stderr  # psql shows the server's error
        from voyager_tui.engine.assessment.collect_pg import collect_postgresql

        collect_postgresql(limited, None, ["sales"], tmp_path / "live", iops_interval=0)
        for d in (tmp_path / "collected", tmp_path / "live"):
            md = read_metadata(d)
            assert md.info.pg_stat_statements == "no_permission"
            note = next(n for n in md.notes if n.step == "query-stats" and n.severity == "warning")
            assert "permission denied for view pg_stat_statements" in note.message and "42501" in note.message
            assert md.query_stats == [] and md.table_statistics and md.indexes and md.columns
        assert comparable(tmp_path / "collected") == comparable(tmp_path / "live")
    finally:
        with psycopg.connect(**connect_kwargs(pgss_source), autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")  # its grants in this database
        with psycopg.connect(**connect_kwargs(admin), autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")


# ---- MySQL / MariaDB ----------------------------------------------------------------------------------------

MYSQL_SQL = [
    """CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY,
         name VARCHAR(100) NOT NULL COMMENT 'full name, "as typed"', email VARCHAR(200) UNIQUE,
         kind ENUM('a,b', 'c"d', 'e''f') DEFAULT 'a,b', bio TEXT, amount DECIMAL(10,2) CHECK (amount >= 0))
       COMMENT = 'customers, with "quotes"\nand a newline'""",
    """CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, customer_id INT, note VARCHAR(50), created DATETIME,
         CONSTRAINT fk_cust FOREIGN KEY (customer_id) REFERENCES customers(id), INDEX idx_note (note(10), created))""",
    """CREATE TABLE events (id INT, at DATE, PRIMARY KEY (id, at)) PARTITION BY RANGE (YEAR(at))
         (PARTITION p2024 VALUES LESS THAN (2025), PARTITION pmax VALUES LESS THAN MAXVALUE)""",
    """CREATE VIEW big_orders AS SELECT o.id, c.name, 'a, "quoted"\nvalue' AS odd
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id > 10""",
    "CREATE TRIGGER orders_bi BEFORE INSERT ON orders FOR EACH ROW SET NEW.created = NOW()",
    "CREATE FUNCTION add1(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
    "INSERT INTO customers (name, email) VALUES ('x', 'x@y'), ('y', 'y@y')",
    "INSERT INTO orders (id, customer_id, note) VALUES (1, 1, 'hello'), (2, 2, 'there')",
]


@pytest.fixture
def mysql_db() -> Iterator[str]:
    name = f"vt_assess_{uuid.uuid4().hex[:10]}"
    try:
        conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    except pymysql.err.OperationalError as exc:
        pytest.fail(f"MariaDB is not answering on 127.0.0.1:3306 ({exc})", pytrace=False)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
        cur.execute(f"USE {name}")
        for statement in MYSQL_SQL:
            cur.execute(statement)
    try:
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


def test_mysql_scripts_with_the_mariadb_client(mysql_db: str, tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    code, _, err = cli_run("assessment", "generate-scripts", "--source-db-type", "mysql", "--output-dir", str(scripts))
    assert code == 0, err
    env = {k: v for k, v in os.environ.items() if k != "MYSQL_PWD"}
    env["MYSQL_CLIENT"] = "mariadb"  # the MariaDB client, whatever `mysql` on PATH is
    out = tmp_path / "collected"
    proc = subprocess.run(["sh", str(scripts / "collect-mysql.sh"), "-H", "127.0.0.1", "-P", "3306", "-u", "root",
                           "-d", mysql_db, "-o", str(out), "-i", "1"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    code, _, err = cli_run("assessment", "ingest-metadata", "--assessment-dir", str(tmp_path / "a"),
                           "--metadata-dir", str(out))
    assert code == 0, err
    md = read_metadata(tmp_path / "a" / "metadata")
    assert md.info.source_db_type is SourceDbType.MYSQL and md.info.schemas == [mysql_db]
    assert md.info.source_db_version and "MariaDB" in md.info.source_db_version
    objects = {(o.object_type, o.object_name): o for o in md.schema_objects}
    # Values with commas, quotes and newlines come through the client's batch output intact.
    view = objects[("view", "big_orders")].details or ""
    assert "'a, \"quoted\"" in view
    assert objects[("table", "customers")].details == 'engine InnoDB; comment: customers, with "quotes"\nand a newline'
    assert objects[("table", "events")].details == "engine InnoDB; partitioned"
    assert {("partition", "p2024"), ("partition", "pmax"), ("trigger", "orders_bi"), ("function", "add1"),
            ("index", "idx_note")} <= set(objects)
    kind = next(c for c in md.columns if c.column_name == "kind")
    assert kind.data_type == "enum('a,b','c\"d','e''f')"
    name_col = next(c for c in md.columns if c.table_name == "customers" and c.column_name == "name")
    assert name_col.is_nullable is False and name_col.data_type == "varchar(100)"
    fk = next(c for c in md.constraints if c.constraint_type == "f")
    assert (fk.constraint_name, fk.columns, fk.ref_table, fk.ref_columns) == ("fk_cust", "customer_id", "customers",
                                                                               "id")
    assert any(c.constraint_type == "c" and "amount" in (c.definition or "") for c in md.constraints)
    idx = next(i for i in md.indexes if i.index_name == "idx_note")
    assert idx.column_list == ["note", "created"] and "`note`(10)" in (idx.definition or "")
    tables = {t.table_name: t for t in md.table_statistics}
    assert set(tables) == {"customers", "orders", "events"} and tables["orders"].has_primary_key
    assert {r.measurement for r in md.iops} == {"initial", "final"} and len(md.iops) == 6
    assert md.schema_ddl is not None and "CREATE TABLE `orders`" in md.schema_ddl
    assert md.info.pg_stat_statements == "not_applicable"
    # MariaDB's default: performance_schema off, said in a note rather than failing.
    with pymysql.connect(host="127.0.0.1", port=3306, user="root", password="") as conn, conn.cursor() as cur:
        cur.execute("SELECT @@performance_schema")
        row: Any = cur.fetchone()
    if not row[0]:
        assert any(n.step == "iops" and "performance_schema is OFF" in n.message for n in md.notes)
        assert all(r.seq_reads is None for r in md.iops)


def test_mysql_missing_database_is_a_note(mysql_db: str, tmp_path: Path) -> None:
    generate_scripts(SourceDbType.MYSQL, tmp_path / "scripts")
    env = {**os.environ, "MYSQL_CLIENT": "mariadb"}
    out = tmp_path / "collected"
    proc = subprocess.run(["sh", str(tmp_path / "scripts" / "collect-mysql.sh"), "-H", "127.0.0.1", "-u", "root",
                           "-d", f"{mysql_db},vt_no_such_db", "-o", str(out), "-i", "0"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    md = read_metadata(out)
    assert any(n.step == "schemas" and "vt_no_such_db does not exist" in n.message for n in md.notes)
    assert any(n.step == "schema" and "schema.sql was not written" in n.message for n in md.notes)
    assert md.schema_ddl is None and {t.table_name for t in md.table_statistics} == {"customers", "orders", "events"}


# ---- Oracle (no server: static checks) ----------------------------------------------------------------------


def _substitute(text: str) -> str:
    values = full_access_values()
    return re.sub(r"&(\w+)\.?", lambda m: values[m.group(1)], text)


def test_oracle_queries_parse_and_name_the_layout_columns() -> None:
    produced = set()
    for src in oracle_queries():
        inner = sqlglot.parse_one(_substitute(src.body), read="oracle")
        assert inner.named_selects == list(src.spec.columns), src.name
        sqlglot.parse_one(_substitute(csv_query(src)), read="oracle")
        produced.add(src.csv)
    assert produced == {spec.name for spec in layout.CSV_FILES}
    # The DDL statement: sqlglot does not read WITH FUNCTION, so its SELECT is parsed on its own.
    ddl = load(SourceDbType.ORACLE, "schema-ddl").body
    select = ddl[ddl.index("SELECT vt_ddl"):]
    sqlglot.parse_one(_substitute(select), read="oracle")
    # The stand-ins for views the user may not read have the columns the queries use.
    for _var, _flag, _readable, standin, _probe in PROBES:
        if standin.startswith("("):
            sqlglot.parse_one(f"SELECT * FROM {standin} s", read="oracle")


def test_oracle_sqlplus_script(tmp_path: Path) -> None:
    paths = generate_scripts(SourceDbType.ORACLE, tmp_path)
    assert {p.name for p in paths} == {"collect-oracle.sh", SCRIPT_NAME, "README.md"}
    script = (tmp_path / SCRIPT_NAME).read_text()
    for setting in ("SET MARKUP CSV ON DELIMITER , QUOTE OFF", "SET VERIFY OFF", "SET FEEDBACK OFF",
                    "SET PAGESIZE 0", "SET TRIMSPOOL ON", "SET TRANSACTION READ ONLY;", "SET SQLBLANKLINES ON",
                    "ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,';", "DBMS_METADATA.GET_DDL",
                    "SPOOL schema.sql", "SPOOL iops-metrics.csv APPEND", "HOST sleep &wait_seconds"):
        assert setting in script, setting
    for spec in layout.CSV_FILES:
        assert f"SPOOL {spec.name}\nPROMPT {','.join(spec.columns)}\n" in script, spec.name
    assert "NOT VERIFIED" in (tmp_path / "README.md").read_text()


# ---- every wrapper ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source_type", list(SourceDbType))
def test_wrappers_are_posix_shell_and_explain_themselves(source_type: SourceDbType, tmp_path: Path) -> None:
    generate_scripts(source_type, tmp_path)
    wrapper = next(tmp_path.glob("collect-*.sh"))
    assert os.access(wrapper, os.X_OK)
    assert subprocess.run(["sh", "-n", str(wrapper)], capture_output=True).returncode == 0
    usage = subprocess.run(["sh", str(wrapper), "-h"], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 0 and "Usage:" in usage.stdout and "ingest-metadata" in usage.stdout
    assert "@IOPS_INTERVAL@" not in wrapper.read_text()
    readme = (tmp_path / "README.md").read_text()
    for section in ("## Run", "## How long it takes", "## Privileges", "## What each file reads",
                    "## Send the result back", "voyager-tui assessment ingest-metadata"):
        assert section in readme
    for spec in layout.CSV_FILES:
        if source_type is SourceDbType.MYSQL and spec is layout.COLUMN_STATISTICS:
            continue  # MySQL collects no column statistics (a note says so)
        assert f"`{spec.name}`" in readme, spec.name


def test_postgresql_wrapper_refuses_a_non_empty_output_dir(tmp_path: Path) -> None:
    generate_scripts(SourceDbType.POSTGRESQL, tmp_path / "scripts")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.csv").write_text("x\n")
    proc = subprocess.run(["sh", str(tmp_path / "scripts" / "collect-postgresql.sh"), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "is not empty" in proc.stderr
