"""Bound slow and idle client connections so they cannot crowd out real requests.

uvicorn closes a keep-alive connection that stays quiet after a response, but not
one that never sends a request, or one that trickles its headers a byte at a time:
500 such connections stayed open for ever, and under ``ulimit -n 1024`` 1,100 idle
ones left no file descriptor for a real request. :func:`guarded_protocol` wraps
uvicorn's HTTP protocol class (httptools or h11) with two rules for connections that
are *waiting for a request* (none in flight):

- a sweeper (once a second, per event loop) closes those that have waited longer than
  ``header_timeout_s`` without completing a request's headers — a slowloris trickle
  included, since uvicorn only starts a request once its headers are complete;
- when more than ``max_idle`` connections are waiting, a new connection closes the one
  that has waited longest, so descriptors always remain for the next real request;

and one for a request in flight: the same sweeper closes a connection whose request
body is still arriving ``body_timeout_s`` after the sweeper first saw it incomplete
(a 16 MiB body over loopback takes milliseconds). The endpoint then sees the client
gone (499). Doing this in the sweeper rather than with a timer per request keeps the
hot path free of it. Slow *answers* are the backends' timeouts, not this module's.
Never logs addresses.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

#: Seconds a connection may take from connecting (or from its last response) to complete a request's headers.
HEADER_TIMEOUT_S = 10.0
#: Seconds a request's body may keep arriving (checked once a second, so up to one more).
BODY_TIMEOUT_S = 60.0
SWEEP_INTERVAL_S = 1.0


def default_max_idle() -> int:
    """Half the process's descriptor limit (the rest stays for requests, upstreams and files)."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ValueError, OSError):  # pragma: no cover (no limit to read)
        return 512
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 4096
    return max(32, min(soft // 2, 8192))


def guarded_protocol(kind: str, *, header_timeout_s: float = HEADER_TIMEOUT_S, body_timeout_s: float | None = None,
                     max_idle: int | None = None) -> type[asyncio.Protocol]:
    """uvicorn's protocol class for ``kind`` ("httptools" or "h11") with the rules above."""
    timeouts = (header_timeout_s, BODY_TIMEOUT_S if body_timeout_s is None else body_timeout_s)
    if kind == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base  # type: ignore[assignment]
    limit = default_max_idle() if max_idle is None else max_idle

    class GuardedProtocol(base):  # type: ignore[misc, valid-type]
        _hc_idle_since: float | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._hc_idle_since = self.loop.time()
            _ensure_sweeper(self, timeouts)
            if len(self.connections) > limit:
                _shed_oldest_idle(self, limit)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._hc_idle_since = self.loop.time()

    GuardedProtocol.__name__ = GuardedProtocol.__qualname__ = f"Guarded{base.__name__}"
    return GuardedProtocol


def _waiting(protocol: Any) -> bool:
    """No request in flight: never started one, or the last one's response is complete."""
    cycle = getattr(protocol, "cycle", None)
    return cycle is None or bool(getattr(cycle, "response_complete", False))


def _close(protocol: Any) -> None:
    transport = getattr(protocol, "transport", None)
    if transport is not None and not transport.is_closing():
        transport.close()


def _shed_oldest_idle(newcomer: Any, limit: int) -> None:
    idle = [p for p in list(newcomer.connections)
            if p is not newcomer and _waiting(p) and getattr(p, "_hc_idle_since", None) is not None]
    excess = len(newcomer.connections) - limit
    if excess <= 0 or not idle:
        return
    idle.sort(key=lambda p: p._hc_idle_since)
    for protocol in idle[:excess]:
        _close(protocol)


def _ensure_sweeper(protocol: Any, timeouts: tuple[float, float]) -> None:
    state = protocol.server_state
    task = getattr(state, "_hc_sweeper", None)
    if task is None or task.done():
        state._hc_sweeper = protocol.loop.create_task(_sweep(protocol.connections, *timeouts))


async def _sweep(connections: set[Any], header_timeout_s: float, body_timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    while connections:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        now = loop.time()
        for protocol in list(connections):
            if _waiting(protocol):
                since = getattr(protocol, "_hc_idle_since", None)
                if since is not None and now - since > header_timeout_s:
                    _close(protocol)
                continue
            cycle = protocol.cycle
            if not getattr(cycle, "more_body", False):
                continue  # the body is complete: the request is being answered
            if getattr(protocol, "_hc_body_cycle", None) is not cycle:
                protocol._hc_body_cycle, protocol._hc_body_since = cycle, now
            elif now - protocol._hc_body_since > body_timeout_s:
                _close(protocol)
