"""Where voyager-tui keeps its files on this machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "voyager-tui"
HOME_ENV = "VOYAGER_TUI_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    @property
    def migrations_dir(self) -> Path:
        """Default parent of per-migration export directories."""
        return self.data_dir / "migrations"


def app_paths() -> AppPaths:
    """Platform paths, or everything under $VOYAGER_TUI_HOME when set (isolated installs, tests)."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(config_dir=root / "config", data_dir=root / "data")
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
    )
