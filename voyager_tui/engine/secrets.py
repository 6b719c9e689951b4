"""Password resolution: env var, then libpq's own files, then the OS keyring, then a prompt.

Passwords live only in memory: they are never written to config, logs, argv or the target.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum

KEYRING_SERVICE = "voyager-tui"

# Called with a one-line description of what needs a password; returns it, or None to give up.
PasswordPrompt = Callable[[str], "str | None"]


class DbRole(StrEnum):
    SOURCE = "source"
    TARGET = "target"

    @property
    def env_var(self) -> str:
        return f"{self.value.upper()}_DB_PASSWORD"


def env_password(role: DbRole) -> str | None:
    value = os.environ.get(role.env_var)
    return value if value else None


def keyring_available() -> tuple[bool, str]:
    """Whether a real keyring backend is present, and a sentence saying which (or why not)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except Exception as exc:  # keyring is a dependency, but a broken install must not crash us
        return False, f"keyring unusable: {exc}"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        return False, f"keyring unusable: {exc}"
    if isinstance(backend, fail.Keyring):
        return False, (
            "no OS keyring backend (headless Linux has none; set PYTHON_KEYRING_BACKEND to choose one)"
        )
    if isinstance(backend, null.Keyring):  # accepts a password and throws it away
        return False, "the keyring backend is the null one (PYTHON_KEYRING_BACKEND): it stores nothing"
    return True, f"keyring backend: {type(backend).__module__}.{type(backend).__name__}"


def keyring_password(account: str) -> str | None:
    ok, _ = keyring_available()
    if not ok:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, account)
    except Exception:
        return None


def store_in_keyring(account: str, password: str) -> None:
    import keyring

    ok, why = keyring_available()
    if not ok:
        from .errors import ConfigError

        raise ConfigError(f"cannot store the password: {why}")
    keyring.set_password(KEYRING_SERVICE, account, password)
