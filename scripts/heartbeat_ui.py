"""Does the desktop app's UI thread ever stall? A 10 ms heartbeat, measured while the app works.

Runs a QApplication (offscreen) showing the real dashboard (refreshing at the app's interval from
the ledger the proxy writes) and a progress bar, with a ``QTimer`` ticking every 10 ms on the UI
thread; every gap between ticks is recorded. Phases, one after the other:

- ``idle``: nothing else running (the baseline, same process);
- ``model pull``: a model downloads through the real pull code (``OllamaManager.pull`` in a
  worker, progress arriving through signals) from the Ollama emulator (in a child process,
  paced by its ``pull_bytes_per_s`` knob);
- ``200 streams``: the in-process proxy (``ProxyServer``, as the app runs it, with recording to
  a real ledger) serves rounds of 200 concurrent streaming chat requests sent from another
  process, in front of the Ollama emulator (``chunk_delay_s`` per streamed word).

The emulator and the client run at a lower CPU priority (``nice 10``): on a 2-core machine their
200 threads and connections would otherwise take the CPU from the app, which is not what a user's
editor and Ollama do to it.

Prints, per phase, the worst gap, the p99 gap and the ticks seen, and PASS/FAIL against the
target (issue 9): the worst stall is at most 100 ms. Also printed: the longest dashboard step on
the UI thread and the longest garbage collection, to tell our own work from waiting for the GIL
or the CPU (on a busy 2-core machine the load average decides much of the worst case). Run:
``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/heartbeat_ui.py`` (about half a minute;
``--quick`` for a shorter run). Everything lives in a temporary HYBRIDCODER_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))

TOKEN = "hc-heartbeat-token-0123456789abcdefghijkl"
TICK_MS = 10
TARGET_WORST_MS = 100.0
CONCURRENCY = 200
PULL_MODEL_BYTES_PER_S = 2.5e8


# --- child processes ------------------------------------------------------------------------------

def _step_aside() -> None:
    """Lower this helper's CPU priority: the stand-ins for the editor and for Ollama (a GPU program in
    real life) must not take the CPU from the app being measured on a machine with few cores."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(10)


def run_ollama(ready: Any, stop: Any, chunk_delay_s: float, pull_bytes_per_s: float) -> None:
    """The Ollama emulator, in its own process so its threads do not share the UI's GIL."""
    from tests.emulators import http_base
    from tests.emulators.ollama import OllamaEmulator

    _step_aside()
    # socketserver's listen backlog is 5: 200 connections at once would have their SYNs dropped and
    # retried by the kernel for up to two minutes. Real Ollama (Go) listens with the system maximum.
    http_base._Server.request_queue_size = 1024
    emulator = OllamaEmulator()
    emulator.chunk_delay_s = chunk_delay_s
    emulator.pull_bytes_per_s = pull_bytes_per_s
    emulator.pull_tick_s = 0.02
    with emulator:
        pullable = sorted(name for name in emulator.registry if name not in emulator.models)
        ready.put((emulator.url, pullable))
        stop.wait()


def run_clients(url: str, rounds: int, results: Any) -> None:
    """``rounds`` × 200 concurrent streaming chat requests to the proxy; reports counts and errors."""
    import aiohttp

    _step_aside()
    words = " ".join(f"word{i}" for i in range(30))
    body = json.dumps({"model": "hybrid-auto", "stream": True,
                       "messages": [{"role": "user", "content": f"explain this function briefly: {words}"}]})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    async def one(session: aiohttp.ClientSession) -> bool | str:
        async with session.post(f"{url}/v1/chat/completions", data=body, headers=headers) as reply:
            chunks = 0
            async for _line in reply.content:
                chunks += 1
            if reply.status != 200:
                return f"HTTP {reply.status}"
            return chunks > 3 or f"{chunks} lines"

    async def main() -> tuple[int, int, float, str]:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        ok = failed = 0
        why: dict[str, int] = {}
        started = time.perf_counter()
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as session:
            for _ in range(rounds):
                outcomes = await asyncio.gather(*(one(session) for _ in range(CONCURRENCY)), return_exceptions=True)
                ok += sum(1 for o in outcomes if o is True)
                failed += sum(1 for o in outcomes if o is not True)
                for o in outcomes:
                    if o is not True:
                        name = type(o).__name__ if isinstance(o, BaseException) else str(o)
                        why[name] = why.get(name, 0) + 1
        return ok, failed, time.perf_counter() - started, ", ".join(f"{k} {v}" for k, v in why.items())

    results.put(asyncio.run(main()))


# --- the UI process ---------------------------------------------------------------------------------

class Heartbeat:
    """A 10 ms QTimer on the UI thread; the gaps between its ticks, per phase."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000.0)
        self._last = now

    def reset(self) -> None:
        self.gaps = []
        self._last = time.perf_counter()


def pump(seconds: float | None = None, until: Any = None, limit: float = 120.0) -> None:
    """Run the Qt event loop (the heartbeat ticks meanwhile) for ``seconds`` or until ``until()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
    else:
        poll = QTimer()
        poll.setInterval(20)
        poll.timeout.connect(lambda: loop.quit() if until() else None)
        poll.start()
        QTimer.singleShot(int(limit * 1000), loop.quit)
    loop.exec()


def time_dashboard_steps(view_class: Any) -> dict[str, list[float]]:
    """Wrap the dashboard's UI-thread steps to time them (tells its own work from GIL waits)."""
    times: dict[str, list[float]] = {}
    for name in ("_loaded", "_next_step"):
        original = getattr(view_class, name)

        def timed(self: Any, *args: Any, _original: Any = original, _name: str = name) -> Any:
            started = time.perf_counter()
            step = args[1][0] if _name == "_next_step" and len(args) > 1 and args[1] else None
            label = getattr(step, "__name__", _name) if step is not None else _name.strip("_")
            try:
                return _original(self, *args)
            finally:
                times.setdefault(label, []).append((time.perf_counter() - started) * 1000.0)

        setattr(view_class, name, timed)
    return times


class GcPauses:
    """The longest garbage collection (any thread) per phase: a pause that stops every thread."""

    def __init__(self) -> None:
        import gc

        self.longest = 0.0
        self.generation = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = (time.perf_counter() - self._started) * 1000.0
        if took > self.longest:
            self.longest, self.generation = took, int(info.get("generation", 0))


def print_steps(steps: dict[str, list[float]], gc_pauses: GcPauses) -> None:
    parts = [f"{name} {max(values):.1f} ms" for name, values in sorted(steps.items())]
    print(f"    longest dashboard step on the UI thread: {', '.join(parts) or 'none ran'}; "
          f"longest GC pause {gc_pauses.longest:.1f} ms (generation {gc_pauses.generation})", flush=True)
    steps.clear()
    gc_pauses.longest = 0.0


def summary(name: str, gaps: list[float], baseline_p99: float | None) -> dict[str, Any]:
    ordered = sorted(gaps)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else float("nan")
    worst = ordered[-1] if ordered else float("nan")
    row = {"phase": name, "ticks": len(gaps), "worst_ms": worst, "p99_ms": p99,
           "median_ms": statistics.median(ordered) if ordered else float("nan")}
    ratio = f"   p99 {p99 / baseline_p99:4.1f}× idle" if baseline_p99 else ""
    verdict = "PASS" if worst <= TARGET_WORST_MS else "FAIL"
    print(f"  {name:12} ticks {len(gaps):5}   median {row['median_ms']:6.1f} ms   p99 {p99:6.1f} ms   "
          f"worst {worst:6.1f} ms{ratio}   {verdict} (worst ≤ {TARGET_WORST_MS:.0f} ms)", flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases")
    parser.add_argument("--no-dashboard", action="store_true",
                        help="leave the dashboard out (to tell its own UI work from the proxy's load)")
    parser.add_argument("--refresh-ms", type=int, default=None,
                        help="dashboard refresh interval (default: the app's, gui.dashboard.REFRESH_MS)")
    parser.add_argument("--switch-interval-ms", type=float, default=None,
                        help="set sys.setswitchinterval (how soon a thread waiting for the GIL gets it); "
                             "default: what the app sets (gui.application.GIL_SWITCH_INTERVAL_S), else Python's")
    args = parser.parse_args()
    if args.switch_interval_ms is not None:
        sys.setswitchinterval(args.switch_interval_ms / 1000.0)
    else:
        # Measure the app as it runs: it may shorten the GIL switch interval so the UI thread gets the
        # GIL back from the busy proxy thread sooner (gui/application.py, GIL_SWITCH_INTERVAL_S).
        app_interval = getattr(importlib.import_module("hybridcoder.gui.application"), "GIL_SWITCH_INTERVAL_S", None)
        if app_interval:
            sys.setswitchinterval(float(app_interval))
    idle_s, pull_s, rounds = (1.5, 2.0, 2) if args.quick else (3.0, 5.0, 5)

    home = tempfile.mkdtemp(prefix="hybridcoder-heartbeat-")
    os.environ["HYBRIDCODER_HOME"] = home
    os.environ["HYBRIDCODER_TOKEN"] = TOKEN
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    ollama = ctx.Process(target=run_ollama, args=(ready, stop, 0.004, PULL_MODEL_BYTES_PER_S), daemon=True)
    ollama.start()
    ollama_url, pullable = ready.get(timeout=60)

    from PySide6.QtCore import QObject, QThreadPool, Signal
    from PySide6.QtWidgets import QApplication, QProgressBar, QVBoxLayout, QWidget

    from hybridcoder.gui.dashboard import REFRESH_MS, DashboardView
    from hybridcoder.gui.workers import submit
    from hybridcoder.ollama import OllamaManager
    from hybridcoder.paths import app_paths
    from hybridcoder.proxy.server import ProxyServer
    from hybridcoder.settings import Settings

    args.refresh_ms = args.refresh_ms or REFRESH_MS
    app = QApplication.instance() or QApplication(sys.argv[:1])
    steps = time_dashboard_steps(DashboardView)
    gc_pauses = GcPauses()
    window = QWidget()
    layout = QVBoxLayout(window)
    progress = QProgressBar()
    progress.setRange(0, 1000)
    dashboard = DashboardView(app_paths().ledger_file)
    dashboard.timer.setInterval(args.refresh_ms)
    layout.addWidget(progress)
    if not args.no_dashboard:
        layout.addWidget(dashboard)
    window.resize(1200, 860)
    window.show()
    pump(0.5)

    class Progress(QObject):
        moved = Signal(float)

    relay = Progress()
    relay.moved.connect(lambda fraction: progress.setValue(int(fraction * 1000)))
    beat = Heartbeat()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"UI heartbeat every {TICK_MS} ms on the Qt thread (Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {load}, platform {app.platformName()}, GIL switch interval "
          f"{sys.getswitchinterval() * 1000:.1f} ms, dashboard refresh every {args.refresh_ms} ms)", flush=True)
    rows = []

    # -- idle baseline
    beat.reset()
    pump(idle_s)
    rows.append(summary("idle", beat.gaps, None))
    print_steps(steps, gc_pauses)
    baseline = rows[0]["p99_ms"]

    # -- a model pull through the real pull code, in a worker
    manager = OllamaManager(ollama_url)
    tag = pullable[0]
    outcome: dict[str, Any] = {}

    def pull() -> Any:
        deadline = time.monotonic() + pull_s
        cancel = __import__("threading").Event()

        def on_progress(p: Any) -> None:
            total = getattr(p, "total", 0) or 0
            relay.moved.emit((getattr(p, "completed", 0) / total) if total else 0.0)
            if time.monotonic() > deadline:
                cancel.set()  # long enough: the rest of the pull would look the same

        return manager.pull(tag, on_progress, cancel)

    beat.reset()
    submit(pull, lambda result: outcome.setdefault("pull", result),
           lambda message: outcome.setdefault("error", message))
    pump(until=lambda: outcome, limit=pull_s + 30)
    rows.append(summary("model pull", beat.gaps, baseline))
    print_steps(steps, gc_pauses)
    if "error" in outcome:
        print(f"    pull failed: {outcome['error']}", flush=True)
    else:
        result = outcome["pull"]
        print(f"    pull of {tag} ({result.total_bytes / 1e9:.1f} GB) ran {result.seconds:.1f} s"
              f"{', stopped at the end of the phase' if result.cancelled else ', complete'}", flush=True)

    # -- the in-process proxy serving 200 concurrent streams from another process
    settings = Settings()
    settings.proxy.port = 0
    settings.ollama.url = ollama_url
    settings.models.chat = "qwen2.5-coder:7b"
    settings.models.autocomplete = "qwen2.5-coder:1.5b-base"
    settings.routing.learning = False
    server = ProxyServer(settings).start()
    results = ctx.Queue()
    clients = ctx.Process(target=run_clients, args=(server.url, rounds, results), daemon=True)
    beat.reset()
    clients.start()
    done: dict[str, Any] = {}

    def check() -> bool:
        if not done and not results.empty():
            done["result"] = results.get()
        return bool(done)

    pump(until=check, limit=400)
    rows.append(summary(f"{CONCURRENCY} streams", beat.gaps, baseline))
    print_steps(steps, gc_pauses)
    if done:
        ok, failed, seconds, why = done["result"]
        print(f"    {ok:,} streamed answers ({failed} failed{': ' + why if why else ''}) in {seconds:.1f} s "
              f"through {server.url}; "
              f"dashboard refreshing from the ledger meanwhile", flush=True)
    beat.timer.stop()
    clients.join(10)
    server.stop()
    stop.set()
    ollama.join(10)
    dashboard.timer.stop()
    QThreadPool.globalInstance().waitForDone(10000)
    window.close()
    shutil.rmtree(home, ignore_errors=True)
    worst = max(row["worst_ms"] for row in rows)
    print(f"Worst stall over all phases: {worst:.1f} ms (target ≤ {TARGET_WORST_MS:.0f} ms): "
          f"{'PASS' if worst <= TARGET_WORST_MS else 'FAIL'}", flush=True)
    return 0 if worst <= TARGET_WORST_MS and done and "error" not in outcome else 1


if __name__ == "__main__":
    sys.exit(main())
