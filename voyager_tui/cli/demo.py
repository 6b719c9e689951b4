"""`voyager-tui demo`: a sample source and an empty target on an embedded PostgreSQL, then the app."""

from __future__ import annotations

import os
import signal
import sys

import click

from ..engine.paths import app_paths


@click.command("demo")
@click.option("--reset", is_flag=True, help="Throw away the demo databases and start over.")
@click.option("--no-tui", is_flag=True,
              help="Prepare the demo, print how to reach it, and leave the server running (stop it with --stop).")
@click.option("--stop", is_flag=True, help="Stop a demo server left running by --no-tui.")
def demo(reset: bool, no_tui: bool, stop: bool) -> None:
    """Start an embedded PostgreSQL with a sample shop database and an empty target, register a
    migration between them, and open the app on it. The server stops when the app exits; a second
    run reuses everything."""
    from ..engine.demo.environment import demo_server, prepare_demo
    from ..engine.next_step import target_flags

    paths = app_paths()
    if stop:
        demo_server(paths).stop()
        click.echo("Demo server stopped.")
        return
    env = prepare_demo(paths, reset=reset, say=lambda line: click.echo(line, err=True))
    if no_tui:
        click.echo(f"source: {env.source.label}")
        click.echo(f"target: {env.target.label}")
        click.echo("try:    voyager-tui migrate status " + " ".join(target_flags(env.target)))
        return
    # A closed terminal (SSH drop) or a kill must still stop the server this run started.
    received: list[int] = []

    def exit_on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        if signum == signal.SIGHUP:
            # The terminal is gone: unwinding through the UI would write to it and can hang or spin there, so stop
            # the server and leave right here.
            if env.started_here:
                env.server.stop()
            os._exit(128 + signum)
        raise SystemExit(128 + signum)  # a kill with the terminal still there: restore it on the way out

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, exit_on_signal)
    try:
        from ..tui.app import run_app

        run_app(targets=[env.target], open_migration=env.migration_name)
    finally:
        if env.started_here:
            env.server.stop()
        if received:
            # The terminal is gone: the UI's thread still reading it would keep the process alive, spinning.
            sys.stdout.flush()
            os._exit(128 + received[0])
