"""Per-table progress, counted in memory by the workers and written to table_progress about once a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from ..phases import Phase
from ..state_store import StateStore, TableProgressUpdate
from ..steps import Reporter

WRITE_INTERVAL = 1.0


@dataclass
class _Table:
    total: int | None
    done: int = 0
    errored: int = 0
    status: str = "NOT_STARTED"
    rate: float | None = None
    last_done: int = 0
    last_time: float = field(default_factory=time.monotonic)
    dirty: bool = True


class ProgressTracker:
    """Thread-safe counters; a background thread (with its own StateStore) persists what changed.

    Writing absolute values (not deltas) makes a lost write harmless: the next one carries the truth.
    """

    def __init__(self, store_factory: Callable[[], StateStore], migration_uuid: UUID, phase: Phase,
                 interval: float = WRITE_INTERVAL, reporter: Reporter | None = None, verb: str = "") -> None:
        self._factory = store_factory
        self._reporter = reporter
        self._verb = verb
        self._uuid = migration_uuid
        self._phase = phase
        self._interval = interval
        self._tables: dict[tuple[str, str], _Table] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voyager-progress", daemon=True)
        self.error: Exception | None = None

    def start(self) -> ProgressTracker:
        self._thread.start()
        return self

    def table(self, schema: str, table: str, *, total: int | None, done: int = 0, errored: int = 0,
              status: str = "NOT_STARTED") -> None:
        with self._lock:
            self._tables[(schema, table)] = _Table(total=total, done=done, errored=errored, status=status,
                                                   last_done=done)

    def knows(self, schema: str, table: str) -> bool:
        with self._lock:
            return (schema, table) in self._tables

    def add(self, schema: str, table: str, rows: int, errored: int = 0) -> None:
        with self._lock:
            t = self._tables[(schema, table)]
            t.done += rows
            t.errored += errored
            t.status = "IN_PROGRESS" if t.status == "NOT_STARTED" else t.status
            t.dirty = True

    def set_status(self, schema: str, table: str, status: str, *, total: int | None = None) -> None:
        with self._lock:
            t = self._tables.setdefault((schema, table), _Table(total=total))
            t.status = status
            if total is not None:
                t.total = total
            t.dirty = True

    def totals(self) -> tuple[int, int | None]:
        with self._lock:
            totals = [t.total for t in self._tables.values()]
            done = sum(t.done for t in self._tables.values())
        return done, (None if any(x is None for x in totals) else sum(x or 0 for x in totals))

    def _run(self) -> None:
        store: StateStore | None = None
        while True:
            stopping = self._stop.wait(self._interval)
            try:
                if store is None:
                    store = self._factory()
                self._flush(store)
                self.error = None
            except Exception as exc:  # a target hiccup must not stop the data movement; retry next tick
                self.error = exc
                store = None
            if stopping:
                return

    def _flush(self, store: StateStore) -> None:
        now = time.monotonic()
        updates = []
        with self._lock:
            for (schema, name), t in self._tables.items():
                elapsed = now - t.last_time
                if elapsed > 0:
                    instant = (t.done - t.last_done) / elapsed
                    # Smoothed so the ETA does not jump with every batch.
                    t.rate = instant if t.rate is None else 0.5 * t.rate + 0.5 * instant
                t.last_done, t.last_time = t.done, now
                if not t.dirty and t.status != "IN_PROGRESS":
                    continue
                t.dirty = False
                updates.append(TableProgressUpdate(
                    schema_name=schema, table_name=name, phase=self._phase, total_rows=t.total,
                    completed_rows=t.done, errored_rows=t.errored, status=t.status,
                    rate_per_second=round(t.rate, 1) if t.status == "IN_PROGRESS" and t.rate is not None else 0.0,
                ))
        if updates:
            store.write_table_progress(self._uuid, updates)
        if self._reporter is not None:
            done, total = self.totals()
            with self._lock:
                finished = sum(1 for t in self._tables.values() if t.status == "COMPLETED")
                count = len(self._tables)
            self._reporter.progress(f"{self._verb}: {done:,} rows, {finished}/{count} tables done", done, total)

    def flush_now(self) -> None:
        """Write everything now, on the caller's thread (for final numbers without the background thread)."""
        self._flush(self._factory())

    def stop(self) -> None:
        """Write the final numbers and stop."""
        self._stop.set()
        self._thread.join(timeout=30)
