"""Errors whose message is fit to show a user as one line, without a traceback."""

from pydantic import ValidationError


class VoyagerError(Exception):
    """Base of every error the CLI prints as `error: <message>` and the TUI shows in place."""


class ConnectionFailed(VoyagerError):
    pass


class StateSchemaMissing(VoyagerError):
    pass


class StateSchemaTooNew(VoyagerError):
    pass


class MigrationNotFound(VoyagerError):
    pass


class DuplicateMigration(VoyagerError):
    pass


class InvalidTransition(VoyagerError):
    pass


class LeaseHeld(VoyagerError):
    pass


class ConfigError(VoyagerError):
    pass


class StepCancelled(VoyagerError):
    pass


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's text (libpq errors carry DETAIL/HINT lines)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(dotted location, message) of a pydantic error's first problem: callers put them in their own one line."""
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]), str(err["msg"])
