"""A click group whose subcommands are built on first use: `voyager-tui migrate status` should not import the
parsers, report templates and UI that other commands need (each CLI call pays its imports in CPU time)."""

from __future__ import annotations

from collections.abc import Callable

import click


class LazyGroup(click.Group):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._factories: dict[str, Callable[[], click.Command]] = {}

    def add_lazy(self, name: str, factory: Callable[[], click.Command]) -> None:
        self._factories[name] = factory

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._factories})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        factory = self._factories.pop(cmd_name, None)
        if factory is not None:
            self.add_command(factory(), cmd_name)
        return super().get_command(ctx, cmd_name)
