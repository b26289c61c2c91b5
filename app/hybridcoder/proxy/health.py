"""What ``/health`` says about each backend: is the local model server answering, is the cloud usable.

A bare "ok" while the local Ollama is down sent users hunting in the wrong place. So
/health reports, next to the proxy's own state:

- ``local``: ``up`` / ``down`` for the local server, from a probe of its model list
  (``GET /api/tags`` for Ollama) that is cached for :data:`PROBE_TTL_S`, bounded by
  :data:`PROBE_TIMEOUT_S` and refreshed in the background: a tray or a script polling
  /health costs the local server at most one small request every few seconds, and
  /health waits for the probe only the very first time;
- ``cloud``: ``configured`` (a key is set), ``cooling_down`` (it asked for time after
  a 429; ``retry_in_s`` says how long), ``budget_exhausted`` or ``not_configured``.

The probe also tells the app's BackendHealth (live.py). Never shows URLs' credentials,
keys or tokens.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from hybridcoder.proxy.errors import UpstreamError

if TYPE_CHECKING:
    from hybridcoder.proxy.state import ProxyState

PROBE_TTL_S = 5.0
PROBE_TIMEOUT_S = 1.5


class LocalProbe:
    """The local server's last probed state, refreshed at most every :data:`PROBE_TTL_S`."""

    def __init__(self) -> None:
        self.state = "unknown"
        self.detail = ""
        self.checked = -1e9
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None

    async def check(self, state: ProxyState) -> None:
        """Refresh when stale: the first time it waits for the probe, afterwards it refreshes in the
        background and /health answers at once with what it knew (a slow local server never makes
        /health slow)."""
        if time.monotonic() - self.checked < PROBE_TTL_S:
            return
        if self.checked < 0:
            await self._refresh(state)
        elif self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh(state))

    async def _refresh(self, state: ProxyState) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() - self.checked < PROBE_TTL_S:
                return  # another /health refreshed it while this one waited
            backend = state.config.local
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_S):
                    models = await backend.models()
                self.state, self.detail = "up", f"{len(models)} model(s) installed"
            except TimeoutError:
                self.state, self.detail = "down", f"not answering within {PROBE_TIMEOUT_S:g} s"
            except UpstreamError as exc:
                self.state, self.detail = "down", exc.message
            except NotImplementedError:
                self.state, self.detail = "unknown", "this local server cannot be probed"
            self.checked = time.monotonic()
            health = getattr(state, "health", None)
            if health is not None and self.state != "unknown":
                health.note_local(self.state == "up")


async def backends(state: ProxyState, probe: LocalProbe) -> dict[str, Any]:
    """The ``backends`` part of /health (see the module docstring)."""
    await probe.check(state)
    config = state.config
    local = {"provider": config.local.provider, "url": _safe_url(getattr(config.local, "base_url", "")),
             "state": probe.state, "detail": probe.detail}
    choice = config.cloud
    cloud: dict[str, Any] = {"provider": choice.provider if choice is not None else config.cloud_provider,
                             "model": choice.model if choice is not None else None}
    if choice is None:
        cloud["state"] = "not_configured"
    elif state.budget_exhausted():
        cloud["state"] = "budget_exhausted"
    elif (left := state.cooldown.remaining(choice.provider)) > 0:
        cloud["state"], cloud["retry_in_s"] = "cooling_down", round(left, 1)
    else:
        cloud["state"] = "configured"
    return {"local": local, "cloud": cloud}


def _safe_url(url: str) -> str:
    """A URL without any ``user:password@`` part."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"
