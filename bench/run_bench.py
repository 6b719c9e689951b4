"""Benchmark: voyager-tui against the tools a migration engineer would reach for instead.

    uv run python bench/run_bench.py [--rows 5000000] [--runs 3] [--only data]

Starts two private PostgreSQL clusters (source and target) with the same settings for every tool,
generates the dataset of issue 3 (orders: bigint pk, int, timestamptz, numeric(12,2), ~40-char text,
small jsonb, boolean; customers: 1/10 of the rows; PK + 2 secondary indexes on orders), then times,
in one run: the server-side COPY FROM a binary file (the floor), the binary psql COPY pipe, the text
pipe, pg_dump --data-only | psql, pgcopydb copy table-data and clone, and voyager-tui data-only and
full migrations. Prints medians, ratios and peak RSS as Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voyager_tui.engine.demo.embedded_pg import EmbeddedPostgres, server_dir_for  # noqa: E402

VT = str(Path(sys.executable).with_name("voyager-tui"))
DATA_ONLY = "voyager-tui data-only (export + import, ledger)"
FULL = "voyager-tui full (schema + data + keys + indexes + analyze + verify)"
NO_VERIFY = "voyager-tui full without verify (--through finalize-schema)"

# What pg_dump's pre-data section creates: the tables without their keys. Every data-only case loads into this,
# as a real migration does (pg_restore, pgcopydb and voyager-tui on PostgreSQL add keys and indexes after the data).
SCHEMA = """
CREATE TABLE customers (id bigint NOT NULL, name text NOT NULL, email text NOT NULL, created_at timestamptz);
CREATE TABLE orders (
    id bigint NOT NULL, customer_id int NOT NULL, created_at timestamptz NOT NULL, amount numeric(12,2),
    note text, attrs jsonb, paid boolean);
"""
KEYS_AND_INDEXES = """
ALTER TABLE customers ADD PRIMARY KEY (id);
ALTER TABLE orders ADD PRIMARY KEY (id);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_created_idx ON orders (created_at);
"""


def fill(conn: psycopg.Connection, rows: int) -> None:
    conn.execute(SCHEMA)
    conn.execute("""INSERT INTO customers SELECT i, 'customer ' || i, 'c' || i || '@example.com',
                    timestamptz '2020-01-01' + i * interval '1 minute' FROM generate_series(1, %s) i""",
                 (rows // 10,))
    conn.execute("""INSERT INTO orders SELECT i, (i::bigint * 7919) %% %s + 1,
                        timestamptz '2021-01-01' + i * interval '3 seconds', ((i * 37) %% 100000) / 100.0,
                        substr(md5(i::text) || md5((i + 1)::text), 1, 40),
                        jsonb_build_object('src', 'web', 'n', i %% 13, 'tag', 't' || (i %% 7)), i %% 3 = 0
                    FROM generate_series(1, %s) i""", (max(rows // 10, 1), rows))
    conn.execute(KEYS_AND_INDEXES)
    conn.execute("VACUUM ANALYZE")


class Clusters:
    def __init__(self, base: Path) -> None:
        self.source = EmbeddedPostgres(base / "source")
        self.target = EmbeddedPostgres(base / "target")

    def __enter__(self) -> Clusters:
        self.source.start()
        self.target.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.source.destroy()
        self.target.destroy()


def admin(server: EmbeddedPostgres, db: str = "postgres") -> psycopg.Connection:
    p = server.params(db)
    return psycopg.connect(host=p.host, port=p.port, user=p.user, dbname=p.dbname, autocommit=True)


def uri(server: EmbeddedPostgres, db: str) -> str:
    p = server.params(db)
    return f"postgresql://{p.user}@/{db}?host={p.host}&port={p.port}"


def psql(server: EmbeddedPostgres, db: str) -> list[str]:
    p = server.params(db)
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", p.host, "-p", str(p.port), "-U", p.user, "-d", db]


def fresh_target(clusters: Clusters, with_schema: bool) -> None:
    with admin(clusters.target) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        conn.execute("CREATE DATABASE bench")
    if with_schema:
        with admin(clusters.target, "bench") as conn:
            conn.execute(SCHEMA)


def timed(cmd: str | list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of the command and everything it waited for."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=isinstance(cmd, str), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {cmd}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024


def run_floor(clusters: Clusters, tmp: Path) -> tuple[float, int]:
    fresh_target(clusters, with_schema=True)
    with admin(clusters.target, "bench") as conn:
        start = time.perf_counter()
        for table in ("customers", "orders"):
            conn.execute(f"COPY {table} FROM '{tmp}/{table}.bin' (FORMAT binary)")
        return time.perf_counter() - start, 0


def pipe(clusters: Clusters, fmt: str) -> Callable[[], tuple[float, int]]:
    def run() -> tuple[float, int]:
        fresh_target(clusters, with_schema=True)
        src, tgt = " ".join(psql(clusters.source, "bench")), " ".join(psql(clusters.target, "bench"))
        total, rss = 0.0, 0
        for table in ("customers", "orders"):
            secs, mem = timed(f'{src} -c "COPY {table} TO STDOUT (FORMAT {fmt})" | '
                              f'{tgt} -c "COPY {table} FROM STDIN (FORMAT {fmt})"')
            total, rss = total + secs, max(rss, mem)
        return total, rss
    return run


def pg_dump_psql(clusters: Clusters) -> tuple[float, int]:
    fresh_target(clusters, with_schema=True)
    p = clusters.source.params("bench")
    dump = f"pg_dump --data-only -h {p.host} -p {p.port} -U {p.user} bench"
    return timed(f"{dump} | {' '.join(psql(clusters.target, 'bench'))}")


def pgcopydb(clusters: Clusters, tmp: Path, what: str) -> tuple[float, int]:
    data_only = what == "copy table-data"
    fresh_target(clusters, with_schema=data_only)
    work = tmp / "pgcopydb"
    shutil.rmtree(work, ignore_errors=True)
    args = [*what.split(), "--source", uri(clusters.source, "bench"), "--target", uri(clusters.target, "bench"),
            "--dir", str(work), "--table-jobs", "2"]
    if not data_only:
        args += ["--index-jobs", "2", "--no-owner", "--no-acl"]
    return timed(["pgcopydb", *args])


def voyager(clusters: Clusters, tmp: Path, through: str) -> tuple[float, int]:
    """`migrate run` from a fresh migration through the given step; data-only cases start from the schema."""
    full = through != "import-data"
    fresh_target(clusters, with_schema=not full)
    home = tmp / "vt-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "VOYAGER_TUI_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    s, t = clusters.source.params("bench"), clusters.target.params("bench")
    target = ["--target-db-host", t.host, "--target-db-port", str(t.port), "--target-db-user", t.user,
              "--target-db-name", "bench", "--target-ssl-mode", "disable"]
    export = str(tmp / "vt-export")
    shutil.rmtree(export, ignore_errors=True)
    subprocess.run([VT, "migrate", "init", "--migration-name", "bench", "--source-db-type", "postgresql",
                    "--source-db-host", s.host, "--source-db-port", str(s.port), "--source-db-user", s.user,
                    "--source-db-name", "bench", "--source-ssl-mode", "disable", "--export-dir", export, *target],
                   env=env, check=True, capture_output=True)
    common = ["--migration-name", "bench", *target]
    if not full:
        with admin(clusters.target, "bench") as conn:  # data-only: the schema is already there
            from voyager_tui.engine.phases import Phase, PhaseStatus
            from voyager_tui.engine.state_store import StateStore
            st = StateStore(conn)
            mid = st.get_migration(name="bench").migration_uuid
            for phase in (Phase.EXPORT_SCHEMA, Phase.ANALYZE_SCHEMA, Phase.IMPORT_SCHEMA):
                st.set_phase_status(mid, phase, PhaseStatus.IN_PROGRESS)
                st.set_phase_status(mid, phase, PhaseStatus.COMPLETED)
    # One process runs every step as a user's `migrate run` does; export and import data overlap in it.
    return timed([VT, "migrate", "run", "--through", through, *common], env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["data", "all"], default="all")
    ap.add_argument("--cases", default="", help="Run only the cases whose name contains one of these "
                                                "comma-separated words (for quick iterations; ratios need all).")
    args = ap.parse_args()
    # An installed voyager-tui runs from bytecode (pip and uv compile it at install). This checkout's own modules are
    # an editable install, and with PYTHONDONTWRITEBYTECODE set (as on these machines) every process would compile
    # them from source again: compile them once, as an install would.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "voyager_tui")], check=True)
    base = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    base.chmod(0o755)  # as root the servers run as `postgres`, which must reach their directories
    if server_dir_for(base) != base:
        raise SystemExit(f"{base} is not reachable by the postgres user")
    files = base / "files"  # written and read by the servers themselves (server-side COPY)
    files.mkdir()
    if os.geteuid() == 0:
        shutil.chown(files, "postgres", "postgres")
    with Clusters(base) as clusters:
        with admin(clusters.source) as conn:
            conn.execute("CREATE DATABASE bench")
        t0 = time.perf_counter()
        with admin(clusters.source, "bench") as conn:
            fill(conn, args.rows)
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('orders'))").fetchone()[0]
            for table in ("customers", "orders"):
                conn.execute(f"COPY {table} TO '{files}/{table}.bin' (FORMAT binary)")
        print(f"dataset: {args.rows:,} orders ({size} with indexes), generated in {time.perf_counter() - t0:.0f}s",
              file=sys.stderr)
        cases: dict[str, Callable[[], tuple[float, int]]] = {
            "server-side COPY FROM binary file (floor)": lambda: run_floor(clusters, files),
            "psql COPY binary pipe": pipe(clusters, "binary"),
            "psql COPY text pipe": pipe(clusters, "text"),
            "pg_dump --data-only | psql": lambda: pg_dump_psql(clusters),
            "pgcopydb copy table-data": lambda: pgcopydb(clusters, base, "copy table-data"),
            DATA_ONLY: lambda: voyager(clusters, base, "import-data"),
        }
        if args.only == "all":
            cases["pgcopydb clone"] = lambda: pgcopydb(clusters, base, "clone")
            cases[FULL] = lambda: voyager(clusters, base, "verify")
            cases[NO_VERIFY] = lambda: voyager(clusters, base, "finalize-schema")
        if args.cases:
            words = [w.strip() for w in args.cases.split(",")]
            cases = {k: v for k, v in cases.items() if any(w in k for w in words)}
        results: dict[str, tuple[float, int]] = {}
        for name, run in cases.items():
            times, rss = [], 0
            for i in range(args.runs):
                secs, mem = run()
                times.append(secs)
                rss = max(rss, mem)
                print(f"  {name} run {i + 1}: {secs:.2f}s", file=sys.stderr)
            results[name] = (statistics.median(times), rss)
    shutil.rmtree(base, ignore_errors=True)
    print(f"\n### {date.today().isoformat()} — {platform.node()}, {os.cpu_count()} cores, "
          f"{args.rows:,} orders + {args.rows // 10:,} customers, median of {args.runs}\n")
    print("| case | median s | peak RSS MiB |\n|---|---:|---:|")
    for name, (secs, rss) in results.items():
        cell = name.replace("|", r"\|")  # a pipe in a case name would end the Markdown cell
        print(f"| {cell} | {secs:.2f} | {rss or '-'} |")
    print("\nRatios (lower is better):")
    for ours, theirs, goal in ((DATA_ONLY, "psql COPY binary pipe", "≤ 1.2"),
                               (DATA_ONLY, "pg_dump --data-only | psql", "≤ 0.8"),
                               (FULL, "pgcopydb clone", "≤ 0.8"),
                               (NO_VERIFY, "pgcopydb clone", "for comparison: the work clone does")):
        if ours in results and theirs in results:
            print(f"- {ours} / {theirs}: {results[ours][0] / results[theirs][0]:.2f} ({goal})")


if __name__ == "__main__":
    main()
