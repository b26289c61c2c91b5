"""Desktop-app test set-up: the real app object with a real in-process proxy in front of the emulators.

``make_app(...)`` builds a :class:`HybridCoderApp` on the session QApplication with a real
``ProxyService`` whose settings point at the Ollama (and optionally Anthropic) emulator, on a
free port, with a single-instance name of its own. Setup is marked finished the way setup
itself records it (the tools step done, the token present). Every app is shut down after
the test (proxy stopped, port freed). No tray exists offscreen, so nothing assumes one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from hybridcoder.app_service import ProxyService
from hybridcoder.gui.application import HybridCoderApp
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings
from hybridcoder.setup_flow import SetupState
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import TOKEN, proxy_settings

CHAT = [{"role": "user", "content": "explain this function: def add(a, b): return a + b"}]


@pytest.fixture(autouse=True)
def _jobs_finish_before_teardown() -> Iterator[None]:
    yield
    QThreadPool.globalInstance().waitForDone(20000)


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The proxy's access token from HYBRIDCODER_TOKEN, as a user who set it would have it."""
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    return TOKEN


def finished_setup() -> None:
    """What a finished ``hybridcoder setup`` leaves behind for the app to find."""
    SetupState().record("tools", "done", message="configured")


def app_settings(ollama: OllamaEmulator | None, anthropic: AnthropicEmulator | None = None,
                 **changes: Any) -> Settings:
    """Saved settings for the app under test (port 0: any free port)."""
    if anthropic is not None:
        KeyStore().set("anthropic", DEFAULT_KEY)
    settings = proxy_settings(ollama, anthropic, **changes)
    settings.save()
    return Settings.load()


def client(app: HybridCoderApp) -> openai.OpenAI:
    return openai.OpenAI(base_url=app.service.url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)


@pytest.fixture
def make_app(qtbot: QtBot, token_env: str) -> Iterator[Callable[..., HybridCoderApp]]:
    """``make_app(settings, start=True)`` → a started app whose proxy is up (shut down after the test)."""
    apps: list[HybridCoderApp] = []

    def make(settings: Settings | None = None, *, start: bool = True, setup_done: bool = True) -> HybridCoderApp:
        if setup_done:
            finished_setup()
        settings = settings or Settings.load()
        app = HybridCoderApp(service=ProxyService(settings), instance_name=f"hc-test-{uuid.uuid4().hex[:12]}")
        apps.append(app)
        if start:
            with qtbot.waitSignal(app.proxy_started, timeout=15000):
                app.start()
        return app

    yield make
    for app in apps:
        app.shutdown()
        if app.window is not None:
            app.window.deleteLater()
