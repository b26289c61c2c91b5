"""The app object: no-tray start, window close vs quit, single instance, stale errors, notifications."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from pytestqt.qtbot import QtBot

from hybridcoder.gui.application import HybridCoderApp
from hybridcoder.gui.notifications import Notifier
from hybridcoder.gui.proxy_status import StatusSnapshot
from hybridcoder.gui.single_instance import SingleInstance, tell_running_instance
from hybridcoder.settings import Settings
from tests.emulators.ollama import OllamaEmulator
from tests.gui.conftest import CHAT, app_settings, client
from tests.ports import port_is_free

MakeApp = Callable[..., HybridCoderApp]


def test_without_a_tray_the_window_opens_and_closing_it_keeps_the_proxy(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(app_settings(ollama_emulator))
    window = app.window
    assert window is not None and window.isVisible() and window.current_page == "dashboard"
    assert app._tray_timer.isActive()  # it keeps looking for a tray that may appear later
    window.close()
    assert not window.isVisible()
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)  # the tools still work

    quits: list[bool] = []
    monkeypatch.setattr(app.qapp, "quit", lambda: quits.append(True))
    window.quit_action.trigger()  # Ctrl+Q / the menu's Quit
    assert quits == [True]
    port = app.service.port
    ledger = app.service.ledger_path
    app.shutdown()
    assert port_is_free(port)
    assert app.quit_seconds is not None and app.quit_seconds < 5
    import sqlite3

    with sqlite3.connect(ledger) as conn:  # the request's row was flushed before the stop finished
        assert conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1


def test_the_tray_quit_action_quits(make_app: MakeApp, ollama_emulator: OllamaEmulator,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(app_settings(ollama_emulator))
    quits: list[bool] = []
    monkeypatch.setattr(app.qapp, "quit", lambda: quits.append(True))
    app.tray.quit_action.trigger()
    assert quits == [True]


def test_a_second_launch_shows_the_first_ones_window(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    assert app.claim_single_instance()
    assert app.window is not None
    app.window.hide()
    with qtbot.waitSignal(app.instance.show_requested, timeout=5000):
        assert tell_running_instance(app.instance.name)
    qtbot.waitUntil(app.window.isVisible, timeout=5000)
    # The second app object sees the first and steps aside.
    second = HybridCoderApp(service=app.service, instance_name=app.instance.name)
    assert not second.claim_single_instance()
    second.tray.close()


def test_a_name_left_by_a_crashed_instance_is_taken_over(qtbot: QtBot) -> None:
    import uuid

    from PySide6.QtNetwork import QLocalServer

    name = f"hc-test-{uuid.uuid4().hex[:12]}"
    ghost = QLocalServer()
    assert ghost.listen(name)
    ghost.close()  # closed properly here; a crash would leave the file, which listen() clears
    first = SingleInstance(name)
    assert first.listen()
    assert not SingleInstance(name).listen()
    first.close()
    assert not tell_running_instance(name)


def test_a_start_error_shows_retry_and_goes_away_once_fixed(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    settings = app_settings(ollama_emulator, **{"proxy.port": port})
    app = make_app(settings, start=False)
    with qtbot.waitSignal(app.proxy_failed, timeout=15000) as failed:
        app.start()
    assert f"Port {port}" in str(failed.args[0]) and "already in use" in str(failed.args[0])
    window = app.window
    assert window is not None
    qtbot.waitUntil(lambda: "already in use" in window.banner.text(), timeout=10000)
    assert window.banner.retry_button.isVisibleTo(window)
    assert app.tray.snapshot is not None and app.tray.snapshot.health == "error"

    blocker.close()
    with qtbot.waitSignal(app.proxy_started, timeout=15000):
        window.banner.retry_button.click()
    qtbot.waitUntil(lambda: window.banner.text() == "", timeout=10000)  # the stale error is gone
    assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    qtbot.waitUntil(lambda: app.tray.snapshot is not None and app.tray.snapshot.health == "ready", timeout=10000)


def test_without_finished_setup_the_proxy_waits_and_setup_is_offered(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator), start=False, setup_done=False)
    with qtbot.waitSignal(app.started, timeout=10000):
        app.start()
    assert not app.service.running
    if app.wizard is not None:
        assert app.wizard.isVisible()
    else:
        assert app.window is not None and "Setup is not finished" in app.window.banner.text()
    qtbot.waitUntil(lambda: app.tray.snapshot is not None, timeout=10000)
    assert app.tray.snapshot is not None and app.tray.snapshot.health == "paused"


def _snapshot(**changes: object) -> StatusSnapshot:
    from hybridcoder.proxy.control import ControlStatus

    status = ControlStatus(running=True, paused=False, mode="auto", next_to_cloud=False, chat_model="m",
                           autocomplete_model="a", threshold=0.5, daily_budget_usd=0, monthly_budget_usd=0,
                           cloud_available=True, local_state=str(changes.pop("local_state", "up")),
                           cloud_state="up", health="ready", health_reason="")
    return StatusSnapshot(True, "ready", "", status, **changes)  # type: ignore[arg-type]


def test_notifications_come_once_per_cause_per_quiet_period(qtbot: QtBot) -> None:
    now = [1000.0]
    notifier = Notifier(quiet_s=300, clock=lambda: now[0])
    seen: list[str] = []
    notifier.notified.connect(lambda cause, _title, _message: seen.append(cause))

    notifier.observe(_snapshot(local_state="down"))
    notifier.observe(_snapshot(local_state="down"))  # still down: no repeat
    assert seen == ["ollama_stopped"]
    notifier.observe(_snapshot())  # back up
    now[0] += 60
    notifier.observe(_snapshot(local_state="down"))  # flapping within the quiet period
    assert seen == ["ollama_stopped"]
    notifier.observe(_snapshot())
    now[0] += 301
    notifier.observe(_snapshot(local_state="down"))
    assert seen == ["ollama_stopped", "ollama_stopped"]

    notifier.observe(_snapshot(recent_fallbacks=2))
    notifier.observe(_snapshot(recent_fallbacks=3))
    notifier.observe(_snapshot(budget_exhausted=True, budget_message="The daily cloud budget is used up."))
    assert seen == ["ollama_stopped", "ollama_stopped", "fallbacks", "budget"]


def test_settings_from_the_tray_and_the_page_stay_in_step(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    window = app.show_main_window("settings")
    app.tray.mode_actions["local"].trigger()
    assert app.keeper.wait()
    assert Settings.load().routing.mode == "local"
    assert window.settings_page.mode_box.currentData() == "local"


def test_closing_the_wizard_before_setup_with_no_tray_ends_the_app(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(app_settings(ollama_emulator), start=False, setup_done=False)
    with qtbot.waitSignal(app.started, timeout=10000):
        app.start()
    if app.wizard is None:
        pytest.skip("this build has no setup wizard")
    quits: list[bool] = []
    monkeypatch.setattr(app.qapp, "quit", lambda: quits.append(True))
    app.wizard.close()
    qtbot.waitUntil(lambda: quits == [True], timeout=5000)


def test_a_status_problem_stays_while_true_and_an_action_message_until_dismissed(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    window = app.show_main_window()
    app.tray.send_next_to_cloud()  # no cloud is set up here: refused with one sentence
    assert window.banner.text().startswith("No cloud provider is set up")
    app.watcher.refresh_now()
    qtbot.wait(300)
    assert window.banner.text().startswith("No cloud provider is set up")  # a new status does not wipe it
    window.banner.dismiss_button.click()
    assert window.banner.text() == ""


def test_ollama_stopping_raises_one_notification_and_the_window_says_so(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    import openai

    app = make_app(app_settings(ollama_emulator))
    seen: list[str] = []
    app.notifier.notified.connect(lambda cause, _title, _message: seen.append(cause))
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)
    ollama_emulator.stop()
    with pytest.raises(openai.APIStatusError):  # no cloud here to take over
        client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)

    def noticed() -> bool:
        app.watcher.refresh_now()
        return "ollama_stopped" in seen

    qtbot.waitUntil(noticed, timeout=15000)
    assert app.tray.snapshot is not None and app.tray.snapshot.health == "error"
    assert app.window is not None and "not answering" in app.window.banner.text()
    app.watcher.refresh_now()
    qtbot.wait(200)
    assert seen.count("ollama_stopped") == 1

    ollama_emulator.start()  # back: the problem leaves the screen by itself
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)

    def cleared() -> bool:
        app.watcher.refresh_now()
        return app.window is not None and app.window.banner.text() == ""

    qtbot.waitUntil(cleared, timeout=15000)


def test_a_proxy_that_stops_on_its_own_is_started_again(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    server = app.service._server
    assert server is not None
    with qtbot.waitSignal(app.proxy_started, timeout=15000):
        server._server.should_exit = True  # uvicorn ends as if it had crashed: nobody asked the service
    assert app.service.running and app.service._server is not server
    client(app).chat.completions.create(model="hybrid-auto", messages=CHAT)
