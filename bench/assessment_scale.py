"""Benchmark: a live assessment of a synthetic 10,000-table schema (with indexes and foreign keys).

    uv run python bench/assessment_scale.py [--tables 10000] [--runs 3]

Starts a private PostgreSQL cluster with default settings, creates --tables tables in one schema (bigint primary
key, five columns, one secondary index each, and a foreign key from every table but the first to the table
before it, plus ANALYZE), then times `voyager-tui assessment run` (IOPS window 1 s) and
`voyager-tui assessment generate-report` as a user runs them, recording wall time and peak RSS of each process
(children included). Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run_bench import timed  # noqa: E402  (bench/ is on sys.path when this script runs)

from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres, server_dir_for  # noqa: E402

VT = str(Path(sys.executable).with_name("voyager-tui"))
BATCH = 500  # tables created per transaction: one transaction for all would need ~40,000 locks


def create_schema(conn: psycopg.Connection, tables: int) -> None:
    conn.execute("CREATE SCHEMA app")
    for start in range(1, tables + 1, BATCH):
        stmts = []
        for i in range(start, min(start + BATCH, tables + 1)):
            fk = f", parent_id bigint REFERENCES app.t{i - 1:05d} (id)" if i > 1 else ", parent_id bigint"
            stmts.append(f"CREATE TABLE app.t{i:05d} (id bigint PRIMARY KEY, code text NOT NULL, "
                         f"amount numeric(12,2), created_at timestamptz DEFAULT now(), payload jsonb{fk})")
            stmts.append(f"CREATE INDEX t{i:05d}_code_idx ON app.t{i:05d} (code)")
            stmts.append(f"INSERT INTO app.t{i:05d} (id, code) SELECT g, 'c' || g FROM generate_series(1, 3) g")
        with conn.transaction():
            conn.execute(";\n".join(stmts))
    conn.execute("ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    # As an install would (see run_bench.py): run from bytecode, not from source compiled in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "voyager_tui")], check=True)
    base = Path(tempfile.mkdtemp(prefix="vt-assess-bench-"))
    base.chmod(0o755)  # as root the server runs as `postgres`, which must reach its directory
    if server_dir_for(base) != base:
        raise SystemExit(f"{base} is not reachable by the postgres user")
    server = EmbeddedPostgres(base / "source")
    server.start()
    try:
        p = server.params("postgres")
        with psycopg.connect(host=p.host, port=p.port, user=p.user, dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE scale")
        t0 = time.perf_counter()
        with psycopg.connect(host=p.host, port=p.port, user=p.user, dbname="scale", autocommit=True) as conn:
            create_schema(conn, args.tables)
        print(f"schema: {args.tables:,} tables, {args.tables:,} indexes, {args.tables - 1:,} foreign keys, "
              f"created in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
        env = {**os.environ, "VOYAGER_TUI_HOME": str(base / "home"),
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
        runs: dict[str, list[float]] = {"assessment run": [], "assessment generate-report": []}
        rss: dict[str, int] = dict.fromkeys(runs, 0)
        issues = 0
        for i in range(args.runs):
            adir = base / f"assessment-{i}"
            run = [VT, "assessment", "run", "--source-db-type", "postgresql", "--source-db-host", p.host,
                   "--source-db-port", str(p.port), "--source-db-user", p.user, "--source-db-name", "scale",
                   "--source-ssl-mode", "disable", "--source-schemas", "app", "--assessment-dir", str(adir),
                   "--iops-interval", "1"]
            report = [VT, "assessment", "generate-report", "--assessment-dir", str(adir)]
            for name, cmd in (("assessment run", run), ("assessment generate-report", report)):
                secs, mem = timed(cmd, env)
                runs[name].append(secs)
                rss[name] = max(rss[name], mem)
                print(f"  {name} run {i + 1}: {secs:.2f}s, {mem} MiB", file=sys.stderr)
            issues = len(json.loads((adir / "reports" / "assessment_report.json").read_text())["issues"])
    finally:
        server.destroy()
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n### {date.today().isoformat()} — {platform.node()}, {os.cpu_count()} cores; {args.tables:,} tables "
          f"+ {args.tables:,} indexes + {args.tables - 1:,} FKs; median of {args.runs}\n")
    print("| step | median s | peak RSS MiB |\n|---|---:|---:|")
    for name, times in runs.items():
        print(f"| voyager-tui {name} | {statistics.median(times):.2f} | {rss[name]} |")
    print(f"\nThe report lists {issues:,} issues.")


if __name__ == "__main__":
    main()
