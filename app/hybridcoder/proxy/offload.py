"""Heavy work for big request bodies runs off the proxy's event loop.

One event loop serves every client. Parsing, checking, routing, redacting,
translating and encoding a request costs microseconds for an ordinary body but
grows with its size: a cloud-bound body of 200k short messages (under the body
limit) took 2.6 s of pure Python, and every other request, /health included,
waited that long. So each endpoint notes the size of the body it read
(:data:`BODY_BYTES`, a context variable: per request, seen by the backends it calls)
and :func:`run_heavy` runs a step inline for small bodies (a thread hop costs more
than the work) and in a small worker pool for big ones. The loop then keeps
answering; ``scripts/stress_proxy.py`` measures the worst stall.

The pool is small on purpose: two big requests at a time use two threads; more wait
their turn instead of starving the loop of the GIL. Functions run here must not touch
the event loop or shared mutable state.

The cyclic garbage collector is paused while a heavy step runs. Moving work to a
thread does not help against it: a translation that builds 400k containers triggers
full collections that traverse all of them while holding the GIL (measured: pauses
of 45 → 145 ms, growing with the body, each one stalling the loop). What such a step
builds is either freed by reference counting when it returns (the translated request,
once encoded) or holds no cycles (parsed JSON), so nothing is lost by not scanning it.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, TypeVar

import orjson

from hybridcoder.proxy.errors import BadRequest
from hybridcoder.proxy.validation import too_deep

T = TypeVar("T")

#: Bodies bigger than this are handled in the worker pool (bytes, as read from the client).
OFFLOAD_BYTES = 256 * 1024
#: Size of the body of the request being served by this task (0 when none was read).
BODY_BYTES: ContextVar[int] = ContextVar("hybridcoder_body_bytes", default=0)

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hybridcoder-heavy")
    return _pool


def is_heavy() -> bool:
    """True when the current request's body is big enough to be worked on off the loop."""
    return BODY_BYTES.get() > OFFLOAD_BYTES


async def run_heavy(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)``: inline for a small body, in the worker pool for a big one."""
    if BODY_BYTES.get() <= OFFLOAD_BYTES:
        return func(*args, **kwargs)
    call = functools.partial(func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), _without_gc, call)


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


def _without_gc(call: Callable[[], T]) -> T:
    """Run ``call`` with the cyclic collector paused (see the module docstring); nests across threads."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        return call()
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def encode_json(data: Any) -> bytes:
    """``orjson.dumps`` for a request going upstream; a body it cannot encode is the client's 400, never a 500.

    Too deep (validation.MAX_JSON_DEPTH) is the same ``too_deep`` 400 parsing gives.
    """
    try:
        return orjson.dumps(data)
    except TypeError as exc:  # orjson.JSONEncodeError: recursion limit, an integer out of range
        if "recursion" in str(exc).lower():
            raise too_deep() from None
        raise BadRequest(f"The request cannot be re-encoded for the upstream ({exc}).",
                         code="unencodable_body") from None
