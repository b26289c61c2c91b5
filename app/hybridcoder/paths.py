"""Where Hybrid Coder keeps its files.

Every file the app writes lives under one of these folders. ``HYBRIDCODER_HOME``
relocates all of them (tests always set it); otherwise platformdirs picks the
per-OS defaults. This module never creates files itself beyond the folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "HybridCoder"
HOME_ENV = "HYBRIDCODER_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's folders and well-known files."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def ledger_file(self) -> Path:
        return self.data_dir / "usage.sqlite3"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def state_dir(self) -> Path:
        """Small JSON state files (setup progress, learned routing) live here."""
        return self.data_dir / "state"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "hybridcoder.log"

    def ensure(self) -> AppPaths:
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir,
                       self.backups_dir, self.state_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths() -> AppPaths:
    """Resolve the folders now (reads the environment each call, so tests can relocate)."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppPaths(
            config_dir=root / "config",
            data_dir=root / "data",
            log_dir=root / "logs",
            cache_dir=root / "cache",
        )
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )


def resources_dir() -> Path:
    """The data folder shipped with the app (model catalog, prices, routing weights, icons).

    In a source checkout it is ``<repo>/resources``; in a frozen build, next to the bundle.
    """
    import sys

    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
