"""Which coding tools are installed, and whether Hybrid Coder already configured them.

Looks only at the local disk and PATH: VS Code / VS Code Insiders / VS Code Server,
VSCodium, Cursor and Windsurf extension folders for Continue and Cline, JetBrains
plugin folders for Continue, ``aider``, ``cline`` and ``cn`` on PATH, and the tools'
own config files. This module never starts a program and never writes anything.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from hybridcoder.clients import aider_config, cline_config, continue_config

TOOLS = ("continue", "cline", "aider")
_EDITORS = {
    "VS Code": ".vscode/extensions",
    "VS Code Insiders": ".vscode-insiders/extensions",
    "VS Code Server": ".vscode-server/extensions",
    "VSCodium": ".vscode-oss/extensions",
    "Cursor": ".cursor/extensions",
    "Windsurf": ".windsurf/extensions",
}
_EXTENSION_IDS = {"continue": "continue.continue-", "cline": "saoudrizwan.claude-dev-"}


@dataclass(frozen=True)
class ToolPresence:
    """One tool: is it there, where was it seen, does it already point at Hybrid Coder."""

    name: str
    present: bool
    where: tuple[str, ...]
    configured: bool


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _extension_hits(tool: str) -> list[str]:
    prefix = _EXTENSION_IDS[tool]
    hits = []
    for editor, rel in _EDITORS.items():
        folder = _home() / rel
        if folder.is_dir() and any(p.name.lower().startswith(prefix) for p in folder.iterdir()):
            hits.append(f"{editor} extension ({folder})")
    return hits


def jetbrains_plugin_roots() -> list[Path]:
    """Where JetBrains IDEs keep per-product plugin folders, per OS."""
    home = _home()
    if sys.platform == "darwin":
        return [home / "Library" / "Application Support" / "JetBrains"]
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return [Path(appdata) / "JetBrains"] if appdata else []
    return [home / ".local" / "share" / "JetBrains"]


def _jetbrains_hits() -> list[str]:
    hits = []
    for root in jetbrains_plugin_roots():
        if not root.is_dir():
            continue
        for product in sorted(root.iterdir()):
            if not product.is_dir():
                continue
            for plugins in (product, product / "plugins"):
                if plugins.is_dir() and any(p.name.lower().startswith("continue") for p in plugins.iterdir()):
                    hits.append(f"JetBrains plugin ({product.name})")
                    break
    return hits


def _on_path(program: str) -> list[str]:
    found = shutil.which(program)
    if not found:
        local = _home() / ".local" / "bin" / program
        found = str(local) if local.is_file() and os.access(local, os.X_OK) else None
    return [f"{program} on PATH ({found})"] if found else []


def _existing(paths: list[Path]) -> list[str]:
    return [f"config file ({p})" for p in paths if p.exists()]


def detect_tool(name: str) -> ToolPresence:
    if name == "continue":
        where = _extension_hits("continue") + _jetbrains_hits() + _on_path("cn") + _existing(
            [continue_config.config_path(), continue_config.continue_dir() / "config.json"])
        return ToolPresence(name, bool(where), tuple(where), continue_config.is_configured())
    if name == "cline":
        where = _extension_hits("cline") + _on_path("cline") + _existing(
            [cline_config.data_dir() / "globalState.json", cline_config.providers_path()])
        return ToolPresence(name, bool(where), tuple(where), cline_config.is_configured())
    if name == "aider":
        where = _on_path("aider") + _existing([aider_config.home() / ".aider.conf.yml"])
        return ToolPresence(name, bool(where), tuple(where), aider_config.is_configured())
    raise ValueError(f"unknown tool {name!r}")


def detect_tools() -> list[ToolPresence]:
    """Presence of Continue, Cline and Aider, in that order."""
    return [detect_tool(name) for name in TOOLS]
