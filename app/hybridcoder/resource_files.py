"""The one way to reach the data files that ship with Hybrid Coder.

The files (model catalog, prices, routing weights, rule sets, icons) live in the source tree's top-level
``resources/`` folder and are installed as the package ``hybridcoder.resources`` (see setup.py), so a
source checkout (editable install), an installed wheel and a PyInstaller bundle all find them through
:mod:`importlib.resources` here. A missing or unreadable file is a :class:`ResourceError` that names
the file: an incomplete install must fail loudly, never quietly route or price worse.

Never writes anything; never imports Qt.
"""

from __future__ import annotations

import importlib.resources
import json
import tomllib
from pathlib import Path
from typing import Any

from hybridcoder.errors import HybridCoderError

__all__ = [
    "SHIPPED_FILES",
    "ResourceError",
    "check_shipped_files",
    "read_resource_json",
    "read_resource_text",
    "resource_path",
    "resources_root",
]

PACKAGE = "hybridcoder.resources"

# Every data file an install must contain (the self-test and the wheel test load each one).
SHIPPED_FILES: tuple[str, ...] = (
    "models.toml",
    "prices.toml",
    "routing_weights.json",
    "rules/small_models.toml",
    "icons/hybridcoder.svg",
)


class ResourceError(HybridCoderError):
    """A data file that ships with Hybrid Coder is missing or unreadable (an incomplete install)."""


def _missing(name: str, where: str) -> ResourceError:
    return ResourceError(
        f"Hybrid Coder's data file {name} is missing or unreadable ({where}); this install is incomplete, "
        "so reinstall Hybrid Coder from a release or run it with ./scripts/run from a source checkout."
    )


def resources_root() -> Path:
    """The folder holding the shipped data files, as a real path on disk."""
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:
        raise _missing("folder", f"package {PACKAGE} not installed") from None
    if not isinstance(root, Path):
        # A zipped install would need temporary copies; none of our install kinds produces one.
        raise _missing("folder", f"{PACKAGE} is not a folder on disk")
    return root


def resource_path(name: str) -> Path:
    """The path of one shipped file (``"models.toml"``, ``"rules/small_models.toml"``); raises if absent."""
    path = resources_root().joinpath(*name.split("/"))
    if not path.is_file():
        raise _missing(name, str(path))
    return path


def read_resource_text(name: str) -> str:
    """The text of one shipped file (UTF-8)."""
    path = resource_path(name)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _missing(name, f"{path}: {exc}") from None


def read_resource_json(name: str) -> Any:
    """One shipped JSON file, parsed; broken JSON is the same loud error as a missing file."""
    text = read_resource_text(name)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _missing(name, f"not valid JSON: {exc}") from None


def check_shipped_files() -> list[str]:
    """Read every file in :data:`SHIPPED_FILES`; returns their names, raises on the first one missing."""
    for name in SHIPPED_FILES:
        if name.endswith(".json"):
            read_resource_json(name)
        elif name.endswith(".toml"):
            try:
                tomllib.loads(read_resource_text(name))
            except tomllib.TOMLDecodeError as exc:
                raise _missing(name, f"not valid TOML: {exc}") from None
        else:
            read_resource_text(name)
    return list(SHIPPED_FILES)
