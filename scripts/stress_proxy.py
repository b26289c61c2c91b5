"""Stress the routing proxy the way the independent review did, and print the worst /health stall.

Three processes, so none of them shares a GIL with another: the emulators (Ollama and
Anthropic from ``tests/emulators``, with their latency and fault knobs), the real proxy
(``ProxyServer`` with auth, routing and a real ledger), and this one, the clients. A
prober in this process asks ``/health`` every 20 ms throughout; the proxy process also
measures its own event-loop lag (a 10 ms timer's overshoot), which is what a stall is.

Phases (each bounded by a deadline; the script always stops on its own):

1. load     — 2,000 streamed chat requests, 200 at a time (hybrid-local); every one must
              succeed and the ledger must hold exactly one row per request;
2. aborts   — 900 streamed requests whose client leaves after the first chunk; every
              upstream generation must be cancelled;
3. faults   — local faults (HTTP 500, dropped stream, out of memory) with the cloud as
              fallback, then cloud 429 / 529 on requests that must use the cloud: no 500,
              429 carries Retry-After, 529 is ``overloaded_error``;
4. idle     — 1,100 connections that send nothing (the proxy runs under ``ulimit -n 1024``)
              while 50 real requests must still succeed;
5. big      — one cloud-bound request of 200,000 short messages (under the 16 MiB body
              limit), then one of 350,000: the stall they cause is the headline figure.

Run: ``.venv/bin/python scripts/stress_proxy.py`` (``--quick`` for a smaller run). Loopback only.
Target (issue 12): the worst stall while a request within the body limit is handled is ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))

TOKEN = "hc-stress-token-0123456789abcdefghijklm"
STALL_TARGET_MS = 300.0
DEADLINE_S = 600.0  # the whole run


# --- the emulators' process --------------------------------------------------------------------------

def run_emulators(commands: Any, answers: Any) -> None:
    """Ollama + Anthropic emulators; obeys (name, args) commands from the client process."""
    from tests.emulators.anthropic import AnthropicEmulator
    from tests.emulators.ollama import OllamaEmulator

    with OllamaEmulator() as ollama, AnthropicEmulator() as anthropic:
        answers.put((ollama.url, anthropic.url))
        while True:
            name, args = commands.get()
            if name == "stop":
                return
            if name == "ollama":
                for key, value in args.items():
                    setattr(ollama, key, value)
            elif name == "ollama_fault":
                kind, count = args
                for _ in range(count):
                    ollama.fail_next(kind, after_chunks=0)
            elif name == "anthropic_fault":
                status, count, retry_after = args
                anthropic.fail_next(status, retry_after=retry_after, times=count)
            elif name == "clear":
                with ollama._lock:
                    ollama.faults.clear()
                    ollama.requests.clear()
                anthropic.faults.clear()
                anthropic.requests.clear()
            elif name == "stats":
                answers.put({"ollama_cancelled": ollama.cancelled, "ollama_requests": len(ollama.requests),
                             "anthropic_requests": len(anthropic.requests)})
                continue
            answers.put("ok")


# --- the proxy's process -------------------------------------------------------------------------------

def run_proxy(ollama_url: str, anthropic_url: str, home: str, ready: Any) -> None:
    # The review's machine: 1,024 file descriptors for the proxy.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    from tests.emulators.anthropic import DEFAULT_KEY

    os.environ.update({"HYBRIDCODER_HOME": home, "HYBRIDCODER_TOKEN": TOKEN, "ANTHROPIC_API_KEY": DEFAULT_KEY,
                       "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    from hybridcoder.proxy.config import ProxyConfig
    from hybridcoder.proxy.server import ProxyServer
    from hybridcoder.settings import Settings

    settings = Settings()
    settings.ollama.url = ollama_url
    settings.cloud.anthropic_base_url = anthropic_url
    settings.models.chat = "qwen2.5-coder:7b"
    settings.routing.learning = False
    settings.routing.threshold = 1.01  # auto-routed requests go local first: local faults fall back to the cloud
    settings.proxy.port = 0
    settings.proxy.retry_window_s = 0  # the same question many times over is load here, not "regenerate"
    server = ProxyServer(settings, config=ProxyConfig.from_settings(settings)).start()
    lags: list[float] = []

    async def monitor() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(max(0.0, loop.time() - before - 0.01))

    import gc
    import threading

    gc_pauses: list[float] = []
    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:  # how long each collection held the GIL
        if phase == "start":
            gc_started[threading.get_ident()] = time.perf_counter()
        else:
            gc_pauses.append(time.perf_counter() - gc_started.pop(threading.get_ident(), time.perf_counter()))

    gc.callbacks.append(on_gc)
    state = getattr(server, "state", None)
    loop = getattr(state, "loop", None)  # the loop the proxy thread runs (set by the app's lifespan)
    if loop is not None:
        asyncio.run_coroutine_threadsafe(monitor(), loop)
    ready.put(server.port)
    try:
        while True:
            time.sleep(0.2)
            marker = Path(home) / "lag-request"
            if marker.exists():
                marker.unlink()
                worst = max(lags) if lags else 0.0
                worst_gc = max(gc_pauses) if gc_pauses else 0.0
                lags.clear()
                gc_pauses.clear()
                (Path(home) / "lag-answer").write_text(json.dumps({"worst_ms": worst * 1000,
                                                                   "gc_worst_ms": worst_gc * 1000}))
            if (Path(home) / "stop").exists():
                break
    finally:
        server.stop()


# --- the clients ---------------------------------------------------------------------------------------

class HealthProber:
    """Asks /health every 20 ms; the slowest answer in a phase is that phase's stall as a user sees it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[float] = []
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while True:
                started = time.perf_counter()
                try:
                    async with session.get(self.url + "/health", timeout=aiohttp.ClientTimeout(total=30)) as r:
                        await r.read()
                        if r.status != 200:
                            self.failures += 1
                except (aiohttp.ClientError, TimeoutError):
                    self.failures += 1
                self.samples.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

    def start(self) -> None:
        self.samples.clear()
        self.failures = 0
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        worst = max(self.samples) if self.samples else 0.0
        return {"health_worst_ms": worst * 1000,
                "health_median_ms": statistics.median(self.samples) * 1000 if self.samples else 0.0,
                "health_failures": self.failures}


class Stress:
    def __init__(self, url: str, home: str, commands: Any, answers: Any) -> None:
        self.url = url
        self.home = Path(home)
        self.commands = commands
        self.answers = answers
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        self.counter = 0
        self.results: dict[str, dict[str, Any]] = {}

    def emulators(self, name: str, args: Any = None) -> Any:
        self.commands.put((name, args))
        return self.answers.get(timeout=60)

    def proxy_lag_ms(self) -> tuple[float, float]:
        """The proxy's worst event-loop lag and longest garbage collection since the last call."""
        (self.home / "lag-request").write_text("")
        answer = self.home / "lag-answer"
        for _ in range(100):
            if answer.exists():
                values = json.loads(answer.read_text())
                answer.unlink()
                return float(values["worst_ms"]), float(values["gc_worst_ms"])
            time.sleep(0.05)
        return float("nan"), float("nan")

    def body(self, model: str = "hybrid-local", stream: bool = True, **extra: Any) -> bytes:
        self.counter += 1
        return json.dumps({"model": model, "stream": stream, **extra, "messages": [
            {"role": "user", "content": f"question {self.counter}: explain this loop"}]}).encode()

    async def chat(self, session: Any, body: bytes, *, leave_after_first: bool = False) -> tuple[int, str]:
        import aiohttp

        try:
            async with session.post(self.url + "/v1/chat/completions", data=body, headers=self.headers,
                                    timeout=aiohttp.ClientTimeout(total=120)) as response:
                if leave_after_first and response.status == 200:
                    await response.content.readany()
                    response.close()  # the client goes away mid-answer
                    return 499, ""
                data = await response.read()
                kind = ""
                if response.status >= 400:
                    try:
                        kind = json.loads(data)["error"]["type"]
                    except (ValueError, KeyError, TypeError):
                        kind = "unparsable"
                    if response.headers.get("retry-after"):
                        kind += "+retry-after"
                return response.status, kind
        except (aiohttp.ClientError, TimeoutError) as exc:
            return -1, type(exc).__name__

    async def many(self, count: int, concurrency: int, make: Any, **kwargs: Any) -> list[tuple[int, str]]:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=concurrency, force_close=kwargs.get("leave_after_first", False))
        semaphore = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async def one() -> tuple[int, str]:
                async with semaphore:
                    return await self.chat(session, make(), **kwargs)

            return await asyncio.gather(*(one() for _ in range(count)))

    async def phase(self, name: str, work: Any) -> None:
        prober = HealthProber(self.url)
        self.proxy_lag_ms()  # reset
        prober.start()
        started = time.perf_counter()
        try:
            figures = await asyncio.wait_for(work(), timeout=240)
        except TimeoutError:
            figures = {"error": "phase timed out"}
        elapsed = time.perf_counter() - started
        figures.update(await prober.stop())
        figures["loop_lag_worst_ms"], figures["gc_worst_ms"] = self.proxy_lag_ms()
        figures["seconds"] = round(elapsed, 2)
        self.results[name] = figures
        shown = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        print(f"{name:7s} {shown}", flush=True)

    def ledger_rows(self) -> int:
        ledger = next(self.home.rglob("*.sqlite3"), None) or next(self.home.rglob("*.db"), None)
        if ledger is None:
            return -1
        for _ in range(50):  # rows are written by a background thread
            conn = sqlite3.connect(ledger)
            try:
                rows = int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
            finally:
                conn.close()
            if rows >= self.expected_rows:
                return rows
            time.sleep(0.1)
        return rows

    expected_rows = 0

    # -- phases --------------------------------------------------------------------------------------
    async def load(self, count: int, concurrency: int) -> dict[str, Any]:
        self.emulators("ollama", {"chunk_delay_s": 0.002})
        started = time.perf_counter()
        results = await self.many(count, concurrency, self.body)
        elapsed = time.perf_counter() - started
        ok = sum(1 for status, _ in results if status == 200)
        self.expected_rows += count
        return {"requests": count, "ok": ok, "req_per_s": count / elapsed, "ledger_rows": self.ledger_rows()}

    async def aborts(self, count: int, concurrency: int) -> dict[str, Any]:
        self.emulators("clear")
        self.emulators("ollama", {"chunk_delay_s": 0.25})  # long answers (≈2 s): the client leaves mid-stream
        results = await self.many(count, concurrency, self.body, leave_after_first=True)
        self.expected_rows += count
        deadline = time.monotonic() + 30
        stats = self.emulators("stats")
        while stats["ollama_cancelled"] < count and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            stats = self.emulators("stats")
        self.emulators("ollama", {"chunk_delay_s": 0.0})
        return {"aborted": sum(1 for s, _ in results if s == 499), "upstream_cancelled": stats["ollama_cancelled"]}

    async def faults(self) -> dict[str, Any]:
        self.emulators("clear")
        out: dict[str, Any] = {}
        for kind in ("http_500", "drop", "oom"):
            self.emulators("ollama_fault", (kind, 20))
            results = await self.many(20, 10, lambda: self.body("hybrid-auto", stream=False))
            out[f"local_{kind}_ok_by_fallback"] = sum(1 for s, _ in results if s == 200)
        self.emulators("anthropic_fault", (529, 20, None))
        results = await self.many(20, 10, lambda: self.body("hybrid-cloud", stream=False))
        out["cloud_529"] = _tally(results)
        self.emulators("anthropic_fault", (429, 20, 2))
        results = await self.many(20, 10, lambda: self.body("hybrid-cloud", stream=False))
        out["cloud_429"] = _tally(results)
        await asyncio.sleep(2.5)  # the cloud asked for 2 s: let the cooldown pass before the next phase
        out["status_500"] = sum(1 for v in out.values() if isinstance(v, str) and "500" in v)
        self.expected_rows += 100
        return out

    async def idle(self, connections: int, requests: int) -> dict[str, Any]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        writers = []
        refused = 0
        for _ in range(connections):
            try:
                _, writer = await asyncio.open_connection(host, int(port))
                writers.append(writer)
            except OSError:
                refused += 1
        await asyncio.sleep(0.5)
        try:
            results = await self.many(requests, 10, lambda: self.body(stream=False))
        finally:
            for writer in writers:
                writer.close()
        self.expected_rows += requests
        return {"idle_opened": len(writers), "idle_refused": refused, "requests": requests,
                "ok": sum(1 for s, _ in results if s == 200)}

    @staticmethod
    def big_body(messages: int) -> bytes:
        """Built before the phase starts: building it stalls this process, not the proxy."""
        turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(messages - 1)]
        turns.append({"role": "user", "content": "sum it up"})
        return json.dumps({"model": "hybrid-cloud", "messages": turns}).encode()

    async def big(self, messages: int, body: bytes, parse_ms: float) -> dict[str, Any]:
        import aiohttp

        started = time.perf_counter()
        async with aiohttp.ClientSession() as session, session.post(
                self.url + "/v1/chat/completions", data=body, headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=180)) as response:
            await response.read()
            status = response.status
        self.expected_rows += 1
        return {"messages": messages, "body_mb": len(body) / 1e6, "status": status,
                "seconds_to_answer": time.perf_counter() - started, "parse_floor_ms": parse_ms}


def _tally(results: list[tuple[int, str]]) -> str:
    counts: dict[str, int] = {}
    for status, kind in results:
        key = f"{status} {kind}".strip()
        counts[key] = counts.get(key, 0) + 1
    return "; ".join(f"{n}× {key}" for key, n in sorted(counts.items()))


PHASES = ("load", "aborts", "faults", "idle", "big")


async def run(stress: Stress, quick: bool, only: set[str]) -> None:
    scale = 0.25 if quick else 1.0
    if "load" in only:
        await stress.phase("load", lambda: stress.load(int(2000 * scale), 200))
    if "aborts" in only:
        await stress.phase("aborts", lambda: stress.aborts(int(900 * scale), 100))
    if "faults" in only:
        await stress.phase("faults", stress.faults)
    if "idle" in only:
        await stress.phase("idle", lambda: stress.idle(1100, 50))
    for name, messages in (("big200k", 200_000), ("big350k", 350_000)) if "big" in only else ():
        count = int(messages * scale)
        body = stress.big_body(count)
        # The one step that cannot yield the GIL: parsing the body (orjson, in C). Timed here, before
        # the phase and on the same machine, it is the floor under any stall this request can cause.
        import orjson

        parse_started = time.perf_counter()
        orjson.loads(body)
        parse_ms = (time.perf_counter() - parse_started) * 1000
        stress.emulators("clear")
        await asyncio.sleep(1.0)
        await stress.phase(name, lambda count=count, body=body, parse_ms=parse_ms:  # type: ignore[misc]
                           stress.big(count, body, parse_ms))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the load (for a quick check)")
    parser.add_argument("--only", nargs="+", choices=PHASES, default=list(PHASES), help="run only these phases")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))  # this side opens 1,100+
    ctx = mp.get_context("spawn")
    commands, answers, ready = ctx.Queue(), ctx.Queue(), ctx.Queue()
    emulators = ctx.Process(target=run_emulators, args=(commands, answers), daemon=True)
    emulators.start()
    ollama_url, anthropic_url = answers.get(timeout=60)
    home = tempfile.mkdtemp(prefix="hc-stress-")
    proxy = ctx.Process(target=run_proxy, args=(ollama_url, anthropic_url, home, ready), daemon=True)
    proxy.start()
    port = ready.get(timeout=60)
    url = f"http://127.0.0.1:{port}"
    print(f"proxy {url} (ulimit -n 1024), emulators {ollama_url} {anthropic_url}", flush=True)
    stress = Stress(url, home, commands, answers)
    try:
        asyncio.run(asyncio.wait_for(run(stress, args.quick, set(args.only)), timeout=DEADLINE_S))
    finally:
        (Path(home) / "stop").write_text("")
        proxy.join(15)
        commands.put(("stop", None))
        emulators.join(10)
        for process in (proxy, emulators):
            if process.is_alive():
                process.kill()
    results = stress.results
    worst = max((r.get("health_worst_ms", 0.0) for r in results.values()), default=0.0)
    worst_lag = max((r.get("loop_lag_worst_ms", 0.0) for r in results.values()), default=0.0)
    big = max((results.get(p, {}).get("health_worst_ms", 0.0) for p in ("big200k", "big350k")), default=0.0)
    print(f"\nworst /health stall: {worst:.0f} ms (big requests: {big:.0f} ms); worst proxy loop lag "
          f"{worst_lag:.0f} ms; target ≤ {STALL_TARGET_MS:.0f} ms for any request within the body limit: "
          f"{'PASS' if big <= STALL_TARGET_MS else 'FAIL'}")
    print(f"machine load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a busy machine "
          "stretches every figure; the parse floor above shows by how much)")
    load = results.get("load", {})
    if load:
        print(f"load: {load.get('ok')}/{load.get('requests')} ok, ledger rows after all phases "
              f"{stress.ledger_rows()} of {stress.expected_rows} requests")
    return 0 if big <= STALL_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
