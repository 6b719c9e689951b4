"""COPY OUT through psql: C code moves the bytes from the source into chunk files.

One long-lived psql per export job reads commands on stdin; after each `\\copy` it echoes a marker so we
know the chunk is complete and how many rows it had. The password goes in the child's environment,
never in argv.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..connections import ConnectionParams, libpq_env
from ..errors import VoyagerError

MARKER = "__voyager_tui_chunk_done__"
# Identical text renderings on both sides (text-format chunks and verify checksums depend on it). Chunks are
# UTF8 whatever either database's encoding: a session left in the target's encoding (say LATIN1) would read
# every multi-byte character of a chunk as several characters.
SESSION_SETTINGS = {"DateStyle": "ISO, MDY", "TimeZone": "UTC", "IntervalStyle": "postgres",
                    "extra_float_digits": "3", "bytea_output": "hex", "client_encoding": "UTF8"}


class PsqlCopyOut:
    def __init__(self, params: ConnectionParams, password: str | None, cwd: Path, snapshot: str | None) -> None:
        psql = shutil.which("psql")
        if psql is None:
            raise VoyagerError("psql was not found on PATH: install the PostgreSQL client (postgresql-client)")
        self.proc = subprocess.Popen(
            [psql, "-X", "-v", "ON_ERROR_STOP=1", "--no-align", "--tuples-only"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
            env=libpq_env(params, password, "voyager-tui-export", SESSION_SETTINGS),
        )
        if snapshot is not None:
            # All jobs read one consistent picture of the source, like a single pg_dump would.
            self._run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
                      f"SET TRANSACTION SNAPSHOT '{snapshot}';\n")

    def copy_to_file(self, query: str, relative_path: str, fmt: str) -> int:
        """Run `\\copy (query) TO relative_path`; returns the row count psql reported."""
        if "\n" in query or "'" in relative_path:
            raise ValueError("psql meta-commands are single-line and paths must not contain quotes")
        return self._run(f"\\copy ({query}) TO '{relative_path}' WITH (FORMAT {fmt})\n") or 0

    def _run(self, commands: str) -> int | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(commands + f"\\echo {MARKER}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise VoyagerError(f"psql stopped: {self._stderr()}") from None
        rows: int | None = None
        for line in self.proc.stdout:
            line = line.strip()
            if line == MARKER:
                return rows
            if line.startswith("COPY "):
                rows = int(line.split()[1])
        raise VoyagerError(f"export failed: {self._stderr()}")

    def _stderr(self) -> str:
        self.proc.wait(timeout=30)
        assert self.proc.stderr is not None
        lines = [ln.strip() for ln in self.proc.stderr.read().splitlines() if ln.strip()]
        errors = [ln for ln in lines if "ERROR" in ln or "FATAL" in ln or "error" in ln.lower()]
        return (errors or lines or [f"psql exited with code {self.proc.returncode}"])[0].removeprefix("psql:")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("COMMIT;\n\\q\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
