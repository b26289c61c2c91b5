"""``hybridcoder --self-test``: is this install complete? One line per check, then a verdict.

Run by CI on the wheel and on the frozen bundle, and by a user whose app will not start. It imports
every backend the proxy may need, reads every shipped data file through the real loaders, starts and
stops the proxy on a free port, opens the main window offscreen and says which keyring is in use.
It never needs a network, a display, Ollama or a cloud key, and it records nothing in the usage
history. Exit 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BACKEND_MODULES", "CheckResult", "run_self_test"]

#: What the frozen bundle must contain: the proxy's server, its upstream clients, the SDKs, the desktop.
BACKEND_MODULES: tuple[str, ...] = (
    "uvicorn", "uvicorn.loops.auto", "uvicorn.protocols.http.auto", "starlette", "anyio",
    "aiohttp", "httpx", "orjson", "httptools", "anthropic", "openai", "ollama",
    "keyring", "keyring.backends.fail", "platformdirs", "psutil", "tomlkit", "ruamel.yaml", "pynvml",
    "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg", "PySide6.QtNetwork",
    "PySide6.QtCharts",
)
#: Fast paths the proxy uses where they exist (uvloop has no Windows build).
OPTIONAL_ON_WINDOWS = ("uvloop",)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _check(name: str, action: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = action()
    except Exception as exc:  # a self-test reports every failure as a line, never a traceback
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return CheckResult(name, False, f"{type(exc).__name__}: {message}")
    return CheckResult(name, True, f"{detail} ({(time.perf_counter() - started) * 1000:.0f} ms)")


def _imports() -> str:
    modules = list(BACKEND_MODULES)
    if sys.platform != "win32":
        modules += OPTIONAL_ON_WINDOWS
    for name in modules:
        importlib.import_module(name)
    return f"{len(modules)} modules imported"


def _resources() -> str:
    from hybridcoder.analytics.prices import PriceTable
    from hybridcoder.catalog import load_catalog
    from hybridcoder.clients.rules import load_rule_set
    from hybridcoder.resource_files import check_shipped_files, resources_root
    from hybridcoder.routing.scorer import load_default_scorer

    names = check_shipped_files()
    catalog = load_catalog()
    prices = PriceTable.load()
    if prices.warnings:
        raise RuntimeError(prices.warnings[0])
    scorer = load_default_scorer()
    if scorer is None or not scorer.weights:
        raise RuntimeError("the shipped routing weights loaded empty")
    rules = load_rule_set()
    return (f"{len(names)} files in {resources_root()}: {len(catalog.models)} catalog models, "
            f"{len(scorer.weights)} routing weights, {len(rules.rules)} rules")


def _proxy() -> str:
    import secrets

    import httpx

    from hybridcoder.keys import TOKEN_ENV, KeyStore
    from hybridcoder.proxy.config import ProxyConfig
    from hybridcoder.proxy.server import ProxyServer, event_loop_kind, http_kind
    from hybridcoder.settings import Settings

    # A throwaway token for this throwaway proxy: the check must not need (or change) the stored one.
    previous = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = secrets.token_urlsafe(24)
    try:
        settings = Settings.load()
        config = ProxyConfig.from_settings(settings, KeyStore(), host="127.0.0.1", port=0)
        config.ledger_path = None  # a check, not traffic: nothing goes into the user's usage history
        server = ProxyServer(settings, config=config)
        server.start()
        try:
            health = httpx.get(server.url + "/health", timeout=5.0)
            if health.status_code != 200:
                raise RuntimeError(f"/health answered {health.status_code}")
            anonymous = httpx.get(server.url + "/v1/models", timeout=5.0)
            if anonymous.status_code != 401:
                raise RuntimeError(f"a request without the token got {anonymous.status_code}, not 401")
            port = server.port
        finally:
            server.stop()
    finally:
        if previous is None:
            os.environ.pop(TOKEN_ENV, None)
        else:
            os.environ[TOKEN_ENV] = previous
    return (f"started on 127.0.0.1:{port} ({event_loop_kind()} + {http_kind()}), /health 200, "
            "no token 401, stopped")


def _keyring() -> str:
    import keyring
    import keyring.backends.fail

    from hybridcoder.display_check import cli_command

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, keyring.backends.fail.Keyring):
        return (f"{name}: no system keyring here; keys can go to a private file with your consent "
                f"(`{cli_command()} setup --allow-file-keyring`) or come from ANTHROPIC_API_KEY / OPENAI_API_KEY")
    return name


def _window() -> str:
    from hybridcoder.gui.self_check import open_main_window_offscreen

    return open_main_window_offscreen()


def run_self_test(out: Callable[[str], None] = print) -> int:
    """Run every check, print one line each and a verdict; returns the exit code."""
    # The window check must never need a real display (CI, ssh); set before Qt is first imported.
    if "PySide6.QtGui" not in sys.modules:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    frozen = "frozen bundle" if getattr(sys, "frozen", False) else f"Python {sys.version.split()[0]}"
    out(f"Hybrid Coder self-test ({frozen}, {sys.platform})")
    checks = [("imports", _imports), ("resources", _resources), ("proxy", _proxy), ("keyring", _keyring),
              ("window", _window)]
    results = [_check(name, action) for name, action in checks]
    for result in results:
        out(f"  {'PASS' if result.ok else 'FAIL'}  {result.name:<9} {result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        out(f"Self-test FAILED: {', '.join(failed)} ({len(failed)} of {len(results)} checks).")
        return 1
    out(f"Self-test passed: all {len(results)} checks.")
    return 0
