"""The control panel drives the core without blocking: checks load, the proxy starts and stops."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from hybridcoder.gui.main_window import MainWindow
from hybridcoder.settings import Settings


@pytest.fixture(autouse=True)
def _jobs_finish_before_teardown() -> Iterator[None]:
    yield
    QThreadPool.globalInstance().waitForDone(20000)


def _settings() -> Settings:
    settings = Settings.load()
    settings.ollama.url = "http://127.0.0.1:9"  # nothing listens: Ollama "not running"
    settings.proxy.port = 0
    return settings


def test_health_checks_appear_after_background_scan(qtbot: QtBot) -> None:
    window = MainWindow(_settings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.refresh_button.isEnabled(), timeout=20000)
    texts = [window.checks.item(i).text() for i in range(window.checks.count())]
    assert any("Ollama" in text for text in texts)
    assert not any("Checking this machine" in text for text in texts)


def test_proxy_button_starts_and_stops_a_real_proxy(qtbot: QtBot) -> None:
    window = MainWindow(_settings())
    qtbot.addWidget(window)
    window.proxy_button.click()
    qtbot.waitUntil(lambda: window.proxy is not None, timeout=20000)
    assert window.proxy is not None
    url = window.proxy.url
    assert window.proxy_status.text() == f"Running at {url}"
    assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    window.proxy_button.click()
    qtbot.waitUntil(lambda: window.proxy_button.text() == "Start proxy", timeout=20000)
    assert window.proxy is None


def test_routing_mode_choice_is_saved(qtbot: QtBot) -> None:
    settings = _settings()
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.mode_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.message.text().startswith("Routing mode saved"), timeout=10000)
    assert Settings.load().routing.mode == "local"


def test_usage_and_learning_are_shown_and_learning_can_be_reset(qtbot: QtBot) -> None:
    from hybridcoder.ledger import RequestRecord, UsageLedger
    from hybridcoder.paths import app_paths
    from hybridcoder.routing.features import extract_features
    from hybridcoder.routing.learning import Learner

    with UsageLedger(app_paths().ledger_file) as ledger:
        for route in ("local", "local", "local", "cloud"):
            ledger.record(RequestRecord(kind="chat", route=route, model="m", prompt_tokens=100))
    learner = Learner()
    learner.observe(extract_features({"messages": [{"role": "user", "content": "port the app"}]},
                                     "/v1/chat/completions"), "client_retry")
    learner.save()

    window = MainWindow(_settings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.usage_label.text() != "", timeout=20000)
    assert window.usage_label.text().startswith("4 requests, 75% answered locally")
    assert window.learning_label.text().startswith("1 escalations learned from")
    window.reset_learning_button.click()
    qtbot.waitUntil(lambda: window.learning_label.text().startswith("0 escalations"), timeout=20000)
    assert Learner().stats()["examples"] == 0
