"""Steps every backend's tests take the same way: draining a stream, cancelling a consumer,
waiting for the emulator to see the client leave."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import pytest

from hybridcoder.proxy.backends.base import ChatStream


class CountsCancels(Protocol):
    cancelled: int


async def collect(stream: ChatStream) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]


async def cancelled_upstreams(emulator: CountsCancels, timeout_s: float = 2.0) -> int:
    """The emulator's count of streams whose client went away, once it is non-zero (or the timeout)."""
    for _ in range(int(timeout_s / 0.01)):
        if emulator.cancelled:
            break
        await asyncio.sleep(0.01)
    return emulator.cancelled


async def cancel_consumer_midstream(stream: ChatStream, after_s: float = 0.05) -> None:
    """Consume ``stream`` in a task and cancel that task, as the server does when a client disconnects."""
    async def consume() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(after_s)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
