"""Where Hybrid Coder keeps its files.

Every file the app writes lives under one of these folders. ``HYBRIDCODER_HOME``
relocates all of them (tests always set it); otherwise platformdirs picks the
per-OS defaults. This module never creates files itself beyond the folders.

The folders hold the usage ledger (with prompts when prompt storage is on), logs,
backups of tool configs that carry the proxy's token, and learned state: they are
made private to the user (0700) and :func:`make_private_file` gives files 0600, so
no other account on the machine can read them. On Windows the per-user profile
folders are already private and ``chmod`` only sets the read-only bit, so these are
no-ops there.
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
            make_private_dir(folder)
        return self


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(folder: Path) -> Path:
    """Create ``folder`` (and parents) if missing and make it readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name != "nt":
        try:
            if folder.stat().st_mode & 0o077:
                folder.chmod(PRIVATE_DIR_MODE)
        except OSError:  # not ours (a shared HYBRIDCODER_HOME): leave it, the files are still 0600
            pass
    return folder


def make_private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, with 0600; tighten an existing file that others could read."""
    if os.name == "nt":
        return path
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, PRIVATE_FILE_MODE)
        os.close(fd)
        if path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_FILE_MODE)
    except OSError:
        pass  # the caller's own open reports a real problem with a clear message
    return path


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
    """The data folder shipped with the app; prefer :mod:`hybridcoder.resource_files` (it names a missing file)."""
    from hybridcoder.resource_files import resources_root

    return resources_root()
