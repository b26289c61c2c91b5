"""Run the proxy in a background thread: the desktop app's tray and ``hybridcoder serve`` both use this.

``ProxyServer(settings).start()`` binds the socket itself (so a port in use is a
clear error, and port 0 gives a free port whose number is known at once), starts
uvicorn on it in a plain ``threading.Thread`` with uvloop and httptools when they are
installed, and returns once the server accepts connections. ``stop()`` asks uvicorn
to finish (open streams get a short grace period), closes the backends' pools in
the server's own loop and the ledger after it, so a clean stop loses no row.

``log_config=None``: windowed builds have no stdout, and the app's own log file
is the only log. uvicorn installs no signal handlers off the main thread; the
caller owns Ctrl-C.

Never logs the access token or keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import threading
from typing import Any

import uvicorn

from hybridcoder.errors import ProxyStartError as ProxyStartError  # re-exported: its home before
from hybridcoder.keys import KeyStore
from hybridcoder.ledger.store import UsageLedger
from hybridcoder.proxy.app import create_app
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.proxy.connections import guarded_protocol
from hybridcoder.proxy.state import ProxyState
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0
STOP_GRACE_S = 3.0


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def event_loop_kind() -> str:
    return "uvloop" if _has("uvloop") else "asyncio"


def http_kind() -> str:
    return "httptools" if _has("httptools") else "h11"


class ProxyServer:
    """The routing proxy on its own thread; ``start()`` / ``stop()`` from any thread."""

    def __init__(self, settings: Settings | None = None, *, config: ProxyConfig | None = None,
                 keys: KeyStore | None = None, host: str | None = None, port: int | None = None,
                 ollama_url: str | None = None, mode: str | None = None) -> None:
        if config is None:
            settings = settings or Settings.load()
            config = ProxyConfig.from_settings(settings, keys, host=host, port=port, ollama_url=ollama_url,
                                               mode=mode)
        self.config = config
        self.settings = settings
        self._budget: Any = None
        self.ledger: UsageLedger | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.port = config.port
        #: The running app's shared state (live control works on it); None before the first start.
        self.state: ProxyState | None = None

    @property
    def url(self) -> str:
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = START_TIMEOUT_S) -> ProxyServer:
        if self.running:
            return self
        self._socket = self._bind()
        self.port = self._socket.getsockname()[1]
        self.ledger = None
        if self.config.ledger_path is not None:
            retention = self.settings.ledger.retention_days if self.settings is not None else None
            self.ledger = UsageLedger(self.config.ledger_path, retention_days=retention or None)
            self._watch_budget(self.ledger)
        app = create_app(self.config, ledger=self.ledger)
        self.state = app.state.proxy
        self.state.settings = self.settings
        self.state.budget = self._budget
        # Everything imported and built so far lives as long as the process: keep the
        # cyclic GC from rescanning it (tens of thousands of objects, the SDKs' types
        # included) in every full collection, which would show up as latency spikes.
        gc.freeze()
        # Connections that never complete a request are closed after header_timeout_s, and
        # the longest-waiting ones make room when too many wait (connections.py).
        protocol = guarded_protocol(http_kind(), header_timeout_s=self.config.header_timeout_s)
        uv_config = uvicorn.Config(
            app, host=self.config.host, port=self.port, log_config=None, access_log=False,
            loop=event_loop_kind(), http=protocol, lifespan="on", server_header=False, proxy_headers=False,
            date_header=False, timeout_graceful_shutdown=int(STOP_GRACE_S), timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(uv_config)
        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run, name="hybridcoder-proxy", daemon=True)
        self._thread.start()
        deadline = timeout
        while not self._ready.wait(0.02):
            deadline -= 0.02
            if not self._thread.is_alive() or deadline <= 0:
                self.stop()
                reason = f" ({self._failure})" if self._failure else ""
                raise ProxyStartError(f"The proxy did not start on {self.url}{reason}; see the log file.")
        return self

    def _watch_budget(self, ledger: UsageLedger) -> None:
        """With a daily or monthly cap set, the proxy asks the budget tracker on every request."""
        settings = self.settings
        if settings is None or not (settings.budget.daily_usd > 0 or settings.budget.monthly_usd > 0):
            return
        from hybridcoder.analytics.budget import BudgetTracker

        assert self.config.ledger_path is not None
        tracker = BudgetTracker(self.config.ledger_path, settings)
        tracker.attach(ledger)
        self.config.budget_exhausted = tracker.exhausted
        self._budget = tracker

    def _bind(self) -> socket.socket:
        host = self.config.host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, self.config.port))
        except OSError as exc:
            sock.close()
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise ProxyStartError(
                    f"Port {self.config.port} on {host} is already in use; stop the other program or "
                    "pick another port (settings: proxy.port, or `hybridcoder serve --port`).") from None
            raise ProxyStartError(f"Cannot listen on {host}:{self.config.port} ({exc.strerror}).") from None
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    def _run(self) -> None:
        server = self._server
        assert server is not None and self._socket is not None
        factory = server.config.get_loop_factory()
        try:
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(self._serve(server))
        except BaseException as exc:  # SystemExit from uvicorn's startup failure included
            self._failure = exc
            log.error("proxy server stopped with an error: %s", type(exc).__name__)

    async def _serve(self, server: uvicorn.Server) -> None:
        watcher = asyncio.get_running_loop().create_task(self._signal_ready(server))
        try:
            await server.serve(sockets=[self._socket]) if self._socket is not None else None
        finally:
            watcher.cancel()

    async def _signal_ready(self, server: uvicorn.Server) -> None:
        while not server.started:
            await asyncio.sleep(0.005)
        self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish open requests (briefly), close pools and the ledger; safe to call twice."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None and thread.is_alive():
            thread.join(timeout)
            if thread.is_alive():
                server.force_exit = True  # type: ignore[union-attr]
                thread.join(2.0)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None
        budget = self.state.budget if self.state is not None else self._budget  # live control may add one
        if budget is not None:
            budget.close()
        if self.state is not None:
            self.state.budget = None
        self._budget = None
        self._thread = None
        self._server = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
