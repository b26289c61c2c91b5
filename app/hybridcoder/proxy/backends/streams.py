"""A ChatStream over an async generator of chunks, with the first real chunk fetched eagerly.

Backends call :meth:`UpstreamChatStream.prefetch` inside ``chat()`` / ``complete()``
so that every failure up to the first content (HTTP status, connection refused, an
in-stream error line, the time-to-first-token deadline) surfaces *from* ``chat()``
as an :class:`UpstreamError` with ``before_first_byte=True``: the proxy can still
fall back because the client has seen nothing. Failures after that carry
``before_first_byte=False``.

Never swallows an upstream failure silently and never leaves a response open.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from hybridcoder.proxy.backends.base import ChatStream, Usage
from hybridcoder.proxy.errors import UpstreamError

#: Maps a raw exception (aiohttp, SDK, timeout) to an UpstreamError; the flag says
#: whether the first content already arrived (a timeout then means "idle", not "TTFT").
ErrorMapper = Callable[[BaseException, bool], UpstreamError]


def is_substantive(chunk: dict[str, Any]) -> bool:
    """True when a chunk carries something the user sees (or ends the answer)."""
    choices = chunk.get("choices")
    if not choices:
        return True
    choice = choices[0]
    if choice.get("finish_reason") is not None or choice.get("text"):
        return True
    delta = choice.get("delta")
    return bool(delta and (delta.get("content") or delta.get("tool_calls") or delta.get("reasoning_content")))


class UpstreamChatStream(ChatStream):
    """Wraps a backend's chunk generator; owns cancellation and error mapping."""

    def __init__(self, chunks: AsyncGenerator[dict[str, Any], None], *, model: str, usage: Usage,
                 cancel: Callable[[], Awaitable[None] | None], map_error: ErrorMapper,
                 on_started: Callable[[], None] | None = None) -> None:
        self.model = model
        self.usage = usage
        self._chunks = chunks
        self._cancel = cancel
        self._map_error = map_error
        self._on_started = on_started
        self._buffered: list[dict[str, Any]] = []
        self._started = False  # the first content arrived from upstream
        self._delivered = False  # a chunk went out to our consumer
        self._closed = False

    async def prefetch(self, timeout: float | None) -> None:
        """Pull chunks until the first one with content (or the end), within ``timeout`` seconds.

        ``None``: no deadline of its own (the caller's ``asyncio.timeout`` around the
        request and the prefetch bounds both; the stream is closed when it fires).
        """
        try:
            async with asyncio.timeout(timeout):
                async for chunk in self._chunks:
                    self._buffered.append(chunk)
                    if is_substantive(chunk):
                        break
        except BaseException as exc:
            await self._abort()
            if isinstance(exc, UpstreamError):
                raise
            if isinstance(exc, Exception):
                raise self._map_error(exc, False) from None
            raise
        self._started = True
        if self._on_started is not None:
            self._on_started()
        self._buffered.reverse()

    async def __anext__(self) -> dict[str, Any]:
        if self._buffered:
            self._delivered = True
            return self._buffered.pop()
        if self._closed:
            raise StopAsyncIteration
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._closed = True
            raise
        except UpstreamError as exc:
            await self._abort()
            exc.before_first_byte = not self._delivered
            raise
        except Exception as exc:
            await self._abort()
            error = self._map_error(exc, self._started)
            error.before_first_byte = not self._delivered
            raise error from None
        self._delivered = True
        return chunk

    async def aclose(self) -> None:
        """Cancel the upstream request: closing the response drops the connection."""
        await self._abort()

    async def _abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._buffered.clear()
        result = self._cancel()
        if inspect.isawaitable(result):
            with contextlib.suppress(Exception):
                await result
        # The generator may be suspended in another task's __anext__ (aclose then raises
        # RuntimeError); closing the response above is what stops it in that case.
        with contextlib.suppress(Exception):
            await self._chunks.aclose()
