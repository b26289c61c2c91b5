"""The tray menu drives the RUNNING proxy: a real request through it shows each change at once.

No tray exists offscreen, so the menu is exercised through ``TrayController.menu()``, the way
the user's click would trigger its actions.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from hybridcoder.gui.application import HybridCoderApp
from hybridcoder.gui.proxy_status import StatusSnapshot
from hybridcoder.settings import Settings
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.gui.conftest import CHAT, app_settings, client
from tests.proxy.conftest import TOKEN

MakeApp = Callable[..., HybridCoderApp]


def menu_titles(app: HybridCoderApp) -> list[str]:
    return [a.text() for a in app.tray.menu().actions() if not a.isSeparator()]


def test_the_menu_exists_without_a_tray_and_has_every_entry(
        make_app: MakeApp, ollama_emulator: OllamaEmulator) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: the no-tray path is what runs
    app = make_app(app_settings(ollama_emulator))
    assert not app.tray_shown and app.window is not None and app.window.isVisible()
    titles = menu_titles(app)
    for expected in ("Routing", "Send next request to the cloud", "Models", "Pause proxy", "Dashboard",
                     "Settings", "Quit Hybrid Coder"):
        assert expected in titles
    assert [a.text() for a in app.tray.routing_menu.actions()] == [
        "Auto (the router decides)", "Local only", "Cloud only"]


def test_routing_mode_from_the_tray_changes_where_the_next_request_goes(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator,
        anthropic_emulator: AnthropicEmulator) -> None:
    app = make_app(app_settings(ollama_emulator, anthropic_emulator))
    api = client(app)

    app.tray.mode_actions["cloud"].trigger()
    api.chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert len(anthropic_emulator.message_bodies()) == 1
    assert not ollama_emulator.requests_to("/api/chat")
    assert app.service.control.status().mode == "cloud"

    app.tray.mode_actions["local"].trigger()
    api.chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert len(ollama_emulator.requests_to("/api/chat")) == 1
    assert len(anthropic_emulator.message_bodies()) == 1
    assert app.tray.mode_actions["local"].isChecked() and not app.tray.mode_actions["cloud"].isChecked()
    assert app.keeper.wait()
    assert Settings.load().routing.mode == "local"  # and it is still the mode after a restart


def test_send_next_request_to_the_cloud_is_one_shot(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator) -> None:
    app = make_app(app_settings(ollama_emulator, anthropic_emulator, **{"routing.mode": "local"}))
    api = client(app)
    qtbot.waitUntil(app.tray.next_to_cloud_action.isEnabled, timeout=10000)  # once the status says a cloud exists
    app.tray.next_to_cloud_action.trigger()
    assert app.service.control.status().next_to_cloud
    api.chat.completions.create(model="hybrid-auto", messages=CHAT)
    api.chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert len(anthropic_emulator.message_bodies()) == 1
    assert len(ollama_emulator.requests_to("/api/chat")) == 1


def test_switching_the_chat_model_from_the_tray_is_used_by_the_next_request(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.install(ollama_emulator.registry["qwen2.5-coder:3b"])
    app = make_app(app_settings(ollama_emulator))
    with qtbot.waitSignal(app.tray.models_updated, timeout=10000):
        app.tray.refresh_models()
    sub_titles = [a.text() for a in app.tray.models_menu.actions()]
    assert any(t.startswith("qwen2.5-coder:7b  (chat)") for t in sub_titles)
    assert any(t.startswith("qwen2.5-coder:1.5b-base  (autocomplete)") for t in sub_titles)
    use_3b = app.tray.model_action("qwen2.5-coder:3b", "chat")
    assert use_3b is not None and not use_3b.isChecked()

    use_3b.trigger()
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert ollama_emulator.requests_to("/api/chat")[-1].body["model"] == "qwen2.5-coder:3b"
    assert app.service.control.status().chat_model == "qwen2.5-coder:3b"
    assert app.keeper.wait()
    assert Settings.load().models.chat == "qwen2.5-coder:3b"
    chosen = app.tray.model_action("qwen2.5-coder:3b", "chat")
    assert chosen is not None and chosen.isChecked()


def test_load_and_unload_a_model_from_the_tray(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    with qtbot.waitSignal(app.tray.models_updated, timeout=10000):
        app.tray.refresh_models()
    load = app.tray.model_action("qwen2.5-coder:7b", "load")
    assert load is not None
    with qtbot.waitSignal(app.tray.models_updated, timeout=10000):
        load.trigger()
    assert ollama_emulator.wait_for(lambda: bool(ollama_emulator.loaded))
    assert any("in memory" in a.text() for a in app.tray.models_menu.actions())
    unload = app.tray.model_action("qwen2.5-coder:7b", "unload")
    assert unload is not None
    with qtbot.waitSignal(app.tray.models_updated, timeout=10000):
        unload.trigger()
    assert ollama_emulator.wait_for(lambda: not ollama_emulator.loaded)


def test_pause_and_resume_from_the_tray(make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    app.tray.pause_action.trigger()
    reply = httpx.post(app.service.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"model": "hybrid-auto", "messages": CHAT}, timeout=10)
    assert reply.status_code == 503 and "paused" in reply.text
    qtbot.waitUntil(lambda: app.tray.pause_action.text() == "Resume proxy", timeout=10000)
    qtbot.waitUntil(lambda: app.tray.snapshot is not None and app.tray.snapshot.health == "paused", timeout=10000)
    app.tray.pause_action.trigger()
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert app.tray.pause_action.text() == "Pause proxy"


def test_tooltip_shows_todays_local_share_and_savings(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    api = client(app)
    for _ in range(3):
        api.chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert app.service._server.ledger.flush(10)  # the rows are on disk before the tray reads them

    def shows_requests() -> bool:
        app.watcher.refresh_now()
        return "3 requests" in app.tray.icon.toolTip()

    qtbot.waitUntil(shows_requests, timeout=15000)
    tip = app.tray.icon.toolTip()
    assert tip.startswith("Hybrid Coder — ")
    assert "Today: 100% local of 3 requests" in tip and "saved" in tip


def test_snapshot_tooltip_and_states_without_a_proxy() -> None:
    snapshot = StatusSnapshot(False, "error", "Port 11480 on 127.0.0.1 is already in use; stop the other program.")
    assert snapshot.tooltip.splitlines() == [
        "Hybrid Coder — not working", "Port 11480 on 127.0.0.1 is already in use; stop the other program."]


@pytest.mark.parametrize("state", ["ready", "degraded", "paused", "error"])
def test_state_icons_render_from_the_svg(qtbot: QtBot, state: str) -> None:
    from hybridcoder.gui.icons import render_mark, state_icon

    assert not state_icon(state).isNull()
    image = render_mark(64, state).toImage()
    corner = image.pixelColor(56, 56)  # inside the badge
    centre_of_tile = render_mark(64).toImage().pixelColor(20, 20)
    assert corner.alpha() == 255 and centre_of_tile.alpha() == 255
    assert corner.name() != centre_of_tile.name()


def test_tooltip_counts_one_request_and_tiny_savings_in_words() -> None:
    one = StatusSnapshot(True, "ready", "", requests_today=1, local_share=1.0, saved_usd=0.0001)
    assert one.tooltip.splitlines()[-1] == "Today: 100% local of 1 request, under $0.01 saved"
    many = StatusSnapshot(True, "ready", "", requests_today=1200, local_share=0.75, saved_usd=3.456)
    assert many.tooltip.splitlines()[-1] == "Today: 75% local of 1,200 requests, $3.46 saved"


def test_start_ollama_shows_while_ollama_is_down(make_app: MakeApp, qtbot: QtBot,
                                                 ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    assert not app.tray.start_ollama_action.isVisible()
    ollama_emulator.stop()
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises: the request failed
        client(app).chat.completions.create(model="hybrid-local", messages=CHAT)

    def offered() -> bool:
        app.watcher.refresh_now()
        return app.tray.start_ollama_action.isVisible()

    qtbot.waitUntil(offered, timeout=20000)
    assert "Start Ollama" in menu_titles(app)
    # Ollama answers again by the time the user clicks: starting finds it running and the entry goes.
    ollama_emulator.start()
    with qtbot.waitSignal(app.tray.state_changed, timeout=20000):
        app.tray.start_ollama_action.trigger()
    client(app).chat.completions.create(model="hybrid-local", messages=CHAT)

    def gone() -> bool:
        app.watcher.refresh_now()
        return not app.tray.start_ollama_action.isVisible()

    qtbot.waitUntil(gone, timeout=20000)


def test_the_window_has_the_tray_controls_for_desktops_without_a_tray(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    window = app.main_window()
    titles = [a.text() for a in window.proxy_menu.actions() if a.isVisible()]
    assert titles == ["Routing", "Send next request to the cloud", "Models", "Pause proxy"]
    next(a for a in window.proxy_menu.actions() if a.text() == "Pause proxy").trigger()
    assert app.service.control.status().paused
    reply = httpx.post(app.service.url + "/v1/chat/completions", timeout=10, headers={"Authorization": f"Bearer {TOKEN}"},
                       json={"model": "hybrid-auto", "messages": CHAT})
    assert reply.status_code == 503
