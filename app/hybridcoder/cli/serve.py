"""``hybridcoder serve``: run the routing proxy in this terminal until Ctrl-C.

The same ProxyServer the desktop app runs in its tray, started in the foreground:
prints where it listens and how requests will be routed, then waits. Ctrl-C (or
SIGTERM) stops it cleanly: open answers get a moment to finish, the usage ledger
is flushed.

Prints the access token only masked; ``--show-token`` prints it whole for scripts.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from hybridcoder.errors import HybridCoderError
from hybridcoder.keys import KeyStore, mask
from hybridcoder.ollama import OllamaManager
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.proxy.security import is_loopback_host
from hybridcoder.proxy.server import ProxyServer, ProxyStartError
from hybridcoder.settings import Settings

ORDER = 30
MODES = ("auto", "local", "cloud")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the routing proxy (OpenAI- and Ollama-compatible) in this terminal",
        description="Run the local routing proxy until Ctrl-C. Tools send requests to it with the "
                    "local access token as 'Authorization: Bearer <token>' (HYBRIDCODER_TOKEN overrides "
                    "the stored token).")
    parser.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default from settings: 11480; 0 = any free)")
    parser.add_argument("--ollama-url", help="URL of the local Ollama (default from settings)")
    parser.add_argument("--mode", choices=MODES, help="routing mode for this run (default from settings)")
    parser.add_argument("--show-token", action="store_true", help="print the whole access token")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    if args.port is not None and not 0 <= args.port <= 65535:
        raise HybridCoderError(f"--port must be between 0 and 65535, not {args.port}.")
    settings = Settings.load()
    if settings.load_warning:
        print(f"hybridcoder: {settings.load_warning}", file=sys.stderr)
    if args.port is None and not 0 <= settings.proxy.port <= 65535:
        raise HybridCoderError(f"The proxy port in your settings ({settings.proxy.port}) is not a port number; "
                               "set [proxy] port to a number between 1024 and 65535, or pass --port.")
    # Fail now on a malformed Ollama address rather than on every request later.
    OllamaManager(args.ollama_url or settings.ollama.url)
    keys = KeyStore(allow_file_fallback=settings.keys.allow_file_fallback)
    config = ProxyConfig.from_settings(settings, keys, host=args.host, port=args.port,
                                       ollama_url=args.ollama_url, mode=args.mode)
    server = ProxyServer(settings, config=config)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # The handler goes in before the server starts: a SIGTERM that arrives as soon as
    # /health answers (a service manager, a test harness) must still stop it cleanly.
    previous = signal.signal(signal.SIGTERM, on_signal) if hasattr(signal, "SIGTERM") else None
    try:
        try:
            server.start()
        except ProxyStartError as exc:
            already = _already_running(server, exc)
            if already is None:
                raise
            print(already)
            return 0
        _describe(server, config, args.show_token)
        try:
            while not stop.wait(0.5):
                if not server.running:
                    raise HybridCoderError("The proxy stopped unexpectedly; details are in the log file.")
        except KeyboardInterrupt:
            pass
        print("Stopping…", flush=True)
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("Proxy stopped.")
    return 0


def _describe(server: ProxyServer, config: ProxyConfig, show_token: bool) -> None:
    print(f"Hybrid Coder proxy listening on {server.url}")
    print(f"  OpenAI-compatible:  {server.url}/v1   (models hybrid-auto, hybrid-local, hybrid-cloud)")
    print(f"  Ollama-compatible:  {server.url}      (/api/chat, /api/generate, ...)")
    print(f"  Routing mode:       {config.mode}")
    local = config.chat_model or "picked from the installed models by role"
    print(f"  Local:              {config.local.provider} ({local})")
    cloud = config.cloud
    if cloud is not None:
        print(f"  Cloud:              {cloud.provider} ({cloud.model})")
    else:
        print(f"  Cloud:              off — {config.key_descriptions.get(config.cloud_provider, 'no key')}; "
              "everything runs locally")
    token = config.token if show_token else mask(config.token)
    print(f"  Access token:       {token}  (send as 'Authorization: Bearer <token>')")
    if not is_loopback_host(config.host):
        print(f"  WARNING: listening on {config.host}, reachable from other machines; "
              "anyone with the token can use your cloud key.")
    print("Press Ctrl-C to stop.", flush=True)


def _already_running(server: ProxyServer, exc: ProxyStartError) -> str | None:
    """One line when the port is held by Hybrid Coder itself (the desktop app, another terminal), else None."""
    if "already in use" not in exc.message:
        return None
    from hybridcoder.proxy.control import running_proxy_version

    if running_proxy_version(server.url) is None:
        return None
    return (f"Hybrid Coder is already running on {server.url} (the desktop app or another `hybridcoder serve`); "
            "nothing to do.")
