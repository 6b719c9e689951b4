"""Entry point: `voyager-tui` opens the full-screen app; subcommands are the scriptable CLI."""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import __version__
from ..engine.errors import VoyagerError, one_line
from .lazy import LazyGroup

ROOT_HELP = """voyager-tui takes a database from PostgreSQL (later also MySQL and Oracle)
to YugabyteDB, with nothing lost and no guesswork about what to do next.

Run it with no command to open the full-screen app.

\b
WORKFLOW OVERVIEW:
  1. ASSESS    → Analyze source DB for compatibility (optional but recommended)
  2. INIT      → voyager-tui migrate init     register the migration in the target
  3. EXPORT    → Export schema and data from source
  4. IMPORT    → Import schema and data to target
  5. VERIFY    → Verify data integrity
  6. CUTOVER   → Switch application to target DB

\b
  At any point:  voyager-tui migrate status   where the migration stands
                 voyager-tui migrate next     the exact command to run next
                 voyager-tui migrate history  what happened, when, by whom

\b
  New here? `voyager-tui demo` starts a sample source and target on this
  machine and opens the app on a registered migration.
"""


class FriendlyGroup(LazyGroup):
    """Turns expected failures into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VoyagerError as exc:
            _fail(str(exc), 1)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            # Only a command that talked to a database has imported psycopg.
            psycopg = sys.modules.get("psycopg")
            if psycopg is not None and isinstance(exc, psycopg.Error):
                _fail(f"database error: {one_line(exc)}", 1)
            raise


def _fail(message: str, code: int) -> None:
    from ..engine.formatting import printable

    click.echo(f"error: {printable(message)}", err=True)
    sys.exit(code)


@click.group(cls=FriendlyGroup, invoke_without_command=True, help=ROOT_HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="voyager-tui")
@click.pass_context
def cli(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is None:
        from ..tui.app import run_app

        run_app()


def _migrate() -> click.Command:
    from .migrate import migrate
    from .migrate_run import build_run_command
    from .steps import register_step_commands

    register_step_commands()
    migrate.add_lazy("run", build_run_command)
    return migrate


def _assessment() -> click.Command:
    from .assessment import assessment

    return assessment


def _demo() -> click.Command:
    from .demo import demo

    return demo


def _ai() -> click.Command:
    from .ai import ai

    return ai


def _locate() -> click.Command:
    from .locate import locate

    return locate


for _name, _factory in (("migrate", _migrate), ("assessment", _assessment), ("demo", _demo), ("ai", _ai),
                       ("locate", _locate)):
    cli.add_lazy(_name, _factory)


def main() -> None:
    cli(prog_name="voyager-tui")
