#!/usr/bin/env python3
"""Benchmark: what the backends' HTTP client costs on the hot path, aiohttp vs httpx.

Starts an instant fake upstream in a separate process (a bare asyncio HTTP/1.1 server
that answers every POST with a canned 20-chunk stream: Ollama NDJSON on /api/chat,
OpenAI SSE on /v1/chat/completions), then measures in one run, per request:

- the baseline clients reading the same stream: aiohttp (pooled session) and httpx
  (pooled AsyncClient), so the ratio between them is measured, not quoted;
- ``OllamaBackend.chat`` (aiohttp + NDJSON → OpenAI chunk translation);
- ``OpenAICompatibleBackend.chat`` (aiohttp + SSE parse, chunks passed through).

    .venv/bin/python scripts/bench_backends.py                # 2,000 requests each
    .venv/bin/python scripts/bench_backends.py --requests 500

Prints median / p99 in milliseconds and each row's extra cost over the aiohttp baseline.
Never reaches anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

import aiohttp
import httpx

from hybridcoder.proxy.backends.ollama import OllamaBackend
from hybridcoder.proxy.backends.openai_compat import OpenAICompatibleBackend

CHUNKS = 20


def _canned() -> dict[str, bytes]:
    ndjson = b"".join(json.dumps({"model": "m", "created_at": "2026-11-25T00:00:00Z",
                                  "message": {"role": "assistant", "content": f" tok{i}"}, "done": False}).encode()
                      + b"\n" for i in range(CHUNKS))
    ndjson += json.dumps({"model": "m", "message": {"role": "assistant", "content": ""}, "done": True,
                          "done_reason": "stop", "prompt_eval_count": 12, "eval_count": CHUNKS}).encode() + b"\n"
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    sse = b"".join(b"data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {"content": f" tok{i}"},
                                                                 "finish_reason": None}]}).encode() + b"\n\n"
                   for i in range(CHUNKS))
    sse += b"data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode()
    sse += b"\n\ndata: " + json.dumps({**head, "choices": [], "usage": {"prompt_tokens": 12,
                                                                         "completion_tokens": CHUNKS}}).encode()
    sse += b"\n\ndata: [DONE]\n\n"

    def chunked(body: bytes, content_type: bytes) -> bytes:
        out = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        for line in body.split(b"\n"):
            if line:
                piece = line + b"\n"
                out += b"%x\r\n%s\r\n" % (len(piece), piece)
        return out + b"0\r\n\r\n"

    return {"/api/chat": chunked(ndjson, b"application/x-ndjson"),
            "/v1/chat/completions": chunked(sse, b"text/event-stream")}


def _serve(port_queue: multiprocessing.Queue[int]) -> None:
    """The instant upstream: parse just enough HTTP/1.1 to answer keep-alive POSTs."""
    answers = _canned()

    class Upstream(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                head_end = self.buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buffer[:head_end].decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if len(self.buffer) < head_end + 4 + length:
                    return
                path = head.split(" ", 2)[1]
                self.buffer = self.buffer[head_end + 4 + length:]
                self.transport.write(answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))  # type: ignore[attr-defined]

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def _measure(name: str, call: Callable[[], Awaitable[None]], n: int) -> list[float]:
    for _ in range(min(100, n)):
        await call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


async def run(url: str, n: int) -> None:
    payload = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}).encode()
    body = {"messages": [{"role": "user", "content": "hi"}]}
    session = aiohttp.ClientSession()
    client = httpx.AsyncClient()
    ollama = OllamaBackend(url, num_ctx=8192)
    compat = OpenAICompatibleBackend(url + "/v1")

    async def raw_aiohttp() -> None:
        async with session.post(url + "/api/chat", data=payload) as response:
            async for _ in response.content:
                pass

    async def raw_httpx() -> None:
        async with client.stream("POST", url + "/api/chat", content=payload) as response:
            async for _ in response.aiter_lines():
                pass

    async def via_ollama() -> None:
        stream = await ollama.chat(body, "m")
        async for _ in stream:
            pass

    async def via_compat() -> None:
        stream = await compat.chat(body, "m")
        async for _ in stream:
            pass

    rows = [("aiohttp client, raw NDJSON (baseline)", raw_aiohttp), ("httpx client, raw NDJSON", raw_httpx),
            ("OllamaBackend.chat (lean client + translation)", via_ollama),
            ("OpenAICompatibleBackend.chat (aiohttp + SSE)", via_compat)]
    results = {name: await _measure(name, call, n) for name, call in rows}
    await session.close()
    await client.aclose()
    await ollama.aclose()
    await compat.aclose()
    base = statistics.median(results[rows[0][0]])
    print(f"{n} requests each, {CHUNKS}-chunk streams, instant upstream in another process")
    print(f"{'client':48} {'median ms':>10} {'p99 ms':>8} {'+median vs aiohttp':>20}")
    for name, _ in rows:
        values = results[name]
        median = statistics.median(values)
        print(f"{name:48} {median:10.3f} {_p99(values):8.3f} {median - base:+20.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    upstream = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    upstream.start()
    try:
        port = ports.get(timeout=10)
        asyncio.run(run(f"http://127.0.0.1:{port}", args.requests))
    finally:
        upstream.terminate()
        upstream.join(5)


if __name__ == "__main__":
    main()
