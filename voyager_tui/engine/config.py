"""Non-secret settings and known targets, in a TOML file under the platform config dir."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .connections import ConnectionParams
from .errors import ConfigError, first_error
from .paths import AppPaths


class TargetProfile(ConnectionParams):
    """A target database the TUI watches. Passwords never live here (see engine/secrets.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str

    @property
    def params(self) -> ConnectionParams:
        return ConnectionParams.model_validate(self.model_dump(exclude={"name"}))

    @classmethod
    def from_params(cls, params: ConnectionParams, name: str | None = None) -> TargetProfile:
        return cls(name=name or params.label, **params.model_dump())


class AiSettings(BaseModel):
    """Where the optional LLM provider lives. The API key is never stored here (env or keyring, see ai/ai_config.py)."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = ""
    """Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1; empty = not configured."""
    model: str = ""
    """Model name sent with every request; empty = not configured."""


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: list[TargetProfile] = Field(default_factory=list)
    poll_interval: float = Field(default=1.0, ge=0.2, le=60.0)
    """Seconds between two reads of a target's state by the TUI."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id -> keys, e.g. {"run_next_step" = "r"}; ids are listed in docs/reference/configuration.md."""
    ai: AiSettings = Field(default_factory=AiSettings)


def load_config(paths: AppPaths) -> AppConfig:
    file = paths.config_file
    if not file.exists():
        return AppConfig()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        return AppConfig.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        where, msg = first_error(exc)
        raise ConfigError(f"{file}: {where}: {msg}") from None


def save_config(paths: AppPaths, config: AppConfig) -> Path:
    file = paths.config_file
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(config.model_dump(mode="json")), encoding="utf-8")
    os.replace(tmp, file)  # atomic: a crash never leaves a half-written config
    return file


def remember_target(paths: AppPaths, params: ConnectionParams) -> AppConfig:
    """Add a target to the known targets (by endpoint), so the TUI's Home screen shows it."""
    config = load_config(paths)
    if any(t.params == params for t in config.targets):
        return config
    config.targets.append(TargetProfile.from_params(params))
    save_config(paths, config)
    return config
