"""Where the LLM provider's settings come from: endpoint and model in the config file, the key from env or keyring."""

from __future__ import annotations

import os

from ..config import AiSettings, load_config, save_config
from ..errors import ConfigError
from ..paths import AppPaths, app_paths
from ..secrets import keyring_password, store_in_keyring
from .llm import LlmProvider

API_KEY_ENV = "VOYAGER_TUI_AI_API_KEY"
KEYRING_ACCOUNT = "ai-api-key"
NOT_CONFIGURED = "AI is not configured: run `voyager-tui ai configure --endpoint URL --model NAME`"


def resolve_api_key() -> str | None:
    """The API key from $VOYAGER_TUI_AI_API_KEY, else the OS keyring (absent on headless Linux), else None.

    None is fine for local endpoints (Ollama, vLLM, llama.cpp) that need no key.
    """
    value = os.environ.get(API_KEY_ENV)
    if value:
        return value
    return keyring_password(KEYRING_ACCOUNT)


def configure_ai(paths: AppPaths, endpoint: str, model: str, api_key: str | None = None) -> AiSettings:
    """Save endpoint and model in the config file; the key, when given, goes only to the keyring."""
    endpoint = endpoint.strip()
    model = model.strip()
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(f"--endpoint {endpoint!r}: must be an http:// or https:// URL")
    if not model:
        raise ConfigError("--model: must not be empty")
    if api_key:
        store_in_keyring(KEYRING_ACCOUNT, api_key)  # raises a clear ConfigError when there is no keyring
    config = load_config(paths)
    config.ai = AiSettings(endpoint=endpoint, model=model)
    save_config(paths, config)
    return config.ai


def load_llm_provider(paths: AppPaths | None = None, *, timeout_s: float = 60, max_retries: int = 3) -> LlmProvider:
    """The configured LLM provider; raises ConfigError naming the command to run when it is not configured."""
    settings = load_config(paths or app_paths()).ai
    if not settings.endpoint or not settings.model:
        raise ConfigError(NOT_CONFIGURED)
    return LlmProvider(settings.endpoint, settings.model, resolve_api_key(), timeout_s=timeout_s,
                       max_retries=max_retries)
