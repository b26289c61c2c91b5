"""How long a backend waits: connect, time to first token, idle gap between chunks.

One small value object shared by every backend so the proxy builds it once from
settings. Never holds anything but numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BackendTimeouts:
    """Seconds. ``first_token`` runs from sending the request to the first content chunk.

    It must cover a cold model load (Ollama loads the model on the first request, which
    can take a minute for a big model on a slow disk) but stay bounded so a wedged server
    still falls back. ``idle`` bounds the gap between two chunks once tokens flow.
    """

    connect: float = 5.0
    first_token: float = 120.0
    idle: float = 60.0

    @classmethod
    def from_settings(cls, proxy: Any) -> BackendTimeouts:
        """Build from ``Settings.proxy`` (``connect_timeout_s``, ``first_token_timeout_s``, ``idle_timeout_s``)."""
        return cls(
            connect=float(proxy.connect_timeout_s),
            first_token=float(proxy.first_token_timeout_s),
            idle=float(proxy.idle_timeout_s),
        )
