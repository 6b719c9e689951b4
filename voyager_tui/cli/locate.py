"""`voyager-tui locate`: where voyager-tui keeps its files."""

from __future__ import annotations

import click

from ..engine.paths import HOME_ENV, app_paths
from ..engine.secrets import keyring_available


@click.command("locate")
@click.argument("what", required=False, type=click.Choice(["config", "data", "demo"]))
def locate(what: str | None) -> None:
    """Show where the config file, the data dir and the demo database live (or print one path)."""
    paths = app_paths()
    from ..engine.demo.embedded_pg import server_dir_for

    places = {
        "config": paths.config_file,
        "data": paths.data_dir,
        "demo": server_dir_for(paths.demo_dir),
    }
    if what:
        click.echo(str(places[what]))
        return
    for key, path in places.items():
        click.echo(f"{key:<8}{path}")
    _, keyring_note = keyring_available()
    click.echo(f"keyring {keyring_note}")
    click.echo(f"(set {HOME_ENV} to keep everything under one directory)")
