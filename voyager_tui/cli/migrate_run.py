"""`voyager-tui migrate run`: every remaining step of an offline migration in one command, up to verify."""

from __future__ import annotations

import contextlib
import shlex
import sys
import threading
from pathlib import Path
from typing import Any

import click

from ..engine.connections import ConnectionParams
from ..engine.models import MigrationRecord
from ..engine.next_step import next_step
from ..engine.phases import DONE, PHASE_ORDER, PHASE_SPECS, Phase
from ..engine.secrets import PasswordPrompt
from ..engine.steps import StepOption, registered_step
from .migrate import console, target_store
from .options import migration_options, migration_selector, target_options, target_params, tty_prompt
from .render import next_step_text
from .steps import RichReporter, click_option

# Destructive resets stay with the single-step commands, where a user asks for them on purpose.
_NOT_IN_RUN = {"start-clean"}
STOPPED_EARLY = 3
"""Exit status when the run stopped before --through: a decision, a review, or a step running elsewhere."""


def _phase_word(phase: Phase) -> str:
    return "-".join(PHASE_SPECS[phase].cli[1:])


def _shared_options() -> list[StepOption]:
    """The options of every runnable step, once each; an option several steps take applies to all of them."""
    from ..engine.run_remaining import RUNNABLE

    by_name: dict[str, tuple[StepOption, list[str]]] = {}
    for phase in RUNNABLE:
        step = registered_step(phase)
        for opt in step.options if step else ():
            if opt.name in _NOT_IN_RUN:
                continue
            titles = by_name.setdefault(opt.name, (opt, []))[1]
            titles.append(PHASE_SPECS[phase].title)
    merged = []
    for opt, titles in by_name.values():
        if len(titles) > 1:
            opt = StepOption(opt.name, opt.type, None, f"Applies to {', '.join(titles)} (default: each step's own).",
                             opt.choices)
        merged.append(opt)
    return merged


def _run(**kw: Any) -> None:
    from ..engine.run_remaining import run_remaining

    target = target_params(kw)
    name, uid = migration_selector(kw)
    word = kw.pop("through")
    through = next(p for p in PHASE_SPECS if _phase_word(p) == word)
    with target_store(target) as store:
        mig = store.resolve_migration(name, uid)
    out = console()
    reporter = RichReporter(out)
    cancel = threading.Event()
    lock = threading.Lock()
    typed: dict[str, str | None] = {}

    def prompt_once(what: str) -> str | None:
        # Steps connect from several threads: ask for each password once, one question at a time.
        with lock:
            if what not in typed:
                typed[what] = tty_prompt(what)
            return typed[what]

    _ask_passwords_now(target, mig, prompt_once)

    def done(phase: Phase, summary: str | None) -> None:
        out.print(f"✓ {PHASE_SPECS[phase].title} completed" + (f": {summary}" if summary else ""))

    try:
        outcome = run_remaining(target, mig.migration_uuid, through=through, options=kw,
                                reporter_for=lambda phase: reporter.keyed(phase.value), cancel=cancel,
                                prompt=prompt_once, command=shlex.join(["voyager-tui", *sys.argv[1:]]),
                                on_phase_done=done)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        reporter.stop()
    if not outcome.ran:
        out.print(f"Nothing to run up to {PHASE_SPECS[through].title} for migration {mig.migration_name}.")
    with target_store(target) as store:
        snap = store.snapshot(mig.migration_uuid)
    after = next_step(snap, target)
    out.print()
    out.print(next_step_text(after))
    if after.phase is not None and after.kind != "done" and \
            PHASE_ORDER.index(after.phase) <= PHASE_ORDER.index(through) and snap.statuses.get(through) not in DONE:
        # Scripts can tell a run that got where it was asked to from one that waits for someone.
        raise click.exceptions.Exit(STOPPED_EARLY)


def _ask_passwords_now(target: ConnectionParams, mig: MigrationRecord, prompt: PasswordPrompt) -> None:
    """Connect to the source once on this thread: a password prompt from a step's thread could not be
    interrupted with ctrl+c. A source that cannot be reached now is left to the steps that need it."""
    from ..engine.connections import connect_pg
    from ..engine.errors import ConnectionFailed
    from ..engine.secrets import DbRole
    from ..engine.steps import source_params

    if mig.source_db_type != "postgresql":
        return
    with contextlib.suppress(ConnectionFailed):
        connect_pg(source_params(mig), DbRole.SOURCE, prompt=prompt, application_name="voyager-tui-run").close()


def build_run_command() -> click.Command:
    from ..engine.run_remaining import RUNNABLE

    cmd: Any = _run
    for opt in reversed(_shared_options()):
        cmd = click_option(opt)(cmd)
    cmd = click.option("--through", type=click.Choice([_phase_word(p) for p in RUNNABLE]), default="verify",
                       show_default=True, help="Last step to run. Cutover is never run: it is your decision.")(cmd)
    cmd = click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                       help="Export directory on this machine (default: the one recorded at init).")(cmd)
    cmd = target_options(migration_options(cmd))
    return click.command("run", help="""Run every remaining step, from where the migration stands up to verify, in one
process: export and import data run side by side. It stops at the first failure, at a step another process is
running or that cannot run here, and before cutover; `migrate next` then says what to do.""")(cmd)
