"""The in-process proxy's lifecycle, owned by the desktop app: start, stop, restart, apply settings.

The tools' endpoint must be up whenever the app is, so the app runs the proxy in a
background thread of its own process (``ProxyServer``: uvicorn ``Server`` in a
``threading.Thread``, ``should_exit`` to stop). :class:`ProxyService` wraps it:

- ``start()`` raises :class:`ProxyStartError` with one sentence (the port is taken,
  by another program or by a Hybrid Coder already running in a terminal);
- ``stop()`` flushes the usage ledger and frees the port; safe to call twice;
- ``control`` is the live :class:`~hybridcoder.proxy.control.ProxyControl` while it runs;
- ``apply_settings()`` changes what can change live and restarts for the rest;
- listeners hear ``"started"``, ``"stopped"`` and ``"error"`` (the proxy stopped on
  its own), from whichever thread noticed: a GUI re-emits them as a signal.

Qt-free (the GUI imports this, never the other way round). ``start``, ``stop``,
``restart`` and ``apply_settings`` (when it restarts) block for up to a few seconds:
call them from a worker thread, not the UI thread.

Importing this module is cheap: the proxy stack (uvicorn, aiohttp, the SDKs) is imported by
``start()``, on that worker, so the app's first window does not wait for it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridcoder.errors import HybridCoderError, ProxyStartError
from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.proxy.control_api import PROBE_INTERVAL_S
from hybridcoder.settings import Settings

if TYPE_CHECKING:
    from hybridcoder.proxy.control import ProxyControl
    from hybridcoder.proxy.server import ProxyServer

log = logging.getLogger(__name__)

__all__ = ["ProxyService", "ProxyStartError", "desktop_available", "restart_needed"]

#: Settings whose change needs a new proxy (a new socket, new backends, new keys).
RESTART_KEYS: tuple[tuple[str, str], ...] = (
    ("proxy", "host"), ("proxy", "port"), ("proxy", "max_body_bytes"), ("proxy", "connect_timeout_s"),
    ("proxy", "first_token_timeout_s"), ("proxy", "idle_timeout_s"),
    ("ollama", "url"), ("local", "kind"), ("local", "openai_url"),
    ("models", "chat_context"), ("models", "autocomplete_context"),
    ("cloud", "provider"), ("cloud", "anthropic_model"), ("cloud", "openai_model"), ("cloud", "openai_base_url"),
    ("cloud", "anthropic_base_url"), ("cloud", "ollama_cloud_model"), ("cloud", "ollama_cloud_url"),
    ("keys", "allow_file_fallback"), ("ledger", "retention_days"),
)
WATCH_INTERVAL_S = 0.5


def desktop_available() -> bool:
    """Whether the desktop app can open a window here (Windows, macOS, or a Linux display / Qt platform)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def restart_needed(old: Settings, new: Settings) -> bool:
    """True when going from ``old`` to ``new`` needs the proxy restarted (see RESTART_KEYS)."""
    return any(getattr(getattr(old, section), name) != getattr(getattr(new, section), name)
               for section, name in RESTART_KEYS)


class ProxyService:
    """Owns the in-process proxy's lifecycle (the desktop app uses it)."""

    #: How often the running proxy asks the local server whether it is up (tray icon, health).
    probe_interval_s = PROBE_INTERVAL_S

    def __init__(self, settings: Settings | None = None, keys: KeyStore | None = None) -> None:
        self.settings = settings or Settings.load()
        self._keys = keys
        self._lock = threading.RLock()
        self._server: ProxyServer | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()
        self.control: ProxyControl | None = None

    # -- what the app asks ---------------------------------------------------------------------
    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            self._keys = KeyStore(allow_file_fallback=self.settings.keys.allow_file_fallback)
        return self._keys

    def setup_complete(self) -> bool:
        """Setup finished: the access token exists and the tools step wrote the tools' configs."""
        from hybridcoder.setup_flow import SetupState

        state = SetupState()
        if state.step("tools").get("status") != "done":
            return False
        return bool(self.keys.proxy_token(create=False))

    @property
    def running(self) -> bool:
        server = self._server
        return server is not None and server.running

    @property
    def url(self) -> str:
        server = self._server
        if server is not None and server.running:
            return server.url
        from hybridcoder.proxy.remote_control import proxy_url

        return proxy_url(self.settings)

    @property
    def port(self) -> int:
        server = self._server
        return server.port if server is not None and server.running else self.settings.proxy.port

    @property
    def ledger_path(self) -> Path:
        return app_paths().ledger_file

    def add_listener(self, callback: Callable[[str], None]) -> None:
        """``callback("started" | "stopped" | "error")``, called from any thread."""
        with self._lock:
            self._listeners.append(callback)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the proxy on the configured port (blocks until it accepts connections)."""
        with self._lock:
            if self.running:
                return
            from hybridcoder.proxy.control import ProxyControl
            from hybridcoder.proxy.server import ProxyServer

            try:
                server = ProxyServer(self.settings, keys=self.keys)
                server.start()
            except ProxyStartError as exc:
                raise self._explain_start_failure(exc) from None
            except HybridCoderError as exc:  # a key store or settings problem, already one sentence
                raise ProxyStartError(exc.message) from None
            except Exception as exc:
                log.exception("the proxy could not start")
                raise ProxyStartError(f"The proxy could not start ({type(exc).__name__}); details are in the "
                                      "log file.") from None
            assert server.state is not None
            # Live only: the app saves settings itself (gui/app_settings.py), in order, from one copy.
            control = ProxyControl(server.state, url=server.url, port=server.port, persist=False)
            server.state.control = control
            control.start_probing(self.probe_interval_s)
            self._server = server
            self.control = control
            self._stopping.clear()
            self._watcher = threading.Thread(target=self._watch, args=(server,), name="hybridcoder-proxy-watch",
                                             daemon=True)
            self._watcher.start()
        log.info("proxy started on %s", server.url)
        self._notify("started")

    def stop(self) -> None:
        """Stop the proxy: open answers get a moment, the ledger is flushed, the port is freed. Safe twice."""
        with self._lock:
            server, control = self._server, self.control
            self._stopping.set()
            self._server = None
            self.control = None
            if server is None:
                return
            server.stop()
            if control is not None:
                control.close()
            watcher = self._watcher
            self._watcher = None
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(2.0)
        log.info("proxy stopped")
        self._notify("stopped")

    def restart(self) -> None:
        with self._lock:
            self.stop()
            self.start()

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings: live for routing, models, budgets and redaction; a restart for the rest."""
        with self._lock:
            old, self.settings = self.settings, settings
            if settings.keys.allow_file_fallback != old.keys.allow_file_fallback:
                self._keys = None
            if not self.running:
                return
            if restart_needed(old, settings):
                self.restart()
                return
            assert self.control is not None and self._server is not None
            self._server.settings = settings
            self.control.apply_settings(settings)

    # -- internals -----------------------------------------------------------------------------
    def _explain_start_failure(self, exc: ProxyStartError) -> ProxyStartError:
        """Name a Hybrid Coder already holding the port (``hybridcoder serve`` in a terminal)."""
        if "already in use" in exc.message:
            from hybridcoder.proxy.remote_control import proxy_url, running_proxy_version

            url = proxy_url(self.settings)
            if running_proxy_version(url, timeout=1.0) is not None:
                return ProxyStartError(
                    f"Another Hybrid Coder proxy already runs on {url} (`hybridcoder serve` in a terminal?); "
                    "stop it with Ctrl-C and start the proxy here again.")
        return exc

    def _watch(self, server: ProxyServer) -> None:
        """Tell the listeners when the proxy stops without being asked to."""
        while not self._stopping.wait(WATCH_INTERVAL_S):
            if not server.running:
                with self._lock:
                    if self._server is not server:
                        return
                    self._server = None
                    self.control = None
                log.error("the proxy stopped unexpectedly")
                server.stop()
                self._notify("error")
                return

    def _notify(self, event: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback(event)
            except Exception:  # a broken listener must not break the lifecycle
                log.exception("proxy listener failed on %s", event)

    def __enter__(self) -> ProxyService:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
