"""The lean keep-alive client (``lean_http``) against a scripted raw HTTP server on 127.0.0.1.

What a user would notice through ``OllamaBackend`` / ``LeanPool``: every body framing gives the
same answer, connections are reused only when HTTP allows it, a stale pooled connection never
loses a request, a broken one never sends a request twice, failures get the right cause, the
pool stays bounded, and a cancelled request tells the server the client went away.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from hybridcoder.proxy.backends.lean_http import LeanPool, lean_available
from hybridcoder.proxy.backends.ollama import OllamaBackend
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.errors import UpstreamError, UpstreamTimeout, UpstreamUnreachable

pytestmark = pytest.mark.skipif(not lean_available(), reason="httptools is not installed")

CHAT_BODY = (b'{"model":"m","message":{"role":"assistant","content":"hi"},"done":false}\n'
             b'{"model":"m","message":{"role":"assistant","content":" there"},"done":false}\n'
             b'{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop",'
             b'"prompt_eval_count":3,"eval_count":2}\n')
ANSWER = "hi there"
QUICK = BackendTimeouts(connect=2.0, first_token=5.0, idle=5.0)

Run = Callable[[Coroutine[Any, Any, Any]], Any]


def _loop_factories() -> list[Any]:
    factories = [pytest.param(asyncio.new_event_loop, id="asyncio")]
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] has no uvloop on Windows
        return factories
    return [*factories, pytest.param(uvloop.new_event_loop, id="uvloop")]


@pytest.fixture(params=_loop_factories())
def run(request: pytest.FixtureRequest) -> Run:
    """``asyncio.run`` on the parametrized event loop implementation."""
    factory = request.param

    def runner(coro: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=factory) as r:
            return r.run(coro)
    return runner


def _chunked(body: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in body.splitlines(keepends=True)) + b"0\r\n\r\n"


class ScriptedServer:
    """A raw HTTP/1.1 server that answers every request the way ``mode`` says, and counts what it sees.

    Modes: ``length``, ``chunked``, ``chunked_split`` (written in small pieces), ``until_close``
    (no length, the end of the connection ends the body), ``connection_close`` (says
    ``Connection: close`` but keeps the connection open), ``close_idle`` (keep-alive answer,
    then the server closes the connection), ``drop_second`` (closes without answering the
    second request), ``truncate`` (closes halfway through the body), ``garbage`` (not HTTP), ``slow`` (answers after ``delay``), ``hang``
    (never answers; waits for the client's EOF).
    """

    def __init__(self, mode: str, delay: float = 0.0) -> None:
        self.mode = mode
        self.delay = delay
        self.requests = 0
        self.conns = 0
        self.closed = 0
        self.open_now = 0
        self.max_open = 0
        self.got_request = asyncio.Event()
        self.client_eof = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=2)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.conns += 1
        self.open_now += 1
        self.max_open = max(self.max_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.client_eof.set()
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.requests += 1
                self.got_request.set()
                if not await self._answer(reader, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            self.client_eof.set()
        finally:
            self.open_now -= 1
            self.closed += 1
            self._writers.discard(writer)
            writer.close()
            self._tasks.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Write one answer; False ends the connection."""
        mode = self.mode
        keep = True
        if mode == "slow":
            await asyncio.sleep(self.delay)
        if mode in ("length", "slow"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(CHAT_BODY), CHAT_BODY))
        elif mode in ("chunked", "close_idle") or (mode == "drop_second" and self.requests == 1):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(CHAT_BODY))
            keep = mode != "close_idle"
        elif mode == "chunked_split":
            data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(CHAT_BODY)
            for i in range(0, len(data), 7):
                writer.write(data[i:i + 7])
                await writer.drain()
                await asyncio.sleep(0)
        elif mode == "until_close":
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + CHAT_BODY)
            keep = False
        elif mode == "connection_close":
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(CHAT_BODY), CHAT_BODY))
        elif mode == "drop_second":
            return False
        elif mode == "truncate":
            data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(CHAT_BODY)
            writer.write(data[:len(data) // 2])
            keep = False
        elif mode == "garbage":
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        elif mode == "hang":
            await reader.read()  # b"" once the client closes its end
            self.client_eof.set()
            return False
        await writer.drain()
        return keep


async def until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def chat_text(backend: OllamaBackend) -> str:
    stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, "m")
    return "".join([c["choices"][0]["delta"].get("content") or "" async for c in stream])


async def chat_error(backend: OllamaBackend) -> UpstreamError:
    with pytest.raises(UpstreamError) as info:
        await chat_text(backend)
    return info.value


@pytest.mark.parametrize(("mode", "connections"), [
    ("length", 1), ("chunked", 1), ("chunked_split", 1), ("until_close", 3), ("connection_close", 3),
])
def test_every_framing_gives_the_same_answer_and_reuses_only_keep_alive(run: Run, mode: str,
                                                                        connections: int) -> None:
    async def main() -> tuple[list[str], int, int]:
        async with ScriptedServer(mode) as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            try:
                answers = [await chat_text(backend) for _ in range(3)]
            finally:
                await backend.aclose()
            return answers, server.requests, server.conns

    answers, requests, conns = run(main())
    assert answers == [ANSWER] * 3
    assert requests == 3
    # "connection_close" keeps the socket open server-side: only the client honouring the header
    # makes it open a new connection for each request.
    assert conns == connections


def test_idle_connection_closed_by_the_server_is_replaced_before_writing(run: Run) -> None:
    async def main() -> tuple[list[str], int, int]:
        async with ScriptedServer("close_idle") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            answers = []
            try:
                for _ in range(4):
                    answers.append(await chat_text(backend))
                    await until(lambda: server.closed == len(answers))
                    await asyncio.sleep(0.02)  # let the client see the FIN on its pooled connection
            finally:
                await backend.aclose()
            return answers, server.requests, server.conns

    answers, requests, conns = run(main())
    assert answers == [ANSWER] * 4
    assert (requests, conns) == (4, 4)


def test_server_closing_right_after_each_answer_never_fails_the_next_request(run: Run) -> None:
    """Back to back, no pause: the close is already in the socket when the connection is reused."""
    async def main() -> tuple[list[str], int]:
        async with ScriptedServer("close_idle") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            try:
                answers = [await chat_text(backend) for _ in range(20)]
            finally:
                await backend.aclose()
            return answers, server.requests

    answers, requests = run(main())
    assert answers == [ANSWER] * 20
    assert requests == 20


def test_connection_dropped_after_the_request_is_sent_fails_without_resending(run: Run) -> None:
    async def main() -> tuple[str, UpstreamError, int, int]:
        async with ScriptedServer("drop_second") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            try:
                first = await chat_text(backend)
                error = await chat_error(backend)
                await asyncio.sleep(0.1)  # a retry would show up as a third request / second connection
            finally:
                await backend.aclose()
            return first, error, server.requests, server.conns

    first, error, requests, conns = run(main())
    assert first == ANSWER
    assert error.cause == "local_connection_lost"
    assert (requests, conns) == (2, 1)


def test_connection_dropped_mid_body_fails_after_the_first_tokens(run: Run) -> None:
    async def main() -> tuple[list[str], UpstreamError]:
        async with ScriptedServer("truncate") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            got: list[str] = []
            try:
                stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, "m")
                with pytest.raises(UpstreamError) as info:
                    async for chunk in stream:
                        got.append(chunk["choices"][0]["delta"].get("content") or "")
            finally:
                await backend.aclose()
            return got, info.value

    got, error = run(main())
    assert "".join(got) == "hi"
    assert error.cause == "local_connection_lost"
    assert error.before_first_byte is False  # too late to fall back: the user already saw "hi"


def test_malformed_http_is_a_lost_connection(run: Run) -> None:
    async def main() -> tuple[UpstreamError, UpstreamError]:
        async with ScriptedServer("garbage") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            try:
                chat_failure = await chat_error(backend)
                with pytest.raises(UpstreamError) as info:
                    await backend.models()
            finally:
                await backend.aclose()
            return chat_failure, info.value

    chat_failure, models_failure = run(main())
    assert chat_failure.cause == models_failure.cause == "local_connection_lost"


def test_pool_limit_bounds_open_connections_under_concurrency(run: Run) -> None:
    async def main() -> tuple[list[bytes], int, int]:
        async with ScriptedServer("slow", delay=0.05) as server:
            pool = LeanPool(server.url, connect_timeout=2, limit=2)

            async def one() -> bytes:
                response = await pool.request("POST", "/api/chat", b"{}")
                try:
                    return await response.read()
                finally:
                    response.release()
            try:
                bodies = await asyncio.gather(*(one() for _ in range(6)))
            finally:
                await pool.aclose()
            return bodies, server.max_open, server.conns

    bodies, max_open, conns = run(main())
    assert bodies == [CHAT_BODY] * 6
    assert max_open == conns == 2


def test_cancel_while_waiting_for_headers_closes_the_connection(run: Run) -> None:
    async def main() -> bool:
        async with ScriptedServer("hang") as server:
            backend = OllamaBackend(server.url, timeouts=QUICK)
            try:
                task = asyncio.create_task(chat_text(backend))
                await asyncio.wait_for(server.got_request.wait(), 2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                await asyncio.wait_for(server.client_eof.wait(), 2)
            finally:
                await backend.aclose()
            return server.client_eof.is_set()

    assert run(main())


def test_connection_refused_is_unreachable(run: Run) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there

    async def main() -> UpstreamError:
        backend = OllamaBackend(f"http://127.0.0.1:{port}", timeouts=QUICK)
        try:
            return await chat_error(backend)
        finally:
            await backend.aclose()

    error = run(main())
    assert isinstance(error, UpstreamUnreachable)
    assert error.cause == "local_unreachable"


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full, so the kernel drops new SYNs and a connect just hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full accept queue")
def test_slow_connect_is_a_connect_timeout(run: Run, unanswered_port: int) -> None:
    async def main() -> tuple[UpstreamError, float]:
        backend = OllamaBackend(f"http://127.0.0.1:{unanswered_port}",
                                timeouts=BackendTimeouts(connect=0.2, first_token=5.0, idle=5.0))
        started = time.monotonic()
        try:
            return await chat_error(backend), time.monotonic() - started
        finally:
            await backend.aclose()

    error, took = run(main())
    assert isinstance(error, UpstreamTimeout)
    assert error.cause == "local_connect_timeout"
    assert took < 2.0
