"""Benchmark: `ai troubleshoot` changes a running import's parallelism, and the rates in table_progress show it.

    uv run python bench/live_parallelism.py [--rows 3000000] [--from-jobs 1] [--to-jobs 2]

Generates the issue-3 dataset on a private source cluster, runs `migrate run --through export-data` into a
private target, starts `migrate import data --parallel-jobs FROM` in its own process, and once the import has
run a few seconds asks `voyager-tui ai troubleshoot --parallel-jobs TO --yes` (the real CLI) to change it. It
samples `ybvoyager.table_progress` (the rate the importer writes about once a second) for `orders` the whole
time and prints the rates before and after the change, the ratio of their medians, and the event the importer
recorded. A benchmark, not a test: it samples on a clock, which a test must never do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from run_bench import VT, Clusters, admin, fill

SETTLE_SECONDS = 2.0  # rates are smoothed over about two writes: skip the samples around the change


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--from-jobs", type=int, default=1)
    ap.add_argument("--to-jobs", type=int, default=2)
    ap.add_argument("--change-after", type=float, default=8.0, help="Seconds of import before the change.")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="vt-live-"))
    base.chmod(0o755)  # the servers run as `postgres` when this runs as root
    with Clusters(base) as clusters:
        with admin(clusters.source) as conn:
            conn.execute("CREATE DATABASE bench")
        with admin(clusters.source, "bench") as conn:
            fill(conn, args.rows)
        with admin(clusters.target) as conn:
            conn.execute("CREATE DATABASE bench")
        env = {**os.environ, "VOYAGER_TUI_HOME": str(base / "vt-home"),
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
        s, t = clusters.source.params("bench"), clusters.target.params("bench")
        target = ["--target-db-host", t.host, "--target-db-port", str(t.port), "--target-db-user", t.user,
                  "--target-db-name", "bench", "--target-ssl-mode", "disable"]
        common = ["--migration-name", "bench", *target]
        subprocess.run([VT, "migrate", "init", "--migration-name", "bench", "--source-db-type", "postgresql",
                        "--source-db-host", s.host, "--source-db-port", str(s.port), "--source-db-user", s.user,
                        "--source-db-name", "bench", "--source-ssl-mode", "disable", "--export-dir",
                        str(base / "export"), *target], env=env, check=True, capture_output=True)
        subprocess.run([VT, "migrate", "run", "--through", "export-data", *common], env=env, check=True,
                       capture_output=True)
        importer = subprocess.Popen([VT, "migrate", "import", "data", "--parallel-jobs", str(args.from_jobs),
                                     *common], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples: list[tuple[float, int, float]] = []
        changed_at: float | None = None
        start = time.monotonic()
        with admin(clusters.target, "bench") as conn:
            while importer.poll() is None:
                row = conn.execute("""SELECT completed_rows, rate_per_second FROM ybvoyager.table_progress
                                      WHERE phase = 'import_data' AND table_name = 'orders'
                                        AND status = 'IN_PROGRESS'""").fetchone()
                now = time.monotonic() - start
                if row is not None:
                    samples.append((now, int(row[0]), float(row[1] or 0.0)))
                if changed_at is None and samples and now >= args.change_after:
                    changed_at = now
                    subprocess.run([VT, "ai", "troubleshoot", "--parallel-jobs", str(args.to_jobs), "--yes",
                                    *common], env=env, check=True, capture_output=True)
                time.sleep(0.5)
            if importer.returncode != 0:
                raise SystemExit(f"import failed: {importer.stderr.read().decode() if importer.stderr else ''}")
            event = conn.execute("""SELECT message, created_at FROM ybvoyager.events
                                    WHERE event_type = 'import_parallelism_changed'""").fetchone()
    shutil.rmtree(base, ignore_errors=True)
    if changed_at is None or event is None:
        raise SystemExit("the import finished before the change: use more --rows or a smaller --change-after")
    before = [r for at, _, r in samples if SETTLE_SECONDS <= at < changed_at and r > 0]
    after = [r for at, _, r in samples if at >= changed_at + SETTLE_SECONDS and r > 0]
    if not before or not after:
        raise SystemExit(f"too few samples on one side of the change at {changed_at:.1f} s: use more --rows "
                         f"({[(round(at, 1), rate) for at, _, rate in samples]})")
    print(f"\n### {date.today().isoformat()} — {os.uname().nodename}, {os.cpu_count()} cores, "
          f"{args.rows:,} orders, jobs {args.from_jobs} → {args.to_jobs} after {changed_at:.1f} s\n")
    print(f"- event: {event[0]}")
    print(f"- orders rate in table_progress before the change: median {statistics.median(before):,.0f} rows/s "
          f"({len(before)} samples)")
    print(f"- after: median {statistics.median(after):,.0f} rows/s ({len(after)} samples); "
          f"ratio {statistics.median(after) / statistics.median(before):.2f}")
    print("\n| s | rows done | rate rows/s |\n|---:|---:|---:|")
    for at, done, rate in samples[::2]:
        mark = " ← change" if changed_at is not None and abs(at - changed_at) < 0.5 else ""
        print(f"| {at:.1f} | {done:,} | {rate:,.0f}{mark} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
