"""How much latency does the routing proxy add? One run, numbers and PASS/FAIL per target.

Starts, each in its own process so they do not share a GIL:

- an instant fake Ollama (raw asyncio, uvloop when installed): ``/api/chat`` answers
  at once with 1 content chunk, or 20 when the prompt says ``stream-20``; ``/api/tags``
  and ``/api/version`` as Ollama has them. This is the baseline.
- the real proxy (``ProxyServer``) in front of it, with auth, routing (a cloud key is
  set, so the router really decides) and recording to a real ledger on.

Then, from this process, with one pooled aiohttp client, interleaving the two:

- added latency, non-streaming: proxy ``/v1/chat/completions`` vs the same chat
  straight to the fake Ollama (median and p99);
- added latency, streaming a 20-chunk answer: time to first byte and total;
- requests per second with 32 concurrent clients (proxy, and direct for scale);
- the routing decision (override strip + decide) for a 30k-token agent request.

Targets (issue 3): added median <= 0.5 ms non-streaming, <= 0.8 ms for the 20-chunk
stream; added p99 <= 3 ms; decision <= 0.2 ms. Run: ``.venv/bin/python scripts/bench_proxy.py``
(``--quick`` for a shorter run). Takes well under two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

TOKEN = "hc-bench-token-0123456789abcdefghijklmn"
TARGETS = {"nonstream_median": 0.5, "stream_median": 0.8, "p99": 3.0, "decision": 0.2}


# --- the instant fake Ollama ---------------------------------------------------------------------

def _ndjson_chat(chunks: int) -> bytes:
    lines = [json.dumps({"model": "bench:latest", "created_at": "2026-11-25T00:00:00Z",
                         "message": {"role": "assistant", "content": f"tok{i} "}, "done": False}).encode()
             for i in range(chunks)]
    lines.append(json.dumps({"model": "bench:latest", "created_at": "2026-11-25T00:00:00Z",
                             "message": {"role": "assistant", "content": ""}, "done": True,
                             "done_reason": "stop", "total_duration": 1000, "load_duration": 0,
                             "prompt_eval_count": 12, "prompt_eval_duration": 100, "eval_count": chunks,
                             "eval_duration": 100}).encode())
    body = b"".join(b"%x\r\n%s\n\r\n" % (len(line) + 1, line) for line in lines) + b"0\r\n\r\n"
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
            + body)


def _json_response(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data)


class FakeOllama(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: parses Content-Length bodies, answers instantly."""

    CHAT_1 = _ndjson_chat(1)
    CHAT_20 = _ndjson_chat(20)
    TAGS = _json_response({"models": [{"name": "bench:latest", "model": "bench:latest", "size": 1,
                                       "digest": "0" * 64, "details": {"family": "qwen2"}}]})
    VERSION = _json_response({"version": "0.32.15"})

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None]) if at >= 0 else 0
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4:total]
            self.buffer = self.buffer[total:]
            path = head.split(b" ", 2)[1]
            if path == b"/api/chat":
                self.transport.write(self.CHAT_20 if b"stream-20" in body else self.CHAT_1)
            elif path == b"/api/tags":
                self.transport.write(self.TAGS)
            else:
                self.transport.write(self.VERSION)


def run_fake_ollama(ready: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(FakeOllama, "127.0.0.1", 0, backlog=1024)
        ready.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


# --- a bare relay, for scale -----------------------------------------------------------------------

def run_bare_relay(upstream_port: int, ready: Any) -> None:
    """uvicorn + one aiohttp client session, relaying bytes: no auth, routing, translation or recording.

    Not a target, a yardstick: what this machine charges for one extra HTTP hop right now.
    """
    import socket

    import aiohttp
    import uvicorn

    session: aiohttp.ClientSession | None = None
    target = f"http://127.0.0.1:{upstream_port}/api/chat"

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal session
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = (await receive())["body"]
        if session is None:
            session = aiohttp.ClientSession()
        async with session.post(target, data=body, headers={"Content-Type": "application/json"}) as response:
            data = await response.read()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/x-ndjson"), (b"content-length", b"%d" % len(data))]})
        await send({"type": "http.response.body", "body": data})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    ready.put(sock.getsockname()[1])
    config = uvicorn.Config(app, log_config=None, access_log=False, loop="uvloop" if _has("uvloop") else "asyncio",
                            http="httptools" if _has("httptools") else "h11", proxy_headers=False)
    uvicorn.Server(config).run(sockets=[sock])


# --- the proxy -----------------------------------------------------------------------------------

def run_proxy(upstream_port: int, home: str, ready: Any) -> None:
    os.environ.update({"HYBRIDCODER_HOME": home, "HYBRIDCODER_TOKEN": TOKEN,
                       "ANTHROPIC_API_KEY": "sk-ant-bench-not-used-0000000000000000",
                       "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    from hybridcoder.proxy.server import ProxyServer
    from hybridcoder.settings import Settings

    settings = Settings()
    settings.ollama.url = f"http://127.0.0.1:{upstream_port}"
    settings.models.chat = "bench:latest"
    settings.proxy.port = 0
    from hybridcoder.proxy.config import ProxyConfig
    cfg = ProxyConfig.from_settings(settings)
    if os.environ.get("BENCH_NO_LEDGER"):
        cfg.ledger_path = None
    server = ProxyServer(config=cfg).start()
    ready.put(server.port)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()


# --- measuring -----------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


_counter = 0


async def _timed(session: Any, url: str, body: bytes, headers: dict[str, str]) -> tuple[float, float, bytes]:
    # A fresh number in every question: the same conversation twice in a row is a "regenerate",
    # which the proxy (rightly) escalates to the cloud.
    global _counter
    _counter += 1
    body = body.replace(b"#N#", b"%d" % _counter)
    start = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        first = await response.content.readany()
        ttfb = time.perf_counter()
        rest = [first]
        while chunk := await response.content.readany():
            rest.append(chunk)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}: {b''.join(rest)[:200]!r}")
    return (ttfb - start) * 1000, (time.perf_counter() - start) * 1000, b"".join(rest)


async def measure(proxy: str, upstream: str, bare: str, rounds: int, stream_rounds: int,
                  rps_seconds: float) -> dict[str, Any]:
    import aiohttp

    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    plain = {"Content-Type": "application/json"}
    question = [{"role": "user", "content": "#N# explain what this function does: def add(a, b): return a + b"}]
    stream_q = [{"role": "user", "content": "#N# explain stream-20 what this does: def add(a, b): return a + b"}]
    proxy_body = json.dumps({"model": "hybrid-auto", "messages": question}).encode()
    proxy_stream = json.dumps({"model": "hybrid-auto", "messages": stream_q, "stream": True}).encode()
    direct_body = json.dumps({"model": "bench:latest", "messages": question, "stream": True}).encode()
    direct_stream = json.dumps({"model": "bench:latest", "messages": stream_q, "stream": True}).encode()
    results: dict[str, Any] = {}
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        chat_url, direct_url = proxy + "/v1/chat/completions", upstream + "/api/chat"
        # Warm up both paths (connections, caches) and check the proxy routed locally with auth on.
        for _ in range(300):
            await _timed(session, chat_url, proxy_body, auth)
            await _timed(session, direct_url, direct_body, plain)
        async with session.post(chat_url, data=proxy_body, headers=auth) as response:
            assert response.headers.get("x-hybridcoder-route") == "local", dict(response.headers)
            reply = await response.json()
            assert reply["choices"][0]["message"]["content"] == "tok0 ", reply
        async with session.post(chat_url, data=proxy_body, headers=plain) as response:
            assert response.status == 401  # auth is really on

        for _ in range(100):
            await _timed(session, bare, direct_body, plain)
        direct_ns, proxied_ns, bare_ns = [], [], []
        for _ in range(rounds):
            direct_ns.append((await _timed(session, direct_url, direct_body, plain))[1])
            proxied_ns.append((await _timed(session, chat_url, proxy_body, auth))[1])
            bare_ns.append((await _timed(session, bare, direct_body, plain))[1])
        results["nonstream"] = (direct_ns, proxied_ns)
        results["bare"] = bare_ns

        d_ttfb, d_total, p_ttfb, p_total = [], [], [], []
        for _ in range(stream_rounds):
            ttfb, total, _ = await _timed(session, direct_url, direct_stream, plain)
            d_ttfb.append(ttfb)
            d_total.append(total)
            ttfb, total, body = await _timed(session, chat_url, proxy_stream, auth)
            p_ttfb.append(ttfb)
            p_total.append(total)
        assert body.count(b'"tok') == 20 and body.endswith(b"data: [DONE]\n\n"), body[-300:]
        results["stream"] = (d_ttfb, d_total, p_ttfb, p_total)

        for name, url, body, headers in (("proxy", chat_url, proxy_body, auth),
                                         ("direct", direct_url, direct_body, plain)):
            done = 0
            deadline = time.perf_counter() + rps_seconds

            async def client(url: str = url, body: bytes = body, headers: dict[str, str] = headers,
                             deadline: float = deadline) -> None:
                nonlocal done
                while time.perf_counter() < deadline:
                    await _timed(session, url, body, headers)
                    done += 1

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(32)))
            results[f"rps_{name}"] = done / (time.perf_counter() - started)
    return results


def agent_request_30k() -> dict[str, Any]:
    """A Cline-like agent turn of about 30k tokens: rules, 25 tools, several files, tool history."""
    rules = "\n".join(f"- Rule {i}: always keep functions under {i + 10} lines and document them." for i in range(20))
    system = ("You are Cline, a highly skilled software engineer.\n\n# Rules\n" + rules + "\n\n"
              + "TOOL USE\n" + "You have access to a set of tools. " * 400)
    tools = [{"type": "function", "function": {
        "name": f"tool_{i}", "description": "Does one thing in the workspace. " * 10,
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                       "required": ["path"]}}} for i in range(25)]
    source = "def handler(event, context):\n    return {'status': 200, 'body': event.get('body')}\n" * 85
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for i in range(10):
        messages.append({"role": "user", "content": f"<file path=\"src/module_{i}.py\">\n{source}</file>"})
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": "tool_1", "arguments": json.dumps({"path": f"src/module_{i}.py"})}}]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": source[:2000]})
    messages.append({"role": "user", "content": "Refactor the handlers across these modules to share validation."})
    return {"model": "hybrid-auto", "messages": messages, "tools": tools, "stream": True}


def measure_decision(runs: int) -> tuple[float, float, int]:
    from hybridcoder.routing.decision import RoutingContext
    from hybridcoder.routing.override import strip_override
    from hybridcoder.routing.router import Router

    body = agent_request_30k()
    chars = len(json.dumps(body))
    router = Router()
    context = RoutingContext(mode="auto", cloud_available=True, local_context=16384)
    times = []
    for _ in range(runs + 50):
        start = time.perf_counter()
        forward, override = strip_override(body)
        decision = router.decide(forward, endpoint="/v1/chat/completions", context=context, override=override)
        times.append((time.perf_counter() - start) * 1000)
    assert decision.route == "cloud" and decision.features["prompt_tokens"] > 25000, decision.as_json()
    times = times[50:]
    return statistics.median(times), _percentile(times, 0.99), chars // 4


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    extras = [name for name in ("uvloop", "httptools") if _has(name)]
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, {' + '.join(extras) or 'asyncio + h11'}")


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, noisier numbers)")
    args = parser.parse_args()
    rounds, stream_rounds, rps_seconds = (400, 200, 1.0) if args.quick else (4000, 2000, 4.0)

    ctx = mp.get_context("spawn")
    ready: Any = ctx.Queue()
    upstream_proc = ctx.Process(target=run_fake_ollama, args=(ready,), daemon=True)
    upstream_proc.start()
    upstream_port = ready.get(timeout=30)
    home = tempfile.mkdtemp(prefix="hc-bench-")
    proxy_proc = ctx.Process(target=run_proxy, args=(upstream_port, home, ready), daemon=True)
    proxy_proc.start()
    proxy_port = ready.get(timeout=60)
    bare_proc = ctx.Process(target=run_bare_relay, args=(upstream_port, ready), daemon=True)
    bare_proc.start()
    bare_port = ready.get(timeout=60)
    try:
        run: Any = asyncio.run
        if _has("uvloop"):
            import uvloop

            run = uvloop.run
        results = run(measure(f"http://127.0.0.1:{proxy_port}", f"http://127.0.0.1:{upstream_port}",
                              f"http://127.0.0.1:{bare_port}/", rounds, stream_rounds, rps_seconds))
    finally:
        for process in (proxy_proc, bare_proc, upstream_proc):
            process.terminate()
            process.join(10)
    decision_median, decision_p99, decision_tokens = measure_decision(300)

    direct, proxied = results["nonstream"]
    d_ttfb, d_total, p_ttfb, p_total = results["stream"]
    med = statistics.median
    added = {
        "nonstream_median": med(proxied) - med(direct),
        "nonstream_p99": _percentile(proxied, 0.99) - _percentile(direct, 0.99),
        "stream_ttfb_median": med(p_ttfb) - med(d_ttfb),
        "stream_median": med(p_total) - med(d_total),
        "stream_p99": _percentile(p_total, 0.99) - _percentile(d_total, 0.99),
    }
    checks = [
        ("added median, non-streaming", added["nonstream_median"], TARGETS["nonstream_median"]),
        ("added median, 20-chunk stream (total)", added["stream_median"], TARGETS["stream_median"]),
        ("added p99, non-streaming", added["nonstream_p99"], TARGETS["p99"]),
        ("added p99, 20-chunk stream (total)", added["stream_p99"], TARGETS["p99"]),
        (f"routing decision, {decision_tokens:,}-token agent request (median)", decision_median,
         TARGETS["decision"]),
    ]
    print(f"Machine: {machine()}")
    print(f"Samples: {rounds} non-streaming and {stream_rounds} streaming pairs, interleaved; "
          "auth, routing and recording on")
    print()
    print(f"{'':44} {'direct':>9} {'proxy':>9} {'added':>9}")
    print(f"{'non-streaming median (ms)':44} {med(direct):9.3f} {med(proxied):9.3f} {added['nonstream_median']:9.3f}")
    print(f"{'non-streaming p99 (ms)':44} {_percentile(direct, 0.99):9.3f} {_percentile(proxied, 0.99):9.3f} "
          f"{added['nonstream_p99']:9.3f}")
    print(f"{'20-chunk stream, time to first byte (ms)':44} {med(d_ttfb):9.3f} {med(p_ttfb):9.3f} "
          f"{added['stream_ttfb_median']:9.3f}")
    print(f"{'20-chunk stream, total median (ms)':44} {med(d_total):9.3f} {med(p_total):9.3f} "
          f"{added['stream_median']:9.3f}")
    print(f"{'20-chunk stream, total p99 (ms)':44} {_percentile(d_total, 0.99):9.3f} "
          f"{_percentile(p_total, 0.99):9.3f} {added['stream_p99']:9.3f}")
    bare = results["bare"]
    print(f"{'for scale: bare relay, median (ms)':44} {med(direct):9.3f} {med(bare):9.3f} "
          f"{med(bare) - med(direct):9.3f}   (uvicorn + aiohttp, nothing else)")
    print(f"{'requests/s, 32 concurrent clients':44} {results['rps_direct']:9.0f} {results['rps_proxy']:9.0f}")
    print(f"{'routing decision, 30k-token agent (ms)':44} {'':9} {decision_median:9.3f}   (p99 {decision_p99:.3f})")
    print()
    failed = 0
    for label, value, target in checks:
        ok = value <= target
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {value:.3f} ms (target <= {target} ms)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
