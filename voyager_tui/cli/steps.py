"""`voyager-tui migrate <step>`: one command per phase, generated from the engine's step registry."""

from __future__ import annotations

import shlex
import sys
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..engine.formatting import printable
from ..engine.next_step import next_step
from ..engine.phases import PHASE_SPECS, Phase
from ..engine.steps import Reporter, StepOption, registered_step, run_step
from .lazy import LazyGroup
from .migrate import console, migrate, target_store
from .options import migration_options, migration_selector, target_options, target_params, tty_prompt
from .render import next_step_text


class RichReporter:
    """Progress of a step on the terminal: a bar when totals are known, plain lines when not a terminal.

    Steps that run side by side (`migrate run`) each report through their own `keyed` view: one bar each."""

    def __init__(self, out: Console) -> None:
        self.out = out
        # markup=False: progress messages name tables, and a name like "x[/]" is not markup.
        self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                             TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=out, transient=True)
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()  # steps report from several worker threads
        self._last: dict[str, str] = {}

    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None:
        self.update("", message, done, total)

    def keyed(self, key: str) -> Reporter:
        return _KeyedReporter(self, key)

    def update(self, key: str, message: str, done: float | None, total: float | None) -> None:
        with self._lock:
            message = printable(message)  # progress names tables: no terminal escapes from a table name
            if not self.out.is_terminal:
                if message != self._last.get(key):
                    self.out.print(message)
                    self._last[key] = message
                return
            task = self._tasks.get(key)
            if task is None:
                if not self._tasks:
                    self._bar.start()
                task = self._tasks[key] = self._bar.add_task(message, total=total)
            self._bar.update(task, description=message, completed=done or 0, total=total)

    def stop(self) -> None:
        if self._tasks:
            self._bar.stop()


@dataclass(frozen=True)
class _KeyedReporter:
    parent: RichReporter
    key: str

    def progress(self, message: str, done: float | None = None, total: float | None = None) -> None:
        self.parent.update(self.key, message, done, total)


def click_option(opt: StepOption) -> Any:
    flag = f"--{opt.name}"
    shown = "" if opt.default is None else f" [default: {opt.default}]"
    if opt.type is bool:
        shown = "" if opt.default is None else f" [default: {'on' if opt.default else 'off'}]"
        return click.option(f"{flag}/--no-{opt.name}", opt.key, default=None, help=opt.help + shown)
    kind: Any = click.Choice(list(opt.choices)) if opt.choices else opt.type
    return click.option(flag, opt.key, type=kind, default=None, help=opt.help + shown)


def make_step_command(phase: Phase, name: str) -> click.Command:
    spec = PHASE_SPECS[phase]

    def run(**kw: Any) -> None:
        target = target_params(kw)
        name_, uid = migration_selector(kw)
        with target_store(target) as store:
            mig = store.resolve_migration(name_, uid)
        out = console()
        reporter = RichReporter(out)
        argv = ["voyager-tui", *sys.argv[1:]]
        cancel = threading.Event()
        try:
            state = run_step(target, mig.migration_uuid, phase, reporter=reporter, cancel=cancel,
                             prompt=tty_prompt, command=shlex.join(argv), options=kw)
        except KeyboardInterrupt:
            cancel.set()
            raise
        finally:
            reporter.stop()
        out.print(f"✓ {spec.title} completed for migration {mig.migration_name}")
        summary = state.metadata.get("summary")
        if isinstance(summary, str):
            out.print(summary)
        with target_store(target) as store:
            snap = store.snapshot(mig.migration_uuid)
        out.print()
        out.print(next_step_text(next_step(snap, target)))

    step = registered_step(phase)
    options = step.options if step else ()
    cmd: Any = run
    for opt in reversed(options):
        cmd = click_option(opt)(cmd)
    cmd = click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                       help="Export directory on this machine (default: the one recorded at init).")(cmd)
    cmd = target_options(migration_options(cmd))
    return click.command(name, help=f"{spec.title} — {_first_sentence(phase)}")(cmd)


def _first_sentence(phase: Phase) -> str:
    from ..engine.next_step import _WHY

    text = _WHY.get(phase, "")
    return text.split(". ", 1)[-1] if ". " in text else text


def register_step_commands() -> None:
    """Attach `migrate export schema`, `migrate import data`, ... for every phase's CLI words; each command (and its
    step module) is built only when it is used or listed."""
    groups: dict[str, LazyGroup] = {}
    for phase, spec in PHASE_SPECS.items():
        if spec.cli[0] != "migrate":
            continue
        words = spec.cli[1:]
        factory = partial(make_step_command, phase, words[-1])
        if len(words) == 1:
            migrate.add_lazy(words[0], factory)
            continue
        group = groups.get(words[0])
        if group is None:
            group = LazyGroup(words[0], help=f"{words[0].capitalize()} steps.")
            groups[words[0]] = group
            migrate.add_command(group)
        group.add_lazy(words[1], factory)
