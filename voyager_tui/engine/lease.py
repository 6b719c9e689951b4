"""Who is running a phase right now: lease rows with heartbeats, and judging them alive or crashed."""

from __future__ import annotations

import getpass
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .formatting import format_duration
from .models import DEFAULT_STALE_AFTER, RunnerLease, RunnerState, RunnerView

HEARTBEAT_INTERVAL = 5.0


@dataclass(frozen=True)
class RunnerIdentity:
    """This process, as it appears in a lease."""

    holder_id: uuid.UUID = field(default_factory=uuid.uuid4)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


def actor() -> str:
    """Who did something, for the event log: user@host."""
    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def judge(lease: RunnerLease, server_time: datetime, stale_after: timedelta = DEFAULT_STALE_AFTER) -> RunnerView:
    """A lease is crashed when its heartbeat is stale, or at once when it belongs to a dead pid on this host."""
    silent = max(timedelta(0), server_time - lease.heartbeat_at)
    where = f"host {lease.host} (pid {lease.pid})"
    if lease.host == socket.gethostname() and not pid_alive(lease.pid):
        return RunnerView(lease=lease, state=RunnerState.CRASHED, silent_for=silent,
                          reason=f"the runner on {where} is gone (process not found)")
    if silent > stale_after:
        return RunnerView(lease=lease, state=RunnerState.CRASHED, silent_for=silent,
                          reason=f"the runner on {where} stopped sending heartbeats {format_duration(silent)} ago")
    return RunnerView(lease=lease, state=RunnerState.RUNNING, silent_for=silent,
                      reason=f"running on {where}, last heartbeat {format_duration(silent)} ago")


class HeartbeatThread(threading.Thread):
    """Beats every `interval` seconds until stopped; `beat` returns False when the lease was lost."""

    def __init__(self, beat: Callable[[], bool], interval: float = HEARTBEAT_INTERVAL) -> None:
        super().__init__(name="voyager-heartbeat", daemon=True)
        self._beat = beat
        self._interval = interval
        self._stop_event = threading.Event()
        self.lost = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            try:
                if not self._beat():
                    self.lost.set()
                    return
                self.error = None
            except Exception as exc:  # a transient target outage must not kill the step; retry next beat
                self.error = exc

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=self._interval + 5)
