"""`voyager-tui demo`: a sample source and an empty target on an embedded PostgreSQL, then the app."""

from __future__ import annotations

import click

from ..engine.paths import app_paths


@click.command("demo")
@click.option("--reset", is_flag=True, help="Throw away the demo databases and start over.")
@click.option("--no-tui", is_flag=True, help="Prepare the demo, print how to reach it, and leave the server running.")
def demo(reset: bool, no_tui: bool) -> None:
    """Start an embedded PostgreSQL with a sample shop database and an empty target, register a
    migration between them, and open the app on it. The server stops when the app exits."""
    from ..engine.demo.environment import prepare_demo

    env = prepare_demo(app_paths(), reset=reset, say=lambda line: click.echo(line, err=True))
    if no_tui:
        click.echo(f"source: {env.source.label}")
        click.echo(f"target: {env.target.label}")
        click.echo(f"Stop it with: voyager-tui demo-stop (or `pg_ctl -D {env.server.data_dir} stop`)")
        return
    try:
        from ..tui.app import run_app

        run_app(targets=[env.target], open_migration=env.migration_name)
    finally:
        if env.started_here:
            env.server.stop()
