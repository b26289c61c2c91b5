"""A lean HTTP/1.1 keep-alive client for loopback upstreams (local Ollama), on raw asyncio.

Why it exists: on the proxy's hot path the upstream is an Ollama on 127.0.0.1, one
short request per chat. aiohttp's per-request client machinery (request/response
objects, multidict headers, timers, tracing hooks) costs more CPU than the whole
loopback round trip; this client is one ``asyncio.Protocol`` per connection with
httptools (installed with ``uvicorn[standard]``) parsing the response, so it costs
a fraction of that (scripts/bench_proxy.py measures the difference).

What it does: plain ``http://`` only, Content-Length and chunked bodies, a bounded
pool of reused connections per event loop. A pooled connection the server already
closed is noticed *before* anything is written and replaced by a fresh one; a request
that was written is never sent a second time (that could start a second generation).
Connection failures raise :class:`ConnectFailed` / :class:`ConnectTimeout`; a
connection that breaks later raises :class:`ConnectionLost` (an ``OSError``).

Never sends through an environment proxy, never logs bodies, never retries a request
that was sent. Closing a response that is not finished closes its connection, which
is how the server learns that the client went away.
"""

from __future__ import annotations

import asyncio
import json
import select
from collections import deque
from typing import Any
from urllib.parse import urlsplit

try:
    import httptools
except ImportError:  # pragma: no cover (uvicorn[standard] installs it everywhere we ship)
    httptools = None  # type: ignore[assignment]

#: Stop reading from the socket while this many body bytes wait for the consumer.
_HIGH_WATER = 1 << 20


def lean_available() -> bool:
    return httptools is not None


class ConnectFailed(ConnectionError):
    """The upstream refused the connection or could not be reached at all."""


class ConnectTimeout(TimeoutError):
    """Opening the connection took longer than the connect limit."""


class ConnectionLost(ConnectionError):
    """The connection broke (or the server sent something that is not HTTP) before the answer ended."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; parses one response at a time."""

    def __init__(self, pool: LeanPool) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        self._parser: Any = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self.lost = False
        self.error: BaseException | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self._header_name = ""
        self.headers_done = False
        self.complete = False
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.received = False
        self.keep_alive = True
        self._parser = httptools.HttpResponseParser(self)

    # --- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # pragma: no cover (we never ask for an upgrade)
            self._fail(ConnectionLost("the server switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ConnectionLost(f"the server sent a malformed HTTP response ({exc})"))
        if self.buffered > _HIGH_WATER and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def eof_received(self) -> bool | None:
        if (not self.complete and self.headers_done and "content-length" not in self.headers
                and "chunked" not in self.headers.get("transfer-encoding", "")):
            self.complete = True  # an answer delimited by the end of the connection ends here
            self.keep_alive = False
            self._wake()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.complete and self.error is None:
            self.error = ConnectionLost("the server closed the connection before the answer ended")
        self._wake()
        self._pool._forget(self)

    # --- httptools callbacks --------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        self.headers[key] = value.decode("latin-1") if key not in self.headers \
            else self.headers[key] + ", " + value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self._parser.should_keep_alive()
        self._wake()

    # --- used by LeanPool / LeanResponse --------------------------------------------------------

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.close()

    async def wait(self) -> None:
        """Until something new happens (headers, body bytes, the end, a failure)."""
        if self.error is not None:
            raise self.error
        waiter = self._waiter = self._pool.loop.create_future()
        await waiter
        if self.error is not None and not self.complete:
            raise self.error

    def usable(self) -> bool:
        return (not self.lost and self._transport is not None and not self._transport.is_closing()
                and not self._peer_closed())

    def _peer_closed(self) -> bool:
        """True when the idle socket already holds the server's close (or stray bytes).

        A server may close a keep-alive connection right after answering; its FIN can be
        in the kernel before the event loop has reported it. One zero-timeout select
        before reuse catches that, so the next request goes on a fresh connection
        instead of failing.
        """
        assert self._transport is not None
        sock = self._transport.get_extra_info("socket")
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError, AttributeError):
            return False
        return bool(readable)

    def send(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def take(self) -> bytes:
        data = self.chunks.popleft() if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self._paused and self._transport is not None and not self.lost:
            self._paused = False
            self._transport.resume_reading()
        return data

    def close(self) -> None:
        self.keep_alive = False
        if self._transport is not None:
            self._transport.close()
        self._wake()


class _Content:
    """The body as it arrives: ``readany()`` the next bytes (b"" at the end), ``at_eof()``."""

    __slots__ = ("_conn",)

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn

    def at_eof(self) -> bool:
        conn = self._conn
        return conn.complete and not conn.chunks

    async def readany(self) -> bytes:
        conn = self._conn
        while True:
            if conn.chunks:
                return conn.take()
            if conn.complete:
                return b""
            await conn.wait()


class LeanResponse:
    """One answer: ``status``, lower-cased ``headers``, ``content.readany()``; ``release()`` or ``close()``."""

    __slots__ = ("_conn", "_done", "content", "headers", "status")

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self._done = False
        self.status = conn.status
        self.headers = conn.headers
        self.content = _Content(conn)

    async def read(self) -> bytes:
        parts = []
        while data := await self.content.readany():
            parts.append(data)
        return b"".join(parts)

    async def json(self, *, content_type: str | None = None) -> Any:
        return json.loads(await self.read())

    def release(self) -> None:
        """Done with the answer: a finished one gives its connection back, anything else closes it."""
        if self._done:
            return
        self._done = True
        conn = self._conn
        if conn.complete and conn.keep_alive and not conn.chunks and conn.usable():
            conn._pool._give_back(conn)
        else:
            conn.close()
            conn._pool._forget(conn)

    def close(self) -> None:
        """Abandon the answer: closing the connection tells the server the client went away."""
        if not self._done:
            self._done = True
            self._conn.close()
            self._conn._pool._forget(self._conn)


class LeanPool:
    """Keep-alive connections to one ``http://host:port``, for the event loop that made it.

    At most ``limit`` connections are open at once; a request beyond that waits for one.
    """

    def __init__(self, base_url: str, *, connect_timeout: float, headers: dict[str, str] | None = None,
                 limit: int = 256) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain http:// URL: {base_url}")
        self.host = parts.hostname
        self.port = parts.port or 80
        host_header = parts.netloc.rsplit("@", 1)[-1]
        self._prefix = parts.path.rstrip("/")
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head_tail = (f"Host: {host_header}\r\nUser-Agent: hybridcoder\r\nAccept: */*\r\n{extra}").encode("latin-1")
        self._connect_timeout = connect_timeout
        self._limit = limit
        self.loop: asyncio.AbstractEventLoop = asyncio.get_running_loop()
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def request(self, method: str, path: str, body: bytes | None,
                      content_type: str = "application/json") -> LeanResponse:
        """Send one request and wait for the response headers (the body is read from the response)."""
        head = b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), (self._prefix + path).encode("utf-8"))
        if body is not None:
            head += b"Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type.encode("latin-1"), len(body))
        head += self._head_tail + b"\r\n"
        conn = await self._acquire()
        try:
            conn.send(head + body if body else head)
            while not conn.headers_done:
                await conn.wait()
        except BaseException:
            conn.close()
            self._forget(conn)
            raise
        return LeanResponse(conn)

    async def _acquire(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable():  # a connection the server closed while idle was never written to
                conn._reset()
                return conn
            self._forget(conn)
        while len(self._open) >= self._limit:
            waiter = self.loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # this turn was handed to us: pass it on
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if self._idle:
                return await self._acquire()
        conn = _Connection(self)
        self._open.add(conn)
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self.loop.create_connection(lambda: conn, self.host, self.port)
        except TimeoutError:
            self._forget(conn)
            raise ConnectTimeout(f"connecting to {self.host}:{self.port} timed out") from None
        except OSError as exc:
            self._forget(conn)
            raise ConnectFailed(f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") from None
        except BaseException:
            conn.close()
            self._forget(conn)
            raise
        return conn

    def _give_back(self, conn: _Connection) -> None:
        self._idle.append(conn)
        self._wake_one()

    def _forget(self, conn: _Connection) -> None:
        if conn in self._open:
            self._open.discard(conn)
            if conn in self._idle:
                self._idle.remove(conn)
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()
