"""Raw ASGI input and output for the proxy's hot path.

The endpoints speak ASGI directly instead of going through Starlette's Request and
Response objects: every request pays for what runs here, and the benchmark budget is
half a millisecond. This module reads a request body under a size limit, sends a
complete JSON response, and streams a body while watching for the client going away,
so the caller can cancel the upstream generation at once.

It never logs and never looks inside a body beyond its size.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from hybridcoder.proxy.errors import PayloadTooLarge, ProxyError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_TYPE = (b"content-type", b"application/json")
SSE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)


class ClientGone(Exception):
    """The client closed the connection; nothing more can be sent."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or :class:`PayloadTooLarge` as soon as it passes ``limit`` bytes.

    A body that trickles in too slowly is cut off by the connection guard
    (connections.py: the connection is closed, ``receive()`` reports the disconnect and
    this raises :class:`ClientGone`), not by a timer here: an ``asyncio.timeout`` per
    request costs tens of microseconds on the hot path.
    """
    return await _read_body(receive, limit)


async def _read_body(receive: Receive, limit: int) -> bytes:
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise PayloadTooLarge(_too_large(limit))
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit))
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _too_large(limit: int) -> str:
    return (f"The request body is larger than the proxy's limit of {limit // (1024 * 1024)} MiB "
            "(settings: proxy.max_body_bytes).")


async def send_json_bytes(send: Send, status: int, payload: bytes,
                          headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A complete JSON response in two ASGI messages (with a length, so no chunked framing)."""
    headers = [JSON_TYPE] if headers is None else headers
    headers.append((b"content-length", b"%d" % len(payload)))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def send_json(send: Send, status: int, data: Any,
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send_json_bytes(send, status, orjson.dumps(data), headers)


async def send_error(send: Send, error: ProxyError, *, ollama: bool = False) -> None:
    """An error in the client's format: Ollama's ``{"error": "..."}`` on /api, OpenAI's elsewhere."""
    body = error.ollama_body() if ollama else error.openai_body()
    headers = [JSON_TYPE]
    if error.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="hybridcoder"'))
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:  # the upstream asked for time: the client's own retry logic honours it
        headers.append((b"retry-after", b"%d" % max(1, math.ceil(retry_after))))
    await send_json_bytes(send, error.status, orjson.dumps(body), headers)


class DisconnectWatch:
    """Cancels the request's task when the client disconnects (from start to finish).

    After the body has been read, the only message ``receive()`` can still deliver
    is ``http.disconnect``. A small watcher task waits for it and cancels the task
    serving the request; the cancellation surfaces at whatever the handler awaits
    (the upstream's next chunk, usually), whose ``finally`` closes the upstream.
    ``gone`` tells the handler that the cancellation was the client's doing, so it
    can swallow it instead of treating it as a server shutdown.

    The watcher starts ``delay`` seconds after the request (a timer costs far less
    than a task): most local answers are complete before then, and a client that
    leaves a long generation is still noticed within that delay.
    """

    __slots__ = ("_receive", "_task", "_timer", "_watcher", "gone")

    def __init__(self, receive: Receive, delay: float = 0.05) -> None:
        self.gone = False
        self._receive = receive
        self._task = asyncio.current_task()
        self._watcher: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(delay, self._start)

    def _start(self) -> None:
        self._timer = None
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                if self._task is not None:
                    self._task.cancel()
                return

    def stop(self) -> None:
        """Stop watching (the response is complete); undo a cancel that raced the finish."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._watcher is not None:
            self._watcher.cancel()
        if self.gone and self._task is not None:
            self._task.uncancel()
