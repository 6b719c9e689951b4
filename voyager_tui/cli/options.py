"""Options shared by commands: target connection (the incumbent's flag names) and migration selection."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

import click

from ..engine.connections import ConnectionParams

F = TypeVar("F", bound=Callable[..., Any])

SSL_MODES = click.Choice(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])


def target_options(func: F) -> F:
    """--target-db-host/-port/-user/-name/--target-ssl-mode; the password never comes from a flag."""
    for opt in reversed([
        click.option("--target-db-host", envvar="TARGET_DB_HOST", default="127.0.0.1", show_default=True,
                     help="Target host name, IP, or unix socket directory. [env TARGET_DB_HOST]"),
        click.option("--target-db-port", envvar="TARGET_DB_PORT", type=click.IntRange(1, 65535), default=5433,
                     show_default=True, help="Target port. [env TARGET_DB_PORT]"),
        click.option("--target-db-user", envvar="TARGET_DB_USER", default="yugabyte", show_default=True,
                     help="Target user. [env TARGET_DB_USER] "
                          "Password: TARGET_DB_PASSWORD, ~/.pgpass, keyring, or a prompt."),
        click.option("--target-db-name", envvar="TARGET_DB_NAME", default="yugabyte", show_default=True,
                     help="Target database; schema ybvoyager in it holds the migration state. [env TARGET_DB_NAME]"),
        click.option("--target-ssl-mode", envvar="TARGET_SSL_MODE", type=SSL_MODES, default="prefer",
                     show_default=True, help="libpq sslmode for the target. [env TARGET_SSL_MODE]"),
    ]):
        func = opt(func)
    return func


def target_params(kwargs: dict[str, Any]) -> ConnectionParams:
    return ConnectionParams(
        host=kwargs.pop("target_db_host"), port=kwargs.pop("target_db_port"), user=kwargs.pop("target_db_user"),
        dbname=kwargs.pop("target_db_name"), sslmode=kwargs.pop("target_ssl_mode"),
    )


def migration_options(func: F) -> F:
    func = click.option("--migration-uuid", type=click.UUID, default=None,
                        help="Migration to act on, by uuid.")(func)
    func = click.option("--migration-name", default=None,
                        help="Migration to act on, by name (optional when the target has one active migration).")(func)
    return func


def migration_selector(kwargs: dict[str, Any]) -> tuple[str | None, UUID | None]:
    return kwargs.pop("migration_name"), kwargs.pop("migration_uuid")


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def tty_prompt(what: str) -> str | None:
    """Ask for a password only when a person is at the terminal; never echo it."""
    if not sys.stdin.isatty():
        return None
    value: str = click.prompt(what, hide_input=True, default="", show_default=False, err=True)
    return value or None
