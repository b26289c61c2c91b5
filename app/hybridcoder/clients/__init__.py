"""Writing Continue, Cline and Aider configuration safely, and detecting those tools.

Entry point: :func:`configure_tools` (configure, dry-run or undo, with a report per
tool). Every file write goes through :mod:`hybridcoder.clients.safe_write` (backup,
manifest, atomic write, dry-run diff, undo). Nothing in this package imports Qt or
talks to the network.
"""

from __future__ import annotations

from hybridcoder.clients.configure import (
    ConfigureReport,
    ToolReport,
    client_models_from_settings,
    configure_tools,
    persistent_proxy_token,
    proxy_url_from_settings,
)
from hybridcoder.clients.detect import ToolPresence, detect_tools
from hybridcoder.clients.errors import BrokenConfigError, ConfigWriteError
from hybridcoder.clients.rules import MAX_RULES, load_rule_set, why_short_note
from hybridcoder.clients.targets import ClientModels, ProxyTarget

__all__ = [
    "MAX_RULES",
    "BrokenConfigError",
    "ClientModels",
    "ConfigWriteError",
    "ConfigureReport",
    "ProxyTarget",
    "ToolPresence",
    "ToolReport",
    "client_models_from_settings",
    "configure_tools",
    "detect_tools",
    "load_rule_set",
    "persistent_proxy_token",
    "proxy_url_from_settings",
    "why_short_note",
]
