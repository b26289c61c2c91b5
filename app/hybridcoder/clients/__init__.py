"""Writing Continue, Cline and Aider configuration safely, and detecting those tools.

Entry point: :func:`hybridcoder.clients.configure.configure_tools`. Every file write
goes through :mod:`hybridcoder.clients.safe_write` (backup, manifest, atomic write,
dry-run diff, undo). Nothing in this package imports Qt or talks to the network.
"""

from __future__ import annotations

from hybridcoder.clients.errors import BrokenConfigError, ConfigWriteError
from hybridcoder.clients.targets import ClientModels, ProxyTarget

__all__ = ["BrokenConfigError", "ClientModels", "ConfigWriteError", "ProxyTarget"]
