"""One poller per target: a thread worker reads the target, and the next poll is armed only after the
previous one has been handled on the UI thread, so polls never overlap and a slow target slows only itself."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.timer import Timer

from ..engine.connections import ConnectionParams, needs_password
from ..engine.errors import one_line
from ..engine.watch import TargetWatch, WatchRequest
from .messages import TargetLost, TargetPolled

if TYPE_CHECKING:
    from .app import VoyagerApp

MAX_BACKOFF = 15.0


class TargetPoller:
    def __init__(self, app: VoyagerApp, key: str, params: ConnectionParams, interval: float,
                 as_of: datetime | None = None) -> None:
        self.app = app
        self.key = key
        self.watch = TargetWatch(params, as_of=as_of)
        self.interval = interval
        self.failures = 0
        self.in_flight = False
        self._timer: Timer | None = None

    @property
    def retry_in(self) -> float:
        """Seconds until the next try after `failures` failed polls in a row: 1, 2, 4, 8, 15, 15..."""
        return min(MAX_BACKOFF, 2.0 ** max(0, self.failures - 1))

    def poll_now(self) -> None:
        if self.in_flight:
            return  # the running poll will arm the next one
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.in_flight = True
        request = self.app.watch_request(self.key)
        self.app.run_worker(partial(self._work, request), thread=True, group=f"poll:{self.key}",
                            name=f"poll {self.key}", exit_on_error=False)

    def _work(self, request: WatchRequest) -> None:
        try:
            poll = self.watch.poll(request)
        except Exception as exc:  # every failure of a poll is reported in the banner, never raised
            text = str(exc) if str(exc) else one_line(exc)
            self.app.post_message(TargetLost(self.key, text, needs_password(text)))
            return
        self.app.post_message(TargetPolled(self.key, poll))

    def handled(self, ok: bool) -> None:
        """Called on the UI thread once the poll's message has been applied."""
        self.in_flight = False
        self.failures = 0 if ok else self.failures + 1
        self._timer = self.app.set_timer(self.interval if ok else self.retry_in, self.poll_now)

    def set_password(self, password: str) -> None:
        self.watch.password = password
        self.watch.close()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.watch.close()
