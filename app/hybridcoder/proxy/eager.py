"""Take the next item of an async iterator *now* if it is already there, without a trip through the event loop.

Why: a streamed answer often arrives in bursts (an upstream read brings several
lines; a fast model emits tokens faster than we write them). Writing each chunk
as its own socket write costs a system call and wakes the client once per chunk.
The SSE relay therefore coalesces every chunk that is ready into one write, and
writes as soon as the next chunk would have to be waited for, so nothing is ever
held back while data could flow.

:func:`next_now` runs the iterator's ``__anext__`` coroutine by hand until it
either finishes (the item was ready) or would suspend. In the second case it
returns a :class:`Pending` awaitable that hands the suspension point to the
running task exactly as ``await`` would (same future, cancellation passed through),
so timeouts, cancellation and errors behave as with a plain ``await``.

Never swallows an exception from the iterator: StopAsyncIteration and errors
surface from ``next_now`` or from awaiting ``Pending``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class Pending:
    """The rest of a suspended ``__anext__``; ``await`` it to get the item."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro = self._coro
        value = self._first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation (or a throw) goes to the inner coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


def next_now(iterator: AsyncIterator[T]) -> tuple[bool, Any]:
    """``(True, item)`` when the next item was ready, else ``(False, Pending)`` to await.

    Raises StopAsyncIteration at the end, and whatever the iterator raises.
    """
    coro = iterator.__anext__()
    try:
        first = coro.send(None)  # type: ignore[attr-defined]
    except StopIteration as stop:
        return True, stop.value
    return False, Pending(coro, first)  # type: ignore[arg-type]
