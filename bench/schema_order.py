"""Is it faster to create secondary indexes and foreign keys before or after loading the data?

Loads a parent table and a child table (a few hundred thousand rows) with COPY in 20,000-row transactions, the
way import data does, into a scratch database on 127.0.0.1:5432, under three schema orders:

  before      tables with PK, secondary indexes and FKs all created first, then the load
  pk-first    tables with PK, load, then indexes (one connection, then two at once) and FKs NOT VALID + VALIDATE
  all-after   tables without any key, load, then PKs, indexes and FKs

Prints the median of each over --runs runs. The scratch database is dropped at the end.

    uv run python bench/schema_order.py [--rows 300000] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import threading
import time
import uuid
from collections.abc import Callable

import psycopg
from psycopg import sql

BATCH_ROWS = 20_000

TABLES = """
CREATE SCHEMA bench;
CREATE TABLE bench.customers (id bigint {pk}, email text NOT NULL, name text, created timestamptz);
CREATE TABLE bench.orders (id bigint {pk}, customer_id bigint NOT NULL, created timestamptz, amount numeric(12,2),
                           status text, note text);
"""
PRIMARY_KEYS = [
    "ALTER TABLE bench.customers ADD PRIMARY KEY (id)",
    "ALTER TABLE bench.orders ADD PRIMARY KEY (id)",
]
INDEXES = [
    "CREATE INDEX customers_email_idx ON bench.customers (lower(email))",
    "CREATE INDEX orders_customer_idx ON bench.orders (customer_id)",
    "CREATE INDEX orders_created_idx ON bench.orders (created)",
    "CREATE INDEX orders_open_idx ON bench.orders (status, created) WHERE status <> 'done'",
]
FK = ("ALTER TABLE bench.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
      "REFERENCES bench.customers (id)")


def make_data(rows: int) -> tuple[list[bytes], list[bytes]]:
    """COPY text batches: one customer per 6 orders."""
    n_customers = max(1, rows // 6)

    def batches(lines: Callable[[int], str], n: int) -> list[bytes]:
        out = []
        for start in range(1, n + 1, BATCH_ROWS):
            buf = io.StringIO()
            for i in range(start, min(n, start + BATCH_ROWS - 1) + 1):
                buf.write(lines(i))
            out.append(buf.getvalue().encode())
        return out

    customers = batches(lambda i: f"{i}\tuser{i}@example.com\tName {i}\t2024-01-01 00:00:00+00\n", n_customers)
    statuses = ("new", "paid", "shipped", "done", "done", "done")
    orders = batches(lambda i: f"{i}\t{(i * 7919) % n_customers + 1}\t2024-01-{i % 28 + 1:02d} {i % 24:02d}:00:00+00"
                               f"\t{i % 1000}.{i % 100:02d}\t{statuses[i % 6]}\tnote {i}\n", rows)
    return customers, orders


def load(conn: psycopg.Connection, table: str, batches: list[bytes]) -> None:
    for data in batches:
        with conn.transaction(), conn.cursor() as cur, cur.copy(
                sql.SQL("COPY bench.{} FROM STDIN").format(sql.Identifier(table))) as copy:
            copy.write(data)


def run_parallel(dsn: dict[str, object], statements: list[str], jobs: int) -> None:
    todo = list(statements)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with psycopg.connect(**dsn, autocommit=True) as c:  # type: ignore[arg-type]
                while True:
                    with lock:
                        if not todo:
                            return
                        stmt = todo.pop(0)
                    c.execute(stmt)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def one_run(dsn: dict[str, object], order: str, customers: list[bytes], orders: list[bytes]) -> tuple[float, float]:
    """Seconds spent creating the schema and loading, and seconds spent on what came after the load."""
    with psycopg.connect(**dsn, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute("DROP SCHEMA IF EXISTS bench CASCADE")
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        conn.execute(TABLES.format(pk="" if order == "all-after" else "PRIMARY KEY"))  # type: ignore[arg-type]
        if order == "before":
            for stmt in [*INDEXES, FK]:
                conn.execute(stmt)  # type: ignore[arg-type]
        load(conn, "customers", customers)
        load(conn, "orders", orders)
        loaded = time.perf_counter()
        if order == "all-after":
            for stmt in [*PRIMARY_KEYS, *INDEXES, FK]:
                conn.execute(stmt)  # type: ignore[arg-type]
        elif order in ("pk-first", "pk-first-2-jobs"):
            if order == "pk-first":
                for stmt in INDEXES:
                    conn.execute(stmt)  # type: ignore[arg-type]
            else:
                run_parallel(dsn, INDEXES, 2)
            conn.execute(FK + " NOT VALID")  # type: ignore[arg-type]
            conn.execute("ALTER TABLE bench.orders VALIDATE CONSTRAINT orders_customer_fk")
        return loaded - started, time.perf_counter() - loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000, help="rows in the child table (parent gets 1/6)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    args = parser.parse_args()

    base = {"host": args.host, "port": args.port, "user": args.user}
    name = f"vt_bench_schema_order_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**base, dbname="postgres", autocommit=True) as admin:  # type: ignore[arg-type]
        server = admin.execute("SHOW server_version").fetchone()
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn: dict[str, object] = base | {"dbname": name}
    customers, orders = make_data(args.rows)
    orders_list = ["before", "pk-first", "pk-first-2-jobs", "all-after"]
    times: dict[str, list[tuple[float, float]]] = {o: [] for o in orders_list}
    try:
        for run in range(args.runs):
            # Interleave the orders so drift in the machine's load hits all of them alike.
            for order in orders_list:
                times[order].append(one_run(dsn, order, customers, orders))
                load_s, post_s = times[order][-1]
                print(f"run {run + 1} {order:16} load {load_s:6.2f} s  after {post_s:6.2f} s  "
                      f"total {load_s + post_s:6.2f} s", flush=True)
    finally:
        with psycopg.connect(**base, dbname="postgres", autocommit=True) as admin:  # type: ignore[arg-type]
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    print(f"\nPostgreSQL {server[0] if server else '?'}; {args.rows:,} orders + {max(1, args.rows // 6):,} customers; "
          f"4 secondary indexes, 1 FK; median of {args.runs} runs")
    print(f"{'order':16} {'load':>7} {'after':>7} {'total':>7}   (totals of each run)")
    for order in orders_list:
        runs = times[order]
        totals = [a + b for a, b in runs]
        print(f"{order:16} {statistics.median(a for a, _ in runs):7.2f} {statistics.median(b for _, b in runs):7.2f} "
              f"{statistics.median(totals):7.2f}   ({', '.join(f'{t:.2f}' for t in totals)})")


if __name__ == "__main__":
    main()
