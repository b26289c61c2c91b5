"""The hot-path HTTP client: one pooled ``aiohttp.ClientSession`` per event loop, plus stream readers.

aiohttp was picked by measurement: relaying through its client adds about a third of
what httpx's does (see scripts/bench_backends.py). The session is created lazily inside
the running loop (an aiohttp session is bound to the loop it was made in), and a new one
is made when the caller's loop changes (tests run one loop per test).

On a loopback ``http://`` Ollama the chat/FIM/embed calls use the leaner
``lean_http`` client instead (measured in scripts/bench_proxy.py); ``HTTPResponse``
is what both kinds of answer have in common for the readers below.

Never logs request or response bodies. Environment proxies (HTTPS_PROXY…) are used only
for cloud upstreams (``trust_env=True``): a corporate proxy must not swallow loopback traffic.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import orjson

from hybridcoder.proxy.backends.timeouts import BackendTimeouts


def is_loopback_url(url: str) -> bool:
    """True for http://127.0.0.1…, http://localhost…, http://[::1]… (never sent through a proxy)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


class HTTPBody(Protocol):
    """A response body as it arrives (aiohttp's ``StreamReader`` has this shape)."""

    def at_eof(self) -> bool: ...

    async def readany(self) -> bytes: ...


class HTTPResponse(Protocol):
    """What the readers use of an answer: an aiohttp ``ClientResponse`` or a ``lean_http.LeanResponse``."""

    @property
    def status(self) -> int: ...

    @property
    def content(self) -> HTTPBody: ...

    async def read(self) -> bytes: ...

    async def json(self, *, content_type: str | None = ...) -> Any: ...

    def release(self) -> Any: ...

    def close(self) -> None: ...


class SessionPool:
    """A lazily created, pooled client session for one upstream."""

    def __init__(self, timeouts: BackendTimeouts, headers: dict[str, str] | None = None, *,
                 trust_env: bool = False) -> None:
        self._timeouts = timeouts
        self._headers = dict(headers or {})
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or self._loop is not loop or session.closed:
            connector = aiohttp.TCPConnector(limit=256, limit_per_host=0, keepalive_timeout=30,
                                             ttl_dns_cache=300)
            # Only the connect phase is bounded here; time to first token and the idle
            # gap are enforced by the stream readers, which know which phase they are in.
            timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=self._timeouts.connect,
                                            sock_read=None)
            session = aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self._headers,
                                            auto_decompress=True, trust_env=self._trust_env)
            self._session = session
            self._loop = loop
        return session

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            try:
                if asyncio.get_running_loop() is self._loop:
                    await session.close()
            except RuntimeError:  # no running loop: nothing left to close cleanly
                pass


class LineReader:
    """Splits a streaming body into lines; each read is bounded by ``idle`` once set.

    ``idle`` stays ``None`` until the first content arrived: before that the caller's
    time-to-first-token deadline is the only bound, so a cold model load is not cut
    short by the (shorter) idle limit.
    """

    __slots__ = ("_buffer", "_lines", "_response", "idle")

    def __init__(self, response: HTTPResponse) -> None:
        self._response = response
        self._buffer = b""
        self._lines: list[bytes] = []
        self.idle: float | None = None

    async def next_line(self) -> bytes | None:
        """The next non-empty line (without the newline), or None at the end of the body."""
        while True:
            if self._lines:
                line = self._lines.pop()
                if line.strip():
                    return line
                continue
            data = await self._read()
            if not data:
                tail, self._buffer = self._buffer, b""
                return tail if tail.strip() else None
            parts = (self._buffer + data).split(b"\n")
            self._buffer = parts.pop()
            parts.reverse()
            self._lines = parts

    async def next_lines(self) -> list[bytes] | None:
        """Every complete non-empty line available now (waiting for more only when there is
        none), or None at the end of the body.

        The same lines as :meth:`next_line`, in the same order, but a whole read at a time:
        a streamed answer arrives in bursts of lines, and handing each one through its own
        coroutine and generator step costs more than parsing it.
        """
        if self._lines:
            lines = [line for line in reversed(self._lines) if line.strip()]
            self._lines = []
            if lines:
                return lines
        while True:
            data = await self._read()
            if not data:
                tail, self._buffer = self._buffer, b""
                return [tail] if tail.strip() else None
            parts = (self._buffer + data).split(b"\n")
            self._buffer = parts.pop()
            lines = [line for line in parts if line.strip()]
            if lines:
                return lines

    async def _read(self) -> bytes:
        content = self._response.content
        if self.idle is None or content.at_eof():  # (at the end readany returns at once: no timer)
            return await content.readany()
        async with asyncio.timeout(self.idle):
            return await content.readany()


async def iter_ndjson(reader: LineReader) -> AsyncIterator[dict[str, Any]]:
    """Parsed NDJSON objects (Ollama's native streams)."""
    while (lines := await reader.next_lines()) is not None:
        for line in lines:
            obj = orjson.loads(line)
            if isinstance(obj, dict):
                yield obj


async def iter_sse_data(reader: LineReader) -> AsyncIterator[bytes]:
    """The ``data:`` payloads of a server-sent-event stream (OpenAI-style, one data line per event)."""
    while (line := await reader.next_line()) is not None:
        if line.startswith(b"data:"):
            yield line[5:].strip()
        # comments (": ping"), "event:" and "id:" lines carry nothing an OpenAI stream needs
