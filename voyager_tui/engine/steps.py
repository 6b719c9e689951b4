"""The one registry of runnable steps, and the runner that executes a step under a lease.

Later features plug a step in with `register_step`; the CLI and the TUI both run steps through
`run_step`, so a step run from either writes the same rows to the target.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from .connections import ConnectionParams, connect_pg
from .errors import StepCancelled, VoyagerError, one_line
from .export_dir import ExportDir
from .lease import HEARTBEAT_INTERVAL, HeartbeatThread, RunnerIdentity
from .models import MigrationRecord, MigrationSnapshot, PhaseState
from .phases import PHASE_SPECS, Phase, PhaseStatus
from .secrets import DbRole, PasswordPrompt
from .state_store import StateStore


class Reporter(Protocol):
    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None: ...


class NullReporter:
    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None:
        return None


@dataclass(frozen=True)
class StepOption:
    """A setting a step accepts; the CLI turns it into `--name`, the TUI uses the default."""

    name: str
    """Flag name without dashes, e.g. "parallel-jobs"; the step reads it as options["parallel_jobs"]."""
    type: type[int] | type[str] | type[bool]
    default: Any
    help: str
    choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name.replace("-", "_")


def source_params(m: MigrationRecord) -> ConnectionParams:
    """Where a migration's source is, as registered (never with a password)."""
    return ConnectionParams(host=m.source_db_host or "127.0.0.1", port=m.source_db_port or 5432,
                            user=m.source_db_user or "postgres", dbname=m.source_db_name or "postgres",
                            sslmode=m.source_ssl_mode or "prefer")


@dataclass
class StepContext:
    store: StateStore
    migration: MigrationRecord
    target: ConnectionParams
    reporter: Reporter
    cancel: threading.Event
    lease_lost: threading.Event = field(default_factory=threading.Event)
    options: dict[str, Any] = field(default_factory=dict)
    target_password: str | None = None
    source_password: str | None = None
    prompt: PasswordPrompt | None = None

    @property
    def source(self) -> ConnectionParams:
        return source_params(self.migration)

    def connect_source(self, application_name: str = "voyager-tui") -> Any:
        return connect_pg(self.source, DbRole.SOURCE, password=self.source_password, prompt=self.prompt,
                          application_name=application_name)

    def connect_target(self, application_name: str = "voyager-tui") -> Any:
        return connect_pg(self.target, DbRole.TARGET, password=self.target_password, prompt=self.prompt,
                          application_name=application_name)

    @property
    def export_dir(self) -> ExportDir:
        chosen = self.options.get("export_dir") or self.migration.export_dir
        if not chosen:
            raise VoyagerError("this migration has no export dir: pass --export-dir")
        return ExportDir(Path(chosen).expanduser())

    def check_cancelled(self) -> None:
        """Steps call this between units of work; it stops them when asked to or when the lease is lost."""
        if self.cancel.is_set():
            raise StepCancelled("cancelled by the user")
        if self.lease_lost.is_set():
            raise StepCancelled("another runner took over this step")


class Step(Protocol):
    phase: Phase
    options: tuple[StepOption, ...]

    def unavailable_reason(self, snapshot: MigrationSnapshot, options: Mapping[str, Any]) -> str | None:
        """Why this step cannot run on this machine now (missing export dir, tools...), or None."""
        ...

    def run(self, ctx: StepContext) -> dict[str, Any] | None:
        """Do the work; return metadata to keep in migration_state.metadata."""
        ...


_REGISTRY: dict[Phase, Step] = {}
_builtins_loaded = False


def _registry() -> dict[Phase, Step]:
    """The registry, with the built-in steps of engine/pipeline/ registered on first use."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from . import pipeline

        for module in pkgutil.iter_modules(pipeline.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{pipeline.__name__}.{module.name}")
    return _REGISTRY


def _load_builtin(phase: Phase) -> None:
    """Import only the module of one built-in step (engine/pipeline/<phase>.py): a CLI command that runs one
    step should not pay for parsing libraries the other steps need."""
    if _builtins_loaded or phase in _REGISTRY:
        return
    try:
        importlib.import_module(f"voyager_tui.engine.pipeline.{phase.value}")
    except ModuleNotFoundError:
        _registry()


def register_step(step: Step) -> None:
    _REGISTRY[step.phase] = step


def unregister_step(phase: Phase) -> None:
    _REGISTRY.pop(phase, None)


def registered_step(phase: Phase) -> Step | None:
    _load_builtin(phase)
    return _REGISTRY.get(phase)


def unavailable_reason(phase: Phase, snapshot: MigrationSnapshot,
                       options: Mapping[str, Any] | None = None) -> str | None:
    step = registered_step(phase)
    if step is None:
        return f"this version of voyager-tui cannot run {PHASE_SPECS[phase].title} yet"
    return step.unavailable_reason(snapshot, options or {})


def run_step(
    target: ConnectionParams,
    migration_uuid: UUID,
    phase: Phase,
    *,
    reporter: Reporter | None = None,
    cancel: threading.Event | None = None,
    password: str | None = None,
    source_password: str | None = None,
    prompt: PasswordPrompt | None = None,
    command: str = "",
    options: dict[str, Any] | None = None,
    heartbeat_interval: float = HEARTBEAT_INTERVAL,
) -> PhaseState:
    """Run a registered step: take the phase's lease, mark it IN_PROGRESS, heartbeat while it runs,
    then mark it COMPLETED or FAILED (with the error) and release the lease."""
    step = registered_step(phase)
    if step is None:
        raise VoyagerError(f"this version of voyager-tui cannot run {PHASE_SPECS[phase].title} yet")
    me = RunnerIdentity()

    def connect() -> Any:
        return connect_pg(target, DbRole.TARGET, password=password, prompt=prompt,
                          application_name=f"voyager-tui-{phase.value}")

    chosen = {o.key: o.default for o in step.options} | {k: v for k, v in (options or {}).items() if v is not None}
    with connect() as conn:
        store = StateStore(conn)
        snapshot = store.snapshot(migration_uuid)
        reason = step.unavailable_reason(snapshot, chosen)
        if reason:
            raise VoyagerError(f"{PHASE_SPECS[phase].title} cannot run here: {reason}")
        store.acquire_lease(migration_uuid, phase, me, command=command)
        try:
            store.set_phase_status(migration_uuid, phase, PhaseStatus.IN_PROGRESS)
        except Exception:
            store.release_lease(migration_uuid, phase, me)
            raise
        ctx = StepContext(store=store, migration=snapshot.migration, target=target,
                          reporter=reporter or NullReporter(), cancel=cancel or threading.Event(),
                          options=chosen, target_password=password, source_password=source_password,
                          prompt=prompt)
        with connect() as beat_conn:
            beat_store = StateStore(beat_conn)
            beats = HeartbeatThread(_beat(beat_store, migration_uuid, phase, me, ctx.lease_lost),
                                    interval=heartbeat_interval)
            beats.start()
            try:
                metadata = step.run(ctx)
            except BaseException as exc:
                beats.stop()
                store.set_phase_status(migration_uuid, phase, PhaseStatus.FAILED, error=one_line(exc))
                store.release_lease(migration_uuid, phase, me)
                raise
            beats.stop()
        summary = (metadata or {}).get("summary")
        message = f"{PHASE_SPECS[phase].title} completed: {summary}" if isinstance(summary, str) else None
        state = store.set_phase_status(migration_uuid, phase, PhaseStatus.COMPLETED, metadata=metadata or {},
                                       message=message)
        store.release_lease(migration_uuid, phase, me)
        return state


def _beat(store: StateStore, migration_uuid: UUID, phase: Phase, me: RunnerIdentity,
          lost: threading.Event) -> Callable[[], bool]:
    def beat() -> bool:
        alive = store.heartbeat(migration_uuid, phase, me)
        if not alive:
            lost.set()
        return alive

    return beat
