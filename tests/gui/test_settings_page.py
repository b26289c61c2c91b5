"""The settings page: changes reach the running proxy at once and are still there after a restart."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hybridcoder.gui.application import HybridCoderApp
from hybridcoder.gui.settings_page import SettingsPage, slider_to_threshold, threshold_to_slider
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.gui.conftest import CHAT, app_settings, client
from tests.proxy.conftest import TOKEN

MakeApp = Callable[..., HybridCoderApp]


def page_of(app: HybridCoderApp) -> SettingsPage:
    window = app.show_main_window("settings")
    return window.settings_page


def test_slider_ends_mean_all_local_and_all_cloud() -> None:
    assert slider_to_threshold(0) == 1.0 and slider_to_threshold(100) == 0.0
    assert threshold_to_slider(0.5) == 50 and threshold_to_slider(slider_to_threshold(30)) == 30


def test_settings_apply_to_the_running_proxy_and_survive_a_restart(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    page = page_of(app)
    control = app.service.control
    assert control is not None

    page.slider.setValue(20)  # towards "prefer local": a higher threshold
    with qtbot.waitSignal(app.keeper.applied, timeout=5000):
        pass
    assert control.status().threshold == pytest.approx(0.8)

    page.daily_budget.setValue(3.5)
    with qtbot.waitSignal(app.keeper.applied, timeout=5000):
        page.daily_budget.editingFinished.emit()
    assert control.status().daily_budget_usd == pytest.approx(3.5)

    page.redact_box.setChecked(False)
    page.mode_box.setCurrentIndex(page.mode_box.findData("local"))
    assert app.keeper.wait()  # both changes saved and applied, in order
    assert control.status().mode == "local"
    assert app.service.control.state.config.redact_secrets is False
    qtbot.waitUntil(lambda: "Saved" in page.banner.text(), timeout=5000)

    # A new app object (a restart) reads what was saved.
    saved = Settings.load()
    assert (saved.routing.threshold, saved.budget.daily_usd, saved.routing.redact_secrets, saved.routing.mode) == (
        pytest.approx(0.8), 3.5, False, "local")
    app.shutdown()
    again = make_app(Settings.load())
    page2 = page_of(again)
    assert page2.slider.value() == 20 and page2.daily_budget.value() == pytest.approx(3.5)
    assert not page2.redact_box.isChecked() and page2.mode_box.currentData() == "local"
    assert again.service.control.status().threshold == pytest.approx(0.8)


def test_a_new_ollama_url_restarts_the_proxy_onto_it(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    from tests.emulators.ollama import OllamaEmulator as Emulator

    app = make_app(app_settings(None))  # Ollama "not running" at first
    page = page_of(app)
    with Emulator() as other:
        page.ollama_url_edit.setText(other.url)
        with qtbot.waitSignal(app.keeper.applied, timeout=15000):
            page.ollama_url_edit.editingFinished.emit()
        client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)
        assert len(other.requests_to("/api/chat")) == 1
    assert Settings.load().ollama.url == other.url


def test_a_bad_address_is_refused_with_one_sentence_and_nothing_saved(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    page = page_of(app)
    page.ollama_url_edit.setText("not a url")
    page.ollama_url_edit.editingFinished.emit()
    assert page.banner.text().startswith("“not a url” is not a web address")
    assert Settings.load().ollama.url == ollama_emulator.url
    # The error goes away once the condition is gone.
    page.monthly_budget.setValue(20.0)
    with qtbot.waitSignal(app.keeper.applied, timeout=15000):
        page.monthly_budget.editingFinished.emit()
    assert "not a web address" not in page.banner.text()


def test_keys_are_checked_stored_masked_and_deleted(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator,
        anthropic_emulator: AnthropicEmulator) -> None:
    app = make_app(app_settings(ollama_emulator, None, **{"cloud.anthropic_base_url": anthropic_emulator.url}))
    page = page_of(app)
    qtbot.waitUntil(lambda: page.key_labels["anthropic"].text() == "no key", timeout=10000)
    assert "keyring" in page.backend_label.text()
    assert app.service.control.status().cloud_available is False

    page.key_provider_box.setCurrentIndex(page.key_provider_box.findData("anthropic"))
    qtbot.keyClicks(page.key_edit, "sk-ant-wrong-key-0123456789abcdefghij")
    with qtbot.waitSignal(page.reported, timeout=15000):
        page.key_save_button.click()
    assert page.banner.retry_button.isVisible() or not page.banner.retry_button.isHidden()
    assert KeyStore().get("anthropic") is None  # a refused key is not stored

    page.key_edit.setText(DEFAULT_KEY)
    with qtbot.waitSignal(page.reported, timeout=15000):
        page.key_save_button.click()
    assert page.banner.text() == "Key checked and saved in the system keyring."
    assert KeyStore().get("anthropic") == DEFAULT_KEY
    assert page.key_edit.text() == ""
    qtbot.waitUntil(lambda: page.key_labels["anthropic"].text().endswith("(from the keyring)"), timeout=10000)
    assert DEFAULT_KEY not in page.key_labels["anthropic"].text()
    assert app.service.control.status().cloud_available  # the running proxy restarted with the key

    with qtbot.waitSignal(page.reported, timeout=15000):
        page.key_delete_buttons["anthropic"].click()
    assert KeyStore().get("anthropic") is None
    qtbot.waitUntil(lambda: page.key_labels["anthropic"].text() == "no key", timeout=10000)


def test_show_access_token(make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    page = page_of(app)
    qtbot.waitUntil(lambda: page.token_button.isEnabled(), timeout=10000)
    assert TOKEN not in page.token_edit.text() and page.token_edit.text().endswith(TOKEN[-4:])
    qtbot.mouseClick(page.token_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.token_edit.text() == TOKEN, timeout=10000)
    assert page.token_button.text() == "Hide access token"
    page.token_button.click()
    qtbot.waitUntil(lambda: page.token_edit.text() != TOKEN, timeout=10000)


def test_undo_a_tools_configuration(make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    import os
    from pathlib import Path

    from hybridcoder.clients.configure import (
        client_models_from_settings,
        configure_tools,
        proxy_url_from_settings,
    )

    config = Path(os.environ["HOME"]) / ".aider.conf.yml"
    config.write_text("model: my-own-model\n")
    settings = app_settings(ollama_emulator)
    report = configure_tools(["aider"], proxy_url=proxy_url_from_settings(settings), token=TOKEN,
                             models=client_models_from_settings(settings))
    assert report.ok and "hybrid" in config.read_text()
    app = make_app(settings)
    page = page_of(app)
    qtbot.waitUntil(lambda: page.undo_buttons["aider"].isEnabled(), timeout=15000)
    assert page.tool_states["aider"].text().startswith("changed by Hybrid Coder on ")
    assert not page.undo_buttons["cline"].isEnabled()  # setup never touched Cline: nothing to undo
    assert page.tool_states["cline"].text() == "not changed by Hybrid Coder"
    with qtbot.waitSignal(page.reported, timeout=15000):
        page.undo_buttons["aider"].click()
    assert config.read_text() == "model: my-own-model\n"
    assert "Aider" in page.banner.text() and "restored" in page.banner.text()
    # Undone: nothing left to undo, and the page says so.
    qtbot.waitUntil(lambda: page.tool_states["aider"].text() == "not changed by Hybrid Coder", timeout=15000)
    assert not page.undo_buttons["aider"].isEnabled()


def test_page_builds_with_only_the_service(qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    from hybridcoder.app_service import ProxyService

    page = SettingsPage(ProxyService(app_settings(ollama_emulator)))
    qtbot.addWidget(page)
    page.resize(page.minimumSizeHint())
    page.show()
    assert page.provider_box.currentData() == "anthropic"
    assert page.port_box.text() == "any free port"  # the test settings use port 0


def test_start_at_login_writes_and_removes_the_login_entry(
        qtbot: QtBot, ollama_emulator: OllamaEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.app_service import ProxyService

    if sys.platform != "linux":
        pytest.skip("the XDG autostart entry is the Linux mechanism")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    entry = tmp_path / "xdg" / "autostart" / "hybridcoder.desktop"
    page = SettingsPage(ProxyService(app_settings(ollama_emulator)))
    qtbot.addWidget(page)
    qtbot.waitUntil(page.autostart_box.isEnabled, timeout=10000)
    assert not page.autostart_box.isChecked()
    with qtbot.waitSignal(page.reported, timeout=10000):
        page.autostart_box.setChecked(True)
    assert entry.is_file() and "Exec=" in entry.read_text()
    assert page.banner.text() == "Hybrid Coder starts when you log in."
    with qtbot.waitSignal(page.reported, timeout=10000):
        page.autostart_box.setChecked(False)
    assert not entry.exists()


def test_reset_learning_reaches_the_running_proxy(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    from hybridcoder.routing.features import extract_features
    from hybridcoder.routing.learning import Learner

    learner = Learner()
    learner.observe(extract_features({"messages": [{"role": "user", "content": "port the app"}]},
                                     "/v1/chat/completions"), "client_retry")
    learner.save()
    app = make_app(app_settings(ollama_emulator, **{"routing.learning": True}))
    control = app.service.control
    assert control.status().learning["examples"] == 1  # the running proxy loaded what it had learned
    page = page_of(app)
    qtbot.waitUntil(lambda: page.learning_label.text().startswith("Learned from 1 escalation;"), timeout=10000)
    with qtbot.waitSignal(page.reported, timeout=10000):
        page.reset_learning_button.click()
    assert control.status().learning["examples"] == 0  # the proxy itself forgot, not a copy
    assert Learner().stats()["examples"] == 0  # and a restart will not bring it back
    assert page.learning_label.text() == "Nothing learned yet." and not page.reset_learning_button.isEnabled()


def test_a_new_port_moves_the_proxy_and_the_tools_setup_configured(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    import os
    import socket

    import httpx

    from hybridcoder.clients.configure import (
        client_models_from_settings,
        configure_tools,
        proxy_url_from_settings,
    )
    from hybridcoder.setup_flow import SetupState

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    old_port, new_port = free_port(), free_port()
    settings = app_settings(ollama_emulator, **{"proxy.port": old_port})
    config = Path(os.environ["HOME"]) / ".aider.conf.yml"
    configure_tools(["aider"], proxy_url=proxy_url_from_settings(settings), token=TOKEN,
                    models=client_models_from_settings(settings))
    app = make_app(settings)
    SetupState().record("tools", "done", detail={"configured": ["aider"], "skipped": []})
    assert f":{old_port}" in config.read_text()
    page = page_of(app)
    page.port_box.setValue(new_port)
    with qtbot.waitSignal(page.reported, timeout=20000,
                          check_params_cb=lambda message: "updated to use it" in message):
        page.port_box.editingFinished.emit()
    assert page.banner.text() == f"The proxy now listens on port {new_port}; Aider updated to use it."
    assert f":{new_port}" in config.read_text() and f":{old_port}" not in config.read_text()
    assert httpx.get(f"http://127.0.0.1:{new_port}/health", timeout=5).status_code == 200
    assert Settings.load().proxy.port == new_port
